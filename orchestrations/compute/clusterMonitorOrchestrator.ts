// The cluster monitor: one long-running orchestration per cluster. Each episode reconciles once (activity), then
// waits for the next check or a 'clusterChanged' event, then continues as new (bounded history). It ends when the
// cluster is released.
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import {
  clusterChangedEvent,
  clusterMonitorName,
  reconcileClusterActivityName,
  type ReconcileInput,
  type ReconcileResult,
} from './clusterMonitorContract';
import { millisecondsAfter } from './timerDeadline';

const retry = new df.RetryOptions(2_000, 5);

export const clusterMonitor: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<ReconcileInput>();
  const result: ReconcileResult = yield context.df.callActivityWithRetry(
    reconcileClusterActivityName,
    retry,
    input,
  );
  if (result.released) return 'released';
  const timer = context.df.createTimer(millisecondsAfter(context.df.currentUtcDateTime, result.nextCheckMs));
  const changed = context.df.waitForExternalEvent(clusterChangedEvent);
  const winner: unknown = yield context.df.Task.any([timer, changed]);
  if (winner !== timer) timer.cancel();
  context.df.continueAsNew({ ...input, firstPass: false, definitionHash: result.definitionHash });
  return undefined;
};

df.app.orchestration(clusterMonitorName, clusterMonitor);
