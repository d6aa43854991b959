// Wakes a cluster's job scheduler: signals it when it runs, starts it when it does not (not yet started, its
// cluster deleted and created again, or an instance from before version 1.4 that ended idle). Idempotent: an extra
// signal only causes an extra scheduling pass.
import * as df from 'durable-functions';
import type { InvocationContext } from '@azure/functions';
import { startOrSignal } from '../startOrSignal';
import {
  jobSchedulerInstanceId,
  jobSchedulerName,
  requestJobSchedulingActivityName,
  scheduleEvent,
  type JobSchedulerInput,
  type ScheduleSignal,
} from './jobLifecycleContract';

export async function requestJobScheduling(clusterKey: string, context: InvocationContext): Promise<void> {
  const input: JobSchedulerInput = { clusterKey };
  await startOrSignal(context, {
    orchestrator: jobSchedulerName,
    instanceId: jobSchedulerInstanceId(clusterKey),
    input,
    event: scheduleEvent,
    eventData: scheduleSignalNow(),
  });
}

/** A `schedule` signal sent now (after the change it announces was written). */
export function scheduleSignalNow(): ScheduleSignal {
  return { sentAt: new Date().toISOString() };
}

df.app.activity(requestJobSchedulingActivityName, {
  extraInputs: [df.input.durableClient()],
  handler: (clusterKey: string, context: InvocationContext) => requestJobScheduling(clusterKey, context),
});
