// The job scheduler of one cluster: a singleton orchestration that serialises scheduling decisions (so two jobs
// can never be granted the same node). Each episode runs one scheduling pass (activity), then waits for a
// 'schedule' signal or the next periodic check, then continues as new (bounded history). It ends when the cluster
// has no queued or running job; the next queued job starts it again. Signals that arrived before a pass are all
// answered by it: the episode consumes them first, so a burst of N signals costs one pass, not N; signals that
// arrive during a pass ask for one more.
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
 * Consumes the 'schedule' signals already received when the episode began (carried over by continue-as-new, or
 * sent while it started): a timer due now loses to events that are already in the history, and wins once they are
 * all taken. A signal that arrives in a later episode, before that timer fired, ends the drain too: under a steady
 * stream of signals a new timer per signal would lose to the next signal again and again, and the pass would wait
 * for a lull. Returns the wait left open when the timer won: the library hands a signal to the newest open wait of
 * its name, so that wait, not a later one, receives the next signal, and the caller must watch it.
 */
function* drainSignals(context: OrchestrationContext): Generator<Task, Task | undefined, unknown> {
  const began = context.df.currentUtcDateTime.getTime();
  for (;;) {
    const signal = context.df.waitForExternalEvent(scheduleEvent);
    const now: TimerTask = context.df.createTimer(context.df.currentUtcDateTime);
    const winner: unknown = yield context.df.Task.any([signal, now]);
    if (winner === now) return signal;
    now.cancel();
    if (context.df.currentUtcDateTime.getTime() > began) return undefined;
  }
}

export const jobSchedulerOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<JobSchedulerInput>();
  const open = yield* drainSignals(context);
  const result: ScheduleJobsResult = yield context.df.callActivityWithRetry(
    scheduleJobsActivityName,
    retry,
    input.clusterKey,
  );
  // A signal sent while the pass ran has completed the open wait already: the next pass at once.
  const signal = open ?? context.df.waitForExternalEvent(scheduleEvent);
  if (!signal.isCompleted) {
    // Nothing queued or running: end, unless a signal is already in (a timer due now loses to it).
    // Otherwise: the next signal, or the periodic check.
    const due = result.activeJobs === 0 ? context.df.currentUtcDateTime : undefined;
    const timer: TimerTask = context.df.createTimer(
      due ?? secondsAfter(context.df.currentUtcDateTime, result.nextCheckMs / 1000),
    );
    const winner: unknown = yield context.df.Task.any([timer, signal]);
    if (winner === timer && result.activeJobs === 0) return 'idle';
    if (winner !== timer) timer.cancel();
  }
  context.df.continueAsNew(input);
  return undefined;
};

df.app.orchestration(jobSchedulerName, jobSchedulerOrchestrator);
