// Wakes a cluster's job scheduler: signals it when it runs, starts it when it does not (it ends when its cluster
// has nothing queued or running). Idempotent: an extra signal only causes an extra scheduling pass.
import * as df from 'durable-functions';
import type { InvocationContext } from '@azure/functions';
import {
  jobSchedulerInstanceId,
  jobSchedulerName,
  requestJobSchedulingActivityName,
  scheduleEvent,
  type JobSchedulerInput,
} from './jobLifecycleContract';

const active = new Set(['Running', 'Pending', 'ContinuedAsNew', 'Suspended']);

export async function requestJobScheduling(clusterKey: string, context: InvocationContext): Promise<void> {
  const client = df.getClient(context);
  const instanceId = jobSchedulerInstanceId(clusterKey);
  const status = await client.getStatus(instanceId).catch(() => undefined);
  if (!status || !active.has(String(status.runtimeStatus))) {
    const input: JobSchedulerInput = { clusterKey };
    try {
      await client.startNew(jobSchedulerName, { instanceId, input });
      return;
    } catch (error: unknown) {
      // Another job started it a moment ago: signalling it is what we wanted anyway.
      context.warn(`Starting ${instanceId} failed (${(error as Error).message}); signalling it instead.`);
    }
  }
  await client.raiseEvent(instanceId, scheduleEvent, {});
}

df.app.activity(requestJobSchedulingActivityName, {
  extraInputs: [df.input.durableClient()],
  handler: (clusterKey: string, context: InvocationContext) => requestJobScheduling(clusterKey, context),
});
