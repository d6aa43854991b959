// Carries out a job command, wherever it comes from (the job-commands queue trigger, or the resource API's HTTP
// functions directly): 'start' starts the job's lifecycle orchestration, one per job GUID (an existing one, running
// or finished, is left alone: a redelivered or repeated command changes nothing), then asks the cluster's scheduler
// for a pass; 'terminate' raises terminate to the lifecycle.
import type { InvocationContext } from '@azure/functions';
import type { JobCommand } from '../../shared/contracts/jobCommand';
import {
  jobLifecycleInstanceId,
  jobLifecycleName,
  terminateEvent,
  type JobLifecycleInput,
} from './jobLifecycleContract';
import { requestJobScheduling } from './requestJobSchedulingActivity';
import { durableClientOf } from '../durableClientOf';

/**
 * `lifecycleIsNew`: the caller has just created the job's record with a new GUID, so its lifecycle cannot exist yet
 * and is started without asking (one Durable client call less per submitted job).
 */
export async function runJobCommand(
  context: InvocationContext,
  command: Pick<JobCommand, 'kind' | 'job' | 'jobUuid' | 'clusterKey'>,
  lifecycleIsNew = false,
): Promise<void> {
  const client = durableClientOf(context);
  const instanceId = jobLifecycleInstanceId(command.jobUuid);
  if (command.kind === 'terminate') {
    await client.raiseEvent(instanceId, terminateEvent, {});
    return;
  }
  if (lifecycleIsNew || !(await client.getStatus(instanceId).catch(() => undefined))) {
    const input: JobLifecycleInput = {
      job: command.job,
      jobUuid: command.jobUuid,
      clusterKey: command.clusterKey,
    };
    await client.startNew(jobLifecycleName, { instanceId, input });
  }
  // Once its lifecycle exists, the job can be granted: ask the cluster's scheduler for a pass.
  await requestJobScheduling(command.clusterKey, context);
}
