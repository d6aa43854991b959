// The cluster monitor: one long-running orchestration per cluster. Each episode reconciles once (activity), then
// waits for the next check or a 'clusterChanged' event, then continues as new (bounded history). It ends when the
// cluster is released. A pass that fails all its retries is tried again 30 s later (version 1.2 on).
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import {
  clusterChangedEvent,
  clusterMonitorName,
  reconcileClusterActivityName,
  type ReconcileInput,
  type ReconcileResult,
} from './clusterMonitorContract';
import { millisecondsAfter } from './timerDeadline';
import { compareVersions } from '../../shared/domain/versionOrder';

const retry = new df.RetryOptions(2_000, 5);

/** After a pass that failed all its retries, the next one comes this much later (or at the next change). */
export const failedPassRetryMs = 30_000;

/** Version 1.2 on: a pass that fails all its retries is tried again later; before, the monitor failed with it. */
function survivesFailedPasses(context: OrchestrationContext): boolean {
  return compareVersions(context.df.version, '1.2') >= 0;
}

/** Waits until `delayMs` passed or the cluster changed. */
function* nextCheck(context: OrchestrationContext, delayMs: number): Generator<Task, void, unknown> {
  const timer = context.df.createTimer(millisecondsAfter(context.df.currentUtcDateTime, delayMs));
  const changed = context.df.waitForExternalEvent(clusterChangedEvent);
  const winner: unknown = yield context.df.Task.any([timer, changed]);
  if (winner !== timer) timer.cancel();
}

export const clusterMonitor: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<ReconcileInput>();
  let result: ReconcileResult;
  try {
    result = (yield context.df.callActivityWithRetry(
      reconcileClusterActivityName,
      retry,
      input,
    )) as ReconcileResult;
  } catch (error: unknown) {
    // Resource Manager throttling, the database briefly down: the monitor must outlive it (nothing else reconciles
    // the cluster, and its changes would reach no one), so it waits and tries again with the same input.
    if (!survivesFailedPasses(context)) throw error;
    yield* nextCheck(context, failedPassRetryMs);
    context.df.continueAsNew(input);
    return undefined;
  }
  if (result.released) return 'released';
  yield* nextCheck(context, result.nextCheckMs);
  context.df.continueAsNew({
    ...input,
    firstPass: false,
    definitionHash: result.definitionHash,
    previousPassAt: result.passAt,
    heartbeatsDueFrom: result.heartbeatsDueFrom,
  });
  return undefined;
};

df.app.orchestration(clusterMonitorName, clusterMonitor);
