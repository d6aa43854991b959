// The file server monitor: one orchestration per file server while it is being provisioned or removed. Each
// episode reconciles once (activity), then waits for the next check or a 'fileServerChanged' event (a delete
// requested while it is being made), then continues as new (bounded history). It ends when the server is ready,
// failed, or gone with its record.
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import {
  fileServerChangedEvent,
  fileServerMonitorName,
  reconcileFileServerActivityName,
  type FileServerMonitorInput,
  type FileServerReconcileResult,
} from './fileServerMonitorContract';
import { millisecondsAfter } from './timerDeadline';

const retry = new df.RetryOptions(2_000, 5);

export const fileServerMonitor: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<FileServerMonitorInput>();
  const result: FileServerReconcileResult = yield context.df.callActivityWithRetry(
    reconcileFileServerActivityName,
    retry,
    input,
  );
  if (result.done) return result.state;
  const timer = context.df.createTimer(millisecondsAfter(context.df.currentUtcDateTime, result.nextCheckMs));
  const changed = context.df.waitForExternalEvent(fileServerChangedEvent);
  const winner: unknown = yield context.df.Task.any([timer, changed]);
  if (winner !== timer) timer.cancel();
  context.df.continueAsNew(input);
  return undefined;
};

df.app.orchestration(fileServerMonitorName, fileServerMonitor);
