// The lifecycle of one job: wait for the cluster's scheduler to grant nodes, run the job preparation and then the
// toolkit's processes on the node agents, watch their exits, the wall-clock limit and termination requests, record
// the result on the job (checked against the attempt and the record's ETag), and give the nodes back.
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler, Task, TimerTask } from 'durable-functions';
import { attemptOutcome, taskFailed } from './attemptOutcome';
import {
  completeJobAttemptActivityName,
  jobLifecycleName,
  launchJobTasksActivityName,
  nodesGrantedEvent,
  readJobStateActivityName,
  requestJobSchedulingActivityName,
  stopJobTasksActivityName,
  terminateEvent,
  type AttemptOutcome,
  type CompleteJobAttemptInput,
  type JobLifecycleInput,
  type JobStateView,
  type LaunchedTask,
  type LaunchJobTasksInput,
  type LaunchJobTasksResult,
  type NodesGranted,
  type StopJobTasksInput,
  type TaskExit,
  type TaskPhase,
} from './jobLifecycleContract';
import { secondsAfter } from './orchestrationTime';

const retry = new df.RetryOptions(2_000, 5);
/** A queued job re-checks its record this often (a missed grant or a termination while queued ends the wait). */
const queuedRecheckSeconds = 30;
/** After SIGTERM, tasks get this long to exit before SIGKILL (Batch AI and Azure eviction notices give 30 s). */
const stopGraceSeconds = 30;

interface TaskEventPayload {
  kind?: string;
  exitCode?: number;
  signal?: string;
  reason?: string;
}

type PhaseEnd =
  | { kind: 'exited'; exits: Record<string, TaskExit> }
  | { kind: 'terminated'; exits: Record<string, TaskExit> }
  | { kind: 'wallClockExceeded'; exits: Record<string, TaskExit> };

export const jobLifecycleOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<JobLifecycleInput>();
  const instanceId = context.df.instanceId;

  // 1. Queued: ask the scheduler for nodes and wait for the grant (or notice the job ended while queued).
  yield context.df.callActivityWithRetry(requestJobSchedulingActivityName, retry, input.clusterKey);
  const grantedEvent = context.df.waitForExternalEvent(nodesGrantedEvent);
  const recheck = context.df.createTimer(secondsAfter(context.df.currentUtcDateTime, queuedRecheckSeconds));
  const first: Task = yield context.df.Task.any([grantedEvent, recheck]);
  let granted: NodesGranted;
  if (first === grantedEvent) {
    recheck.cancel();
    granted = grantedEvent.result as NodesGranted;
  } else {
    const view: JobStateView = yield context.df.callActivityWithRetry(readJobStateActivityName, retry, input);
    if (view.state === 'queued') {
      context.df.continueAsNew(input);
      return undefined;
    }
    if (view.state !== 'running') return `The job is ${view.state}; nothing to run.`;
    granted = { attempt: view.attempt, nodeIds: view.nodeIds };
  }
  const attempt = granted.attempt;

  // 2. Running: job preparation on every node, then the toolkit's processes.
  const terminate = context.df.waitForExternalEvent(terminateEvent);
  let outcome: AttemptOutcome | undefined;
  let deadline: Date | undefined;
  for (const phase of ['preparation', 'main'] as TaskPhase[]) {
    const launchInput: LaunchJobTasksInput = { lifecycle: input, instanceId, attempt, phase };
    const launched: LaunchJobTasksResult = yield context.df.callActivityWithRetry(
      launchJobTasksActivityName,
      retry,
      launchInput,
    );
    if (launched.failure) {
      outcome = { kind: 'failed', code: launched.failure.code, message: launched.failure.message };
      break;
    }
    deadline ??= secondsAfter(context.df.currentUtcDateTime, launched.maxWallClockSeconds);
    if (launched.tasks.length === 0) continue;
    const end: PhaseEnd = yield* watchTasks(context, input, launched.tasks, terminate, deadline);
    if (end.kind === 'terminated') outcome = { kind: 'terminated' };
    else if (end.kind === 'wallClockExceeded') {
      outcome = { kind: 'wallClockExceeded', maxWallClockSeconds: launched.maxWallClockSeconds };
    } else {
      const result = attemptOutcome(
        launched.tasks,
        end.exits,
        phase === 'preparation' ? 'JobPreparationFailed' : 'JobFailed',
      );
      if (result.kind === 'failed' || phase === 'main') outcome = result;
    }
    if (outcome) break;
  }

  // 3. Record the result (a stale attempt cannot overwrite a newer one) and give the nodes back.
  const completion: CompleteJobAttemptInput = {
    lifecycle: input,
    attempt,
    outcome: outcome ?? { kind: 'succeeded', exitCode: 0 },
  };
  const final: JobStateView = yield context.df.callActivityWithRetry(
    completeJobAttemptActivityName,
    retry,
    completion,
  );
  yield context.df.callActivityWithRetry(requestJobSchedulingActivityName, retry, input.clusterKey);
  return final.state;
};

