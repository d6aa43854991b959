// Carries out a job command, wherever it comes from (the job-commands queue trigger, or the resource API's HTTP
// functions directly): 'start' asks the cluster's scheduler for a pass (a queued job has no lifecycle
// orchestration: the scheduler starts it when it grants the job nodes); 'terminate' raises terminate to the
// lifecycle. A redelivered or repeated command changes nothing but an extra pass. `restartJobLifecycle` starts again
// the lifecycle of a job that still holds nodes after its lifecycle ended.
import type { InvocationContext } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
import type { JobCommand } from '../../shared/contracts/jobCommand';
import {
  jobLifecycleInstanceId,
  jobLifecycleName,
  terminateEvent,
  type JobLifecycleInput,
} from './jobLifecycleContract';
import { raiseToLifecycle } from './raiseToLifecycle';
import { requestJobScheduling } from './requestJobSchedulingActivity';
import { durableClientOf } from '../durableClientOf';
import { runInTraceContext } from '../../shared/telemetry/traceContextPropagation';

type LifecycleCommand = Pick<JobCommand, 'kind' | 'job' | 'jobUuid' | 'clusterKey'>;

/** Orchestration states after which an instance runs no more (it can be started again under its id). */
const endedStatuses = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

/**
 * Starts a job's lifecycle again when the one it had has ended (completed, failed, terminated, or gone with its task
 * hub) while the job's record says it is not finished: the new one takes the job up from its record (`adopt`). True
 * when it started one; false when a lifecycle is running (or was started meanwhile by someone else). `trace`: the
 * job's (its submission's, on its record): the new lifecycle's work stays in the job's trace, not its starter's.
 */
export async function restartJobLifecycle(
  client: DurableClient,
  input: Omit<JobLifecycleInput, 'watching' | 'adopt'>,
  trace?: { traceParent: string; traceState?: string },
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
    await runInTraceContext(trace, () => client.startNew(jobLifecycleName, { instanceId, input: adopted }));
    return true;
  } catch (error: unknown) {
    if (await running()) return false; // started by another caller in the meantime (409)
    throw error;
  }
}

export async function runJobCommand(context: InvocationContext, command: LifecycleCommand): Promise<void> {
  if (command.kind === 'terminate') {
    // A job granted a moment ago may not have its lifecycle yet (it is started just after the launch).
    await raiseToLifecycle(
      durableClientOf(context),
      jobLifecycleInstanceId(command.jobUuid),
      terminateEvent,
      {},
    );
    return;
  }
  await requestJobScheduling(command.clusterKey, context);
}
