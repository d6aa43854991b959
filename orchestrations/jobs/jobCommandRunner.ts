// Carries out a job command, wherever it comes from (the job-commands queue trigger, or the resource API's HTTP
// functions directly): 'start' starts the job's lifecycle orchestration, one per job GUID (an existing one, running
// or finished, is left alone: a redelivered or repeated command changes nothing), then asks the cluster's scheduler
// for a pass; 'terminate' raises terminate to the lifecycle. The API's submissions start a new job's lifecycle
// before its record exists (`startJobLifecycle`), and end it if the record is not created.
import type { InvocationContext } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
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

/** Orchestration states after which an instance runs no more (it can be started again under its id). */
const endedStatuses = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

/**
 * Starts a job's lifecycle again when the one it had has ended (completed, failed, terminated, or gone with its task
 * hub) while the job's record says it is not finished: the new one takes the job up from its record (`adopt`). True
 * when it started one; false when a lifecycle is running (or was started meanwhile by someone else).
 */
export async function restartJobLifecycle(
  client: DurableClient,
  input: Omit<JobLifecycleInput, 'watching' | 'adopt'>,
): Promise<boolean> {
  const instanceId = jobLifecycleInstanceId(input.jobUuid);
  const running = async (): Promise<boolean> => {
    const status = await client.getStatus(instanceId).catch(() => undefined); // 404 throws: none
    return status !== undefined && !endedStatuses.has(String(status.runtimeStatus));
  };
  if (await running()) return false;
  const adopted: JobLifecycleInput = {
    job: input.job,
    jobUuid: input.jobUuid,
    clusterKey: input.clusterKey,
    adopt: true,
  };
  try {
    await client.startNew(jobLifecycleName, { instanceId, input: adopted });
    return true;
  } catch (error: unknown) {
    if (await running()) return false; // started by another caller in the meantime (409)
    throw error;
  }
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
