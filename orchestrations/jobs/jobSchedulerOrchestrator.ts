// The job scheduler of one cluster: a singleton orchestration that serialises scheduling decisions (so two jobs
// can never be granted the same node). It runs a scheduling pass (activity), then waits for a 'schedule' signal
// sent after that pass was asked for, or for the next periodic check, then runs the next pass; every
// `passesPerExecution` passes it continues as new (bounded history). A signal carries when it was sent
// (`ScheduleSignal`): one sent before the pass was asked for announced a change the pass read, so it is consumed
// without another pass; a burst of N signals (500 jobs submitted at once, or many exits during a pass) costs one
// pass, not N, and the stale ones cost no round trip. It ends when a pass finds no queued or running job and no
// newer signal is in; the next queued job starts it again. Version 1.4 on it no longer ends when idle (below).
//
// No wait for signals is yielded twice (version 1.2 on). durable-functions lists a wait once per yield and hands
// an event to the newest entry of its name; a wait left open by the periodic check and yielded again was listed
// twice, so once it had taken a signal its stale entry could take the next one, sent during the pass that signal
// started, and that signal was lost: its job waited for the next check, 10 s later. Instances from before 1.2
// keep that path (their histories were written by it).
//
// An idle scheduler stays (version 1.4 on): it waits for the next signal, with a pass an hour to notice that its
// cluster was deleted, and ends only then. Ending when idle lost signals: a sender found it running and raised its
// signal, the scheduler ended (its last pass had read the queue before the sender's job was recorded), and an event
// for an ended instance is dropped, here as on Azure (the client's raiseEvent even reports success). The job then
// waited for its lifecycle's re-check, 30 s later. A waiting instance costs nothing but its record.
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
import { compareVersions } from '../../shared/domain/versionOrder';

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

/** Instances from this version on never yield a wait twice (above). */
export const singleYieldWaitsSince = '1.2';

/** Instances from this version on wait when idle instead of ending (above). */
export const idleWaitsSince = '1.4';

/** An idle scheduler's pass comes this often without a signal (to end once its cluster is deleted). */
export const idleCheckMs = 60 * 60 * 1000;

/** Whether a signal (a completed wait's result) was sent at or after the pass was asked for. */
function newerThan(wait: Task, passAskedAt: Date): boolean {
  return !isoBefore((wait.result as ScheduleSignal | undefined)?.sentAt, passAskedAt);
}

/** The scheduler of instances before 1.2, kept for those still running. */
function* reusedWaitScheduler(
  context: OrchestrationContext,
  input: JobSchedulerInput,
): Generator<Task, unknown> {
  let open: Task | undefined;
  for (let pass = 1; ; pass++) {
    const askedAt = context.df.currentUtcDateTime;
    const result = (yield context.df.callActivityWithRetry(
      scheduleJobsActivityName,
      retry,
      input.clusterKey,
    )) as ScheduleJobsResult;
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
}

export const jobSchedulerOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<JobSchedulerInput>();
  if (compareVersions(context.df.version, singleYieldWaitsSince) < 0)
    return yield* reusedWaitScheduler(context, input);
  const waitsWhenIdle = compareVersions(context.df.version, idleWaitsSince) >= 0;
  // Waits the periodic check left open: each was yielded once and is only looked at, never yielded again. The
  // newest takes the next signal while a pass runs (or the one after, and so on).
  let leftOpen: Task[] = [];
  for (let pass = 1; ; pass++) {
    const askedAt = context.df.currentUtcDateTime;
    const result = (yield context.df.callActivityWithRetry(
      scheduleJobsActivityName,
      retry,
      input.clusterKey,
    )) as ScheduleJobsResult;
    let signalled = leftOpen.some((wait) => wait.isCompleted && newerThan(wait, askedAt));
    leftOpen = leftOpen.filter((wait) => !wait.isCompleted);
    const idle = result.activeJobs === 0;
    if (idle && result.clusterGone && waitsWhenIdle) return 'clusterDeleted';
    // Nothing queued or running: wait for the next signal (before 1.4: end, unless a newer signal is already in; a
    // timer due now loses to it).
    const now = context.df.currentUtcDateTime;
    const due = !idle
      ? secondsAfter(now, result.nextCheckMs / 1000)
      : waitsWhenIdle
        ? secondsAfter(now, idleCheckMs / 1000)
        : now;
    while (!signalled) {
      const wait = context.df.waitForExternalEvent(scheduleEvent);
      const timer: TimerTask = context.df.createTimer(due);
      if ((yield context.df.Task.any([wait, timer])) === timer) {
        leftOpen.push(wait);
        break;
      }
      timer.cancel();
      signalled = newerThan(wait, askedAt); // an older one is consumed: the pass read its change
    }
    if (idle && !signalled && !waitsWhenIdle) return 'idle';
    if (pass >= passesPerExecution) {
      context.df.continueAsNew(input);
      return undefined;
    }
  }
};

df.app.orchestration(jobSchedulerName, jobSchedulerOrchestrator);
