// Wakes a singleton orchestration that ends when it has nothing to do (a cluster's job scheduler, a cluster's
// monitor): raises the event when the instance runs, starts it when it does not. Idempotent: an extra event only
// causes an extra pass. Two callers racing to start it: the loser's start fails and it signals instead.
import type { InvocationContext } from '@azure/functions';
import { durableClientOf } from './durableClientOf';

const active = new Set(['Running', 'Pending', 'ContinuedAsNew', 'Suspended']);

/** Whether an instance of this runtime status is still there to take events (not ended, failed or gone). */
export function isActiveStatus(runtimeStatus: unknown): boolean {
  return active.has(String(runtimeStatus));
}

export interface WakeTarget {
  orchestrator: string;
  instanceId: string;
  /** The input of a new instance. */
  input: unknown;
  event: string;
  eventData: unknown;
}

export async function startOrSignal(context: InvocationContext, target: WakeTarget): Promise<void> {
  const client = durableClientOf(context);
  const { instanceId } = target;
  const status = await client.getStatus(instanceId).catch(() => undefined);
  if (!status || !isActiveStatus(status.runtimeStatus)) {
    try {
      await client.startNew(target.orchestrator, { instanceId, input: target.input });
      return;
    } catch (error: unknown) {
      context.warn(`Starting ${instanceId} failed (${(error as Error).message}); signalling it instead.`);
    }
  }
  await client.raiseEvent(instanceId, target.event, target.eventData);
}
