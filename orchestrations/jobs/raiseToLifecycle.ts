// Raises an event to a job's lifecycle that may not be there yet. The scheduler starts a job's lifecycle with its
// grant just after it launched the job's first processes, so a process that ends at once can have its exit
// reported before the lifecycle exists: the Durable client then answers 404 ("No instance with ID ... found").
// Such an exit is raised again after a short wait, a few times, instead of being left to the lifecycle's first
// node check (30 s later). A lifecycle that ended takes the event silently (410), as before.
import type { DurableClient } from 'durable-functions';

/** Waits before each new try while the lifecycle is not there: about 1.5 s in all. */
export const missingLifecycleRetryMs: readonly number[] = [20, 50, 100, 200, 400, 800];

/** The durable-functions client's error for a raise to an instance that does not exist (HTTP 404). */
export function isMissingInstance(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('No instance with ID ');
}

export async function raiseToLifecycle(
  client: Pick<DurableClient, 'raiseEvent'>,
  instanceId: string,
  eventName: string,
  data: unknown,
  retryMs: readonly number[] = missingLifecycleRetryMs,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await client.raiseEvent(instanceId, eventName, data);
      return;
    } catch (error: unknown) {
      if (attempt >= retryMs.length || !isMissingInstance(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, retryMs[attempt]));
    }
  }
}
