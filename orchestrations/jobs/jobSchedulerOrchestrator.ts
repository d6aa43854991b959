// The job scheduler of one cluster: a singleton orchestration that serialises scheduling decisions (so two jobs
// can never be granted the same node). It runs a scheduling pass (activity), then waits for a 'schedule' signal
// sent after that pass was asked for, or for the next periodic check, then runs the next pass; every
// `passesPerExecution` passes it continues as new (bounded history). A signal carries when it was sent
// (`ScheduleSignal`): one sent before the pass was asked for announced a change the pass read, so it is consumed
// without another pass; a burst of N signals (500 jobs submitted at once, or many exits during a pass) costs one
// pass, not N, and the stale ones cost no round trip. It ends when a pass finds no queued or running job and no
// newer signal is in; the next queued job starts it again.
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler, Task, TimerTask } from 'durable-functions';
import {
  jobSchedulerName,
  scheduleEvent,
  scheduleJobsActivityName,
  type JobSchedulerInput,
  type ScheduleJobsResult,
  type ScheduleSignal,
} from './jobLifecycleContract';
import { isoBefore, secondsAfter } from './orchestrationTime';

const retry = new df.RetryOptions(2_000, 5);
/** Passes per execution before continuing as new: each adds a few history events that every replay reads. */
export const passesPerExecution = 10;

interface PassDue {
  /** A newer signal came (false: the timer won). */
  signalled: boolean;
  /**
   * The wait left open when the timer won. durable-functions hands an event to the newest open wait of its name,
   * so this wait, not a later one, receives the next signal (during the next pass, say): it must be watched.
   */
  open?: Task;
}

/**
 * Waits until the next pass is due: a signal sent at or after `passAskedAt` (older ones are consumed: the pass
 * read their change), or the `due` timer. `pending`: the wait an earlier call left open.
 */
function* nextPassDue(
  context: OrchestrationContext,
  passAskedAt: Date,
  due: Date,
  pending: Task | undefined,
): Generator<Task, PassDue, unknown> {
  let signal = pending ?? context.df.waitForExternalEvent(scheduleEvent);
  for (;;) {
    if (!signal.isCompleted) {
      const timer: TimerTask = context.df.createTimer(due);
      const winner: unknown = yield context.df.Task.any([signal, timer]);
      if (winner === timer) return { signalled: false, open: signal };
      timer.cancel();
    }
    const data = signal.result as ScheduleSignal | undefined;
    if (!isoBefore(data?.sentAt, passAskedAt)) return { signalled: true };
    signal = context.df.waitForExternalEvent(scheduleEvent);
  }
}

export const jobSchedulerOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<JobSchedulerInput>();
  let open: Task | undefined;
  for (let pass = 1; ; pass++) {
    const askedAt = context.df.currentUtcDateTime;
    const result: ScheduleJobsResult = yield context.df.callActivityWithRetry(
      scheduleJobsActivityName,
      retry,
      input.clusterKey,
    );
    const idle = result.activeJobs === 0;
    // Nothing queued or running: end, unless a newer signal is already in (a timer due now loses to it).
    const now = context.df.currentUtcDateTime;
    const due = idle ? now : secondsAfter(now, result.nextCheckMs / 1000);
    const next: PassDue = yield* nextPassDue(context, askedAt, due, open);
    open = next.open;
    if (idle && !next.signalled) return 'idle';
    if (pass >= passesPerExecution) {
      context.df.continueAsNew(input);
      return undefined;
    }
  }
};

df.app.orchestration(jobSchedulerName, jobSchedulerOrchestrator);
