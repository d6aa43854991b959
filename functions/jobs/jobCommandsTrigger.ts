// Queue trigger: job commands from the resource API start a job's lifecycle orchestration ('start', idempotent:
// one instance per job GUID) and ask its cluster's scheduler for a pass, or raise 'terminate' to it. Malformed
// commands are set aside with the reason.
import { app, output, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { jobCommandsQueue, jobRejectedCommandsQueue } from '../../shared/config/resourceNames';
import { parseJobCommand } from '../../shared/contracts/jobCommand';
import {
  jobLifecycleInstanceId,
  jobLifecycleName,
  terminateEvent,
  type JobLifecycleInput,
} from '../../orchestrations/jobs/jobLifecycleContract';
import { requestJobScheduling } from '../../orchestrations/jobs/requestJobSchedulingActivity';
import { acceptQueueMessage } from '../compute/queuePayload';

const rejected = output.storageQueue({
  queueName: jobRejectedCommandsQueue,
  connection: 'AzureWebJobsStorage',
});

app.storageQueue('jobCommands', {
  queueName: jobCommandsQueue,
  connection: 'AzureWebJobsStorage',
  extraInputs: [df.input.durableClient()],
  extraOutputs: [rejected],
  handler: async (payload: unknown, context: InvocationContext): Promise<void> => {
    const command = acceptQueueMessage(
      payload,
      parseJobCommand,
      jobCommandsQueue,
      context,
      rejected,
      'job command',
    );
    if (!command) return;
    const client = df.getClient(context);
    const instanceId = jobLifecycleInstanceId(command.jobUuid);
    if (command.kind === 'terminate') {
      await client.raiseEvent(instanceId, terminateEvent, {});
      return;
    }
    // A redelivered 'start' must not restart a lifecycle that exists (running or finished).
    if (!(await client.getStatus(instanceId).catch(() => undefined))) {
      const input: JobLifecycleInput = {
        job: command.job,
        jobUuid: command.jobUuid,
        clusterKey: command.clusterKey,
      };
      await client.startNew(jobLifecycleName, { instanceId, input });
    }
    // Once its lifecycle exists, the job can be granted: ask the cluster's scheduler for a pass.
    await requestJobScheduling(command.clusterKey, context);
  },
});
