// Queue trigger: job commands sent by the resource API where Durable Functions is not at hand (or failed) ask a
// queued job's cluster scheduler for a pass ('start': the scheduler starts the job's lifecycle when it grants it
// nodes), or raise 'terminate' to a running job's lifecycle (orchestrations/jobs/jobCommandRunner.ts). Malformed
// commands are set aside with the reason.
import { app, output, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { jobCommandsQueue, jobRejectedCommandsQueue } from '../../shared/config/resourceNames';
import { parseJobCommand } from '../../shared/contracts/jobCommand';
import { runJobCommand } from '../../orchestrations/jobs/jobCommandRunner';
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
    await runJobCommand(context, command);
  },
});