/**
 * Waits until every task exited, a task failed (the others are then stopped), the wall clock ran out or the user
 * terminated the job (tasks stopped: SIGTERM, then SIGKILL after the grace period).
 */
function* watchTasks(
  context: OrchestrationContext,
  input: JobLifecycleInput,
  tasks: LaunchedTask[],
  terminate: Task,
  deadline: Date,
): Generator<Task, PhaseEnd, unknown> {
  const exits: Record<string, TaskExit> = {};
  const waits = new Map<string, Task>(
    tasks.map((task) => [task.taskId, context.df.waitForExternalEvent(`task:${task.taskId}`)]),
  );
  let end: PhaseEnd['kind'] | undefined;
  while (waits.size > 0 && end === undefined) {
    // A timer may be yielded only once, so each round makes its own (to the same deadline) and cancels it.
    const timer: TimerTask = context.df.createTimer(deadline);
    const winner: unknown = yield context.df.Task.any([...waits.values(), terminate, timer]);
    if (winner !== timer) timer.cancel();
    if (winner === timer) end = 'wallClockExceeded';
    else if (winner === terminate) end = 'terminated';
    else {
      const taskId = [...waits.entries()].find(([, wait]) => wait === winner)?.[0] ?? '';
      const payload = ((winner as Task).result ?? {}) as TaskEventPayload;
      if (payload.kind === 'taskExited') {
        waits.delete(taskId);
        exits[taskId] = {
          taskId,
          exitCode: payload.exitCode,
          signal: payload.signal,
          reason: payload.reason,
        };
        if (taskFailed(exits[taskId])) end = 'exited';
      } else {
        waits.set(taskId, context.df.waitForExternalEvent(`task:${taskId}`)); // taskStarted: wait for the exit
      }
    }
  }
  if (waits.size > 0) {
    const running = tasks.filter((task) => waits.has(task.taskId));
    const reason =
      end === 'terminated'
        ? 'The job was terminated by the user.'
        : end === 'wallClockExceeded'
          ? 'The job exceeded its maximum wall clock time.'
          : 'Another process of the job failed.';
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      const stop: StopJobTasksInput = {
        clusterKey: input.clusterKey,
        tasks: running.filter((task) => waits.has(task.taskId)),
        signal,
        reason,
      };
      if (stop.tasks.length === 0) break;
      yield context.df.callActivityWithRetry(stopJobTasksActivityName, retry, stop);
      const graceEnd = secondsAfter(context.df.currentUtcDateTime, stopGraceSeconds);
      while (waits.size > 0) {
        const timer: TimerTask = context.df.createTimer(graceEnd);
        const winner: unknown = yield context.df.Task.any([...waits.values(), timer]);
        if (winner === timer) break;
        timer.cancel();
        const taskId = [...waits.entries()].find(([, wait]) => wait === winner)?.[0] ?? '';
        const payload = ((winner as Task).result ?? {}) as TaskEventPayload;
        if (payload.kind === 'taskExited') {
          waits.delete(taskId);
          exits[taskId] = {
            taskId,
            exitCode: payload.exitCode,
            signal: payload.signal,
            reason: payload.reason,
          };
        } else {
          waits.set(taskId, context.df.waitForExternalEvent(`task:${taskId}`));
        }
      }
    }
  }
  return { kind: end ?? 'exited', exits };
}

df.app.orchestration(jobLifecycleName, jobLifecycleOrchestrator);
