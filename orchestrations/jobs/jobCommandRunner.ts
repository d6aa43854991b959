// Carries out a job command, wherever it comes from (the job-commands queue trigger, or the resource API's HTTP
// functions directly): 'start' starts the job's lifecycle orchestration, one per job GUID (an existing one, running
// or finished, is left alone: a redelivered or repeated command changes nothing), then asks the cluster's scheduler
// for a pass; 'terminate' raises terminate to the lifecycle. The API's submissions start a new job's lifecycle
// before its record exists (`startJobLifecycle`), and end it if the record is not created.
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

type LifecycleCommand = Pick<JobCommand, 'kind' | 'job' | 'jobUuid' | 'clusterKey'>;

/** Starts a job's lifecycle without asking whether it exists: for a new GUID (the API's submissions). */
export async function startJobLifecycle(
  context: InvocationContext,
  command: LifecycleCommand,
): Promise<void> {
  const input: JobLifecycleInput = {
    job: command.job,
    jobUuid: command.jobUuid,
    clusterKey: command.clusterKey,
  };
  await durableClientOf(context).startNew(jobLifecycleName, {
    instanceId: jobLifecycleInstanceId(command.jobUuid),
    input,
  });
}

/** Ends the lifecycle of a job whose record was never created (its name was taken). */
export async function abandonJobLifecycle(context: InvocationContext, jobUuid: string): Promise<void> {
  await durableClientOf(context).terminate(jobLifecycleInstanceId(jobUuid), 'The job was not created.');
}

export async function runJobCommand(context: InvocationContext, command: LifecycleCommand): Promise<void> {
  const client = durableClientOf(context);
  const instanceId = jobLifecycleInstanceId(command.jobUuid);
  if (command.kind === 'terminate') {
    await client.raiseEvent(instanceId, terminateEvent, {});
    return;
  }
  if (!(await client.getStatus(instanceId).catch(() => undefined))) await startJobLifecycle(context, command);
  // Once its lifecycle exists, the job can be granted: ask the cluster's scheduler for a pass.
  await requestJobScheduling(command.clusterKey, context);
}
