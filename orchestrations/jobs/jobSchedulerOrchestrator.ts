// The job scheduler of one cluster: a singleton orchestration that serialises scheduling decisions (so two jobs
// can never be granted the same node). Each episode runs one scheduling pass (activity), then waits for a
// 'schedule' signal or the next periodic check, then continues as new (bounded history). It ends when the cluster
// has no queued or running job; the next queued job starts it again. Signals that arrived before a pass are all
// answered by it: the episode consumes them first, so a burst of N signals costs one pass, not N.
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler, Task, TimerTask } from 'durable-functions';
import {
  jobSchedulerName,
  scheduleEvent,
  scheduleJobsActivityName,
  type JobSchedulerInput,
  type ScheduleJobsResult,
} from './jobLifecycleContract';
import { secondsAfter } from './orchestrationTime';

const retry = new df.RetryOptions(2_000, 5);

/**
 * Consumes every 'schedule' signal already received (carried over by continue-as-new, or sent while the episode
 * started): a timer due now loses to events that are already in the history, and wins once they are all taken.
 */
function* drainSignals(context: OrchestrationContext): Generator<Task, number, unknown> {
  let drained = 0;
  for (;;) {
    const signal = context.df.waitForExternalEvent(scheduleEvent);
    const now: TimerTask = context.df.createTimer(context.df.currentUtcDateTime);
    const winner: unknown = yield context.df.Task.any([signal, now]);
    if (winner === now) return drained;
    now.cancel();
    drained++;
  }
}

export const jobSchedulerOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<JobSchedulerInput>();
  yield* drainSignals(context);
  const result: ScheduleJobsResult = yield context.df.callActivityWithRetry(
    scheduleJobsActivityName,
    retry,
    input.clusterKey,
  );
  if (result.activeJobs === 0) {
    // A job queued while this pass ran has signalled already: end only when no signal came meanwhile.
    if ((yield* drainSignals(context)) === 0) return 'idle';
    context.df.continueAsNew(input);
    return undefined;
  }
  const timer: TimerTask = context.df.createTimer(
    secondsAfter(context.df.currentUtcDateTime, result.nextCheckMs / 1000),
  );
  const signal = context.df.waitForExternalEvent(scheduleEvent);
  const winner: unknown = yield context.df.Task.any([timer, signal]);
  if (winner !== timer) timer.cancel();
  context.df.continueAsNew(input);
  return undefined;
};

df.app.orchestration(jobSchedulerName, jobSchedulerOrchestrator);
