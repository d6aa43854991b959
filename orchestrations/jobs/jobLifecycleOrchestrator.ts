// The lifecycle of one job, started by the cluster's scheduler when it grants the job nodes (a requeued job's waits
// for its next grant): run the job preparation and then the toolkit's processes on the node agents, watch their
// exits, the nodes' health, the wall-clock limit and termination requests, record the result on the job (checked
// against the attempt and the record's ETag), and give the nodes back. A preempted or lost node stops the whole
// gang and puts the job back in the queue (a new attempt, up to the configured cap). Long watches and requeues
// continue as new, so the history stays bounded.
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler, Task, TimerTask } from 'durable-functions';
import { attemptOutcome, nodeLossOf, nodesHandedBack, taskFailed } from './attemptOutcome';
import {
  checkJobNodesActivityName,
  completeJobAttemptActivityName,
  jobLifecycleName,
  launchJobTasksActivityName,
  nodesGrantedEvent,
  readJobStateActivityName,
  requestJobSchedulingActivityName,
  stopJobTasksActivityName,
  terminateEvent,
  type AttemptOutcome,
  type CheckJobNodesInput,
  type CheckJobNodesResult,
  type CompleteJobAttemptInput,
  type JobLifecycleInput,
  type JobStateView,
  type LaunchJobTasksInput,
  type LaunchJobTasksResult,
  type NodesGranted,
  type StopJobTasksInput,
  type TaskExit,
  type TaskPhase,
  type WatchState,
} from './jobLifecycleContract';
import { earlierOf, instantOf, notBefore, secondsAfter, spreadOf } from './orchestrationTime';
import { compareVersions } from '../../shared/domain/versionOrder';

const retry = new df.RetryOptions(2_000, 5);

/**
 * Version 1.1 (host.json `defaultVersion`): a task exit whose reason is `nodeLost` requeues the job at once.
 * Instances of 1.0 keep their path (such an exit checked the node records first), so their histories replay.
 */
function recheckSecondsOf(input: JobLifecycleInput): number {
  const seconds = input.queuedRecheckSeconds;
  return typeof seconds === 'number' && seconds >= queuedRecheckSeconds
    ? Math.min(seconds, queuedRecheckMaxSeconds)
    : queuedRecheckSeconds;
}

function nodeLostRequeues(context: OrchestrationContext): boolean {
  return compareVersions(context.df.version, '1.1') >= 0;
}

/** Version 1.2 on: a watch continues as new after a round its timer won, not after one an event won. */
/**
 * From 1.3: an execution that follows a continue-as-new first reads what its events would have said (continue-as-new
 * keeps no events, so one delivered as the previous execution ended is lost): a queued job's record (a grant), a
 * running attempt's node check with the exits its nodes' records hold and whether the job is being terminated.
 */
function readsFirstAfterRollover(context: OrchestrationContext): boolean {
  return compareVersions(context.df.version, '1.3') >= 0;
}

/**
 * From 1.5: a node check that finds nodes lost first takes the exits that arrived while it ran (a task that ended is
 * never taken for one its node lost), and counts only the lost nodes that still run some of the attempt's tasks (a
 * node whose part ended cleanly and then went, an eviction after its last exit, does not end the attempt).
 */
function takesExitsBeforeLoss(context: OrchestrationContext): boolean {
  return compareVersions(context.df.version, '1.5') >= 0;
}

/**
 * From 1.6: a queued job's re-check comes up to a quarter of its interval later, by an amount its instance id fixes,
 * so a burst of jobs queued together does not re-check in step (1,500 jobs at once every 30, 60, 120 s...).
 */
function spreadsRechecks(context: OrchestrationContext): boolean {
  return compareVersions(context.df.version, '1.6') >= 0;
}

/** When a queued job re-checks: its interval, spread from 1.6 (see spreadsRechecks). */
function recheckDelaySeconds(context: OrchestrationContext, input: JobLifecycleInput): number {
  const seconds = recheckSecondsOf(input);
  return spreadsRechecks(context)
    ? seconds * (1 + spreadOf(`${context.df.instanceId}/${seconds}`) / 4)
    : seconds;
}

function rollsOverQuietly(context: OrchestrationContext): boolean {
  return compareVersions(context.df.version, '1.2') >= 0;
}

/**
 * Version 1.2 on: a grant that arrives while a queued job's record is read, or while the scheduler is asked again,
 * is taken (older instances: lost, see the queued phase).
 */
function grantsTakenDuringRead(context: OrchestrationContext): boolean {
  return compareVersions(context.df.version, '1.2') >= 0;
}
/**
 * A queued job re-checks its record after this long (a missed grant or a termination while queued ends the wait),
 * then twice as long each time it is still queued, up to the maximum: a queue of ten thousand jobs waiting for
 * hours costs a few re-checks a second, not hundreds.
 */
const queuedRecheckSeconds = 30;
const queuedRecheckMaxSeconds = 600;
/** After SIGTERM, tasks get this long to exit before SIGKILL (Azure's eviction notice gives 30 s too). */
const stopGraceSeconds = 30;
/** After a lifecycle failure no task events are awaited: SIGKILL follows SIGTERM after this long. */
const failureStopGraceSeconds = 10;
/**
 * A node found gone by a periodic check gets this long for its tasks' exits to arrive: a node released once its
 * tasks ended (a scale down with waitforjobcompletion) is gone by the time its last exit reaches the lifecycle.
 */
const goneNodeExitGraceSeconds = 5;

/** What an attempt has put on nodes so far: what must be stopped if the lifecycle itself fails. */
interface AttemptProgress {
  nodeIds: string[];
  tasks: { taskId: string; nodeId: string }[];
}
/** What the node-events trigger raises as `task:<taskId>` (a TaskStarted or TaskExited node event). */
interface TaskEventPayload {
  kind?: string;
  exitCode?: number;
  signal?: string;
  reason?: TaskExit['reason'];
  message?: string;
  nodeRemoval?: TaskExit['nodeRemoval'];
  time?: string;
}

function exitOf(taskId: string, payload: TaskEventPayload): TaskExit {
  return {
    taskId,
    exitCode: payload.exitCode,
    signal: payload.signal,
    reason: payload.reason,
    message: payload.message,
    nodeRemoval: payload.nodeRemoval,
    time: payload.time,
  };
}

type WatchEnd =
  | { kind: 'exited' | 'terminated' | 'wallClockExceeded'; exits: Record<string, TaskExit> }
  | {
      kind: 'preempted';
      reason: string;
      lostNodeIds: string[];
      /** False when a node was removed with nodeDeallocationOption 'terminate'. */
      requeue: boolean;
      exits: Record<string, TaskExit>;
    }
  | { kind: 'continue'; state: WatchState };

export const jobLifecycleOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<JobLifecycleInput>();
  const base: JobLifecycleInput = { job: input.job, jobUuid: input.jobUuid, clusterKey: input.clusterKey };
  const resumed = input.watching;
  let attempt: number;
  /** Unknown after a re-check of the record: the preparation phase then runs (and is empty without one). */
  let hasPreparation = true;
  let launchedAtGrant: NodesGranted['launched'];
  const progress: AttemptProgress = { nodeIds: [], tasks: [] };

  if (resumed) {
    attempt = resumed.attempt;
    progress.tasks = resumed.tasks.map(({ taskId, nodeId }) => ({ taskId, nodeId }));
    progress.nodeIds = [...new Set(progress.tasks.map((task) => task.nodeId))];
  } else if (input.granted) {
    // 1. Started by the scheduler's grant: a queued job has no lifecycle before it.
    attempt = input.granted.attempt;
    progress.nodeIds = input.granted.nodeIds;
    hasPreparation = input.granted.hasPreparation !== false;
    launchedAtGrant = input.granted.launched;
  } else {
    // 1. Queued (a job requeued after a preemption, or one queued by code from before queued jobs had no
    // lifecycle): wait for the scheduler's grant (CompleteJobAttempt asked for a pass after the requeue), or
    // notice the job ended while queued. A lifecycle started again for a job whose lifecycle had ended (`adopt`)
    // reads the record at once.
    let granted: NodesGranted | undefined;
    let grantedEvent: Task | undefined;
    // A grant that came while the record was read or the scheduler asked again (the wait stayed open and took it;
    // a record read before the grant still says queued) is taken, not lost with a continue-as-new, which left the
    // job running unwatched until the next re-check, up to 10 minutes later.
    const grantMeanwhile = (): NodesGranted | undefined =>
      grantedEvent?.isCompleted && grantsTakenDuringRead(context)
        ? (grantedEvent.result as NodesGranted)
        : undefined;
    let view: JobStateView | undefined;
    if (!input.adopt) {
      grantedEvent = context.df.waitForExternalEvent(nodesGrantedEvent);
      if (input.readFirst && readsFirstAfterRollover(context)) {
        // After a re-check's continue-as-new: a grant whose event came as that execution ended is in the record.
        const first = (yield context.df.callActivityWithRetry(
          readJobStateActivityName,
          retry,
          base,
        )) as JobStateView;
        granted = grantMeanwhile();
        if (!granted && first.state !== 'queued') view = first;
      }
      if (!granted && !view) {
        const recheck = context.df.createTimer(
          secondsAfter(context.df.currentUtcDateTime, recheckDelaySeconds(context, input)),
        );
        const first: Task = yield context.df.Task.any([grantedEvent, recheck]);
        if (first === grantedEvent) {
          recheck.cancel();
          granted = grantedEvent.result as NodesGranted;
        }
      }
    }
    if (!granted && !view) {
      view = (yield context.df.callActivityWithRetry(readJobStateActivityName, retry, base)) as JobStateView;
      if (view.state === 'queued' || view.state === 'running') granted = grantMeanwhile();
      if (!granted && view.state === 'queued') {
        // Still waiting after a while: ask again (a signal may have been lost with a scheduler that ended).
        yield context.df.callActivityWithRetry(requestJobSchedulingActivityName, retry, input.clusterKey);
        granted = grantMeanwhile();
        if (!granted) {
          const next = Math.min(recheckSecondsOf(input) * 2, queuedRecheckMaxSeconds);
          context.df.continueAsNew({ ...base, queuedRecheckSeconds: next, readFirst: true });
          return undefined;
        }
      }
    }
    if (granted) {
      attempt = granted.attempt;
      progress.nodeIds = granted.nodeIds;
      hasPreparation = granted.hasPreparation !== false;
      launchedAtGrant = granted.launched;
    } else {
      const read = view as JobStateView; // read above, not queued: there was no grant
      if (read.state === 'terminating') {
        // Taken up while being terminated (the lifecycle that got the request ended): stop what the attempt's nodes
        // run for it, and record the termination.
        const progressOfView: AttemptProgress = { nodeIds: read.nodeIds, tasks: [] };
        yield* stopAttempt(
          context,
          base,
          read.attempt,
          progressOfView,
          'The job was terminated by the user.',
        );
        return yield* complete(context, base, read.attempt, { kind: 'terminated' });
      }
      if (read.state !== 'running') return `The job is ${read.state}; nothing to run.`;
      // Running (a grant whose event was missed, or a lifecycle taken up): its phases are launched again. A node
      // agent does not run a task twice: it keeps a running one, and answers a finished one with its exit again.
      attempt = read.attempt;
      progress.nodeIds = read.nodeIds;
    }
  }

  // 2. Running: job preparation on every node, then the toolkit's processes.
  let run: AttemptRun;
  try {
    run = yield* runAttempt(context, base, attempt, resumed, progress, hasPreparation, launchedAtGrant);
  } catch (error: unknown) {
    // An activity failed all its retries (storage or database down for minutes): the job must not stay running
    // with its nodes held forever, so its processes are stopped and it fails with the reason; the scheduler then
    // sees the nodes free (CompleteJobAttempt below asks it for a pass).
    const message = error instanceof Error ? error.message : String(error);
    yield* stopAttempt(context, base, attempt, progress, `The job's lifecycle failed: ${message}`);
    run = { kind: 'done', outcome: { kind: 'failed', code: 'JobLifecycleError', message } };
  }
  if (run.kind === 'continue') {
    context.df.continueAsNew({ ...base, watching: run.state });
    return undefined;
  }
  return yield* complete(context, base, attempt, run.outcome);
};

/**
 * 3. Collects the outputs, records the result (a stale attempt cannot overwrite a newer one) and gives the nodes
 * back (the activity asks the scheduler for a pass); a requeued job continues as new, waiting for its next grant
 * (and reading its record first).
 */
function* complete(
  context: OrchestrationContext,
  base: JobLifecycleInput,
  attempt: number,
  outcome: AttemptOutcome,
): Generator<Task, string | undefined, unknown> {
  const completion: CompleteJobAttemptInput = { lifecycle: base, attempt, outcome };
  const final = (yield context.df.callActivityWithRetry(
    completeJobAttemptActivityName,
    retry,
    completion,
  )) as JobStateView;
  if (final.state === 'queued') {
    // Requeued after a preemption: wait for the next grant, reading the record first. The activity asked for a pass
    // before this episode: a grant raised in between came to this execution, and continue-as-new drops it.
    context.df.continueAsNew({ ...base, readFirst: true });
    return undefined;
  }
  return final.state;
}

type AttemptRun = { kind: 'continue'; state: WatchState } | { kind: 'done'; outcome: AttemptOutcome };

/**
 * Best effort, without waiting for task events (after a lifecycle failure, or for an attempt taken up while being
 * terminated): SIGTERM to every task of the attempt (known ones, and what its nodes report running), then SIGKILL
 * after a grace period. Each step has its own retries; a step that still fails is skipped, since ending the job
 * matters more than a perfect stop (agents also end tasks of removed nodes).
 */
function* stopAttempt(
  context: OrchestrationContext,
  base: JobLifecycleInput,
  attempt: number,
  progress: AttemptProgress,
  reason: string,
): Generator<Task, void, unknown> {
  if (progress.nodeIds.length === 0 && progress.tasks.length === 0) return;
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    const stop: StopJobTasksInput = {
      clusterKey: base.clusterKey,
      tasks: progress.tasks,
      signal,
      reason,
      attemptOf: { jobUuid: base.jobUuid, attempt, nodeIds: progress.nodeIds },
    };
    try {
      yield context.df.callActivityWithRetry(stopJobTasksActivityName, retry, stop);
    } catch {
      // Storage is still failing: nothing more to try here.
    }
    if (signal === 'SIGTERM') {
      yield context.df.createTimer(secondsAfter(context.df.currentUtcDateTime, failureStopGraceSeconds));
    }
  }
}

/** Runs (or resumes watching) one attempt's phases: the job preparation (when the job has one), then the main. */
function* runAttempt(
  context: OrchestrationContext,
  base: JobLifecycleInput,
  attempt: number,
  watching: WatchState | undefined,
  progress: AttemptProgress,
  hasPreparation: boolean,
  launchedAtGrant: NodesGranted['launched'],
): Generator<Task, AttemptRun, unknown> {
  let resumed = watching;
  const terminate = context.df.waitForExternalEvent(terminateEvent);
  let outcome: AttemptOutcome | undefined;
  let deadline: Date | undefined = resumed ? instantOf(resumed.deadline) : undefined;
  const phases: TaskPhase[] =
    resumed?.phase === 'main' || (!resumed && !hasPreparation) ? ['main'] : ['preparation', 'main'];
  for (const phase of phases) {
    let state: WatchState;
    let afterRollover = false;
    if (resumed && resumed.phase === phase) {
      state = resumed;
      resumed = undefined;
      afterRollover = true;
    } else {
      const launchInput: LaunchJobTasksInput = {
        lifecycle: base,
        instanceId: context.df.instanceId,
        attempt,
        phase,
      };
      // The scheduler launched the first phase as it granted the nodes; otherwise (a later phase, or that launch
      // failed) the lifecycle launches it.
      const launched =
        launchedAtGrant?.phase === phase
          ? launchedAtGrant.result
          : ((yield context.df.callActivityWithRetry(
              launchJobTasksActivityName,
              retry,
              launchInput,
            )) as LaunchJobTasksResult);
      if (launched.failure) {
        outcome = { kind: 'failed', code: launched.failure.code, message: launched.failure.message };
        break;
      }
      for (const task of launched.tasks) progress.tasks.push({ taskId: task.taskId, nodeId: task.nodeId });
      deadline ??= secondsAfter(context.df.currentUtcDateTime, launched.maxWallClockSeconds);
      if (launched.tasks.length === 0) continue;
      state = {
        attempt,
        phase,
        tasks: launched.tasks,
        exits: {},
        deadline: deadline.toISOString(),
        maxWallClockSeconds: launched.maxWallClockSeconds,
        nodeCheckSeconds: launched.nodeCheckSeconds,
        roundsPerEpisode: launched.roundsPerEpisode,
      };
    }
    const end: WatchEnd = yield* watchTasks(context, base, state, terminate, afterRollover);
    if (end.kind === 'continue') return end;
    if (end.kind === 'terminated') outcome = { kind: 'terminated' };
    else if (end.kind === 'preempted') {
      outcome = end.requeue
        ? { kind: 'preempted', reason: end.reason }
        : { kind: 'failed', code: 'JobTerminatedByNodeRemoval', message: end.reason };
    } else if (end.kind === 'wallClockExceeded') {
      outcome = { kind: 'wallClockExceeded', maxWallClockSeconds: state.maxWallClockSeconds };
    } else {
      const result = attemptOutcome(
        state.tasks,
        end.exits,
        phase === 'preparation' ? 'JobPreparationFailed' : 'JobFailed',
      );
      if (phase === 'main' && (result.kind === 'succeeded' || result.kind === 'failed')) {
        outcome = { ...result, nodesHandedBack: nodesHandedBack(progress.nodeIds, state.tasks, end.exits) };
      } else if (result.kind === 'failed') outcome = result;
    }
    if (outcome) break;
  }
  return { kind: 'done', outcome: outcome ?? { kind: 'succeeded', exitCode: 0 } };
}

/**
 * Waits until every task exited, a task failed (the others are then stopped), a node of the gang was lost, the
 * wall clock ran out or the user terminated the job; stops what still runs (SIGTERM, then SIGKILL after the grace
 * period). Node hosts (`hostsNode`) are not waited for: once every other task exited they are stopped, and how
 * they ended then is left out of the attempt's exits. After `roundsPerEpisode` rounds with nothing decided it
 * returns the state to continue as new.
 */
function* watchTasks(
  context: OrchestrationContext,
  input: JobLifecycleInput,
  state: WatchState,
  terminate: Task,
  /** The state comes from a continue-as-new: events delivered as the previous execution ended were lost. */
  afterRollover: boolean,
): Generator<Task, WatchEnd, unknown> {
  const exits: Record<string, TaskExit> = { ...state.exits };
  const deadline = instantOf(state.deadline);
  const gang = [...new Set(state.tasks.map((task) => task.nodeId))];
  const waits = new Map<string, Task>(
    state.tasks
      .filter((task) => !exits[task.taskId])
      .map((task) => [task.taskId, context.df.waitForExternalEvent(`task:${task.taskId}`)]),
  );
  const hosts = new Set(state.tasks.filter((task) => task.hostsNode).map((task) => task.taskId));
  const working = (): boolean => [...waits.keys()].some((taskId) => !hosts.has(taskId));
  const checkNodes = function* (withJob = false): Generator<Task, CheckJobNodesResult, unknown> {
    const check: CheckJobNodesInput = {
      clusterKey: input.clusterKey,
      nodeIds: gang,
      tasks: state.tasks
        .filter((task) => waits.has(task.taskId))
        .map(({ taskId, nodeId }) => ({ taskId, nodeId })),
      ...(withJob ? { lifecycle: input } : {}),
    };
    return (yield context.df.callActivityWithRetry(
      checkJobNodesActivityName,
      retry,
      check,
    )) as CheckJobNodesResult;
  };
  /** A task's exit: recorded and its wait dropped; the end of the watch it makes, if any. */
  const exited = function* (
    taskId: string,
    payload: TaskEventPayload,
  ): Generator<Task, WatchEnd | undefined, unknown> {
    waits.delete(taskId);
    const exit = exitOf(taskId, payload);
    exits[taskId] = exit;
    const nodeId = state.tasks.find((task) => task.taskId === taskId)?.nodeId ?? '';
    const nodeLoss = nodeLossOf(exit, nodeLostRequeues(context));
    if (nodeLoss) return preempted([{ nodeId, reason: nodeLoss.reason, requeue: nodeLoss.requeue }], exits);
    if (!taskFailed(exit)) return undefined;
    // A process killed with its node is a lost node, not a failing job.
    const lost = (yield* checkNodes()).lost;
    return lost.length > 0 ? preempted(lost, exits) : { kind: 'exited', exits };
  };
  /**
   * What a node check found: the job being terminated (asked after a continue-as-new), exits the nodes' records
   * hold for tasks still awaited (their events were lost), then lost nodes.
   */
  const checked = function* (result: CheckJobNodesResult): Generator<Task, WatchEnd | undefined, unknown> {
    if (result.terminating) return { kind: 'terminated', exits };
    for (const [taskId, exit] of Object.entries(result.exits ?? {})) {
      if (!waits.has(taskId)) continue;
      const end = yield* exited(taskId, { ...exit, kind: 'taskExited' });
      if (end) return end;
    }
    if (!working()) return undefined;
    let lost = result.lost;
    if (lost.length > 0 && takesExitsBeforeLoss(context)) {
      for (const [taskId, wait] of [...waits]) {
        if (!wait.isCompleted || !waits.has(taskId)) continue;
        const payload = (wait.result ?? {}) as TaskEventPayload;
        if (payload.kind !== 'taskExited') {
          waits.set(taskId, context.df.waitForExternalEvent(`task:${taskId}`)); // taskStarted: wait for the exit
          continue;
        }
        const end = yield* exited(taskId, payload);
        if (end) return end;
      }
      if (!working()) return undefined;
      const pendingOn = new Set(
        state.tasks.filter((task) => waits.has(task.taskId)).map((task) => task.nodeId),
      );
      lost = lost.filter((node) => pendingOn.has(node.nodeId));
    }
    if (lost.length > 0 && !(yield* exitedCleanly(context, state, lost, waits, exits)))
      return preempted(lost, exits);
    return undefined;
  };
  let end: WatchEnd | undefined;
  if (afterRollover && readsFirstAfterRollover(context)) end = yield* checked(yield* checkNodes(true));
  /** The last round was won by the periodic check's timer (no event), or none ran yet. */
  let quiet = true;
  for (let round = 0; working() && end === undefined; round++) {
    // Continue as new after the episode's rounds, from a quiet round only (1.2 on): an event delivered in the same
    // batch as the one that ended a round is dropped by continue-as-new (the extension keeps no unprocessed events
    // for JavaScript orchestrations), and a task's exit must not be lost with it. A timer's round can still share
    // its batch with an event, but it comes every `nodeCheckSeconds`, not with every exit of a gang. Never while
    // an event already came (it arrived during the node check): it is handled first. An event delivered with the
    // round's last completion is still lost: the next execution's first node check finds the exit in its node's
    // record (1.3 on), and whether the job is being terminated in the job's.
    const arrived = terminate.isCompleted || [...waits.values()].some((wait) => wait.isCompleted);
    if (round >= state.roundsPerEpisode && (quiet || !rollsOverQuietly(context)) && !arrived) {
      return { kind: 'continue', state: { ...state, exits } };
    }
    const nextCheck = earlierOf(
      deadline,
      secondsAfter(context.df.currentUtcDateTime, state.nodeCheckSeconds),
    );
    const winner = yield* firstOf(context, [...waits.values(), terminate], nextCheck);
    quiet = winner === undefined;
    if (winner === terminate) end = { kind: 'terminated', exits };
    else if (winner === undefined) {
      if (notBefore(context.df.currentUtcDateTime, deadline)) end = { kind: 'wallClockExceeded', exits };
      else end = yield* checked(yield* checkNodes());
    } else {
      const taskId = [...waits.entries()].find(([, wait]) => wait === winner)?.[0] ?? '';
      const payload = ((winner as Task).result ?? {}) as TaskEventPayload;
      if (payload.kind !== 'taskExited') {
        waits.set(taskId, context.df.waitForExternalEvent(`task:${taskId}`)); // taskStarted: wait for the exit
        continue;
      }
      end = yield* exited(taskId, payload);
    }
  }
  if (end === undefined) {
    // The job's processes all ended: what still runs only held their nodes.
    const done: WatchEnd = { kind: 'exited', exits: { ...exits } };
    if (waits.size > 0) {
      yield* stopTasks(context, input, state, waits, exits, done, "The job's processes ended.");
    }
    return done;
  }
  if (waits.size > 0) yield* stopTasks(context, input, state, waits, exits, end);
  return end;
}

/**
 * Whether the tasks of `lost` nodes that are gone (not leaving or unusable: their records were removed) all end
 * cleanly (exit code 0, no node loss) within goneNodeExitGraceSeconds: then the nodes were released after their
 * work, not lost. Arriving exits are recorded in `exits` and their waits removed either way.
 */
function* exitedCleanly(
  context: OrchestrationContext,
  state: WatchState,
  lost: CheckJobNodesResult['lost'],
  waits: Map<string, Task>,
  exits: Record<string, TaskExit>,
): Generator<Task, boolean, unknown> {
  const goneIds = new Set(lost.filter((node) => node.gone).map((node) => node.nodeId));
  if (goneIds.size < lost.length) return false; // a node leaving or unusable right now is lost
  const pending = () => state.tasks.filter((task) => goneIds.has(task.nodeId) && waits.has(task.taskId));
  const graceEnd = secondsAfter(context.df.currentUtcDateTime, goneNodeExitGraceSeconds);
  while (pending().length > 0) {
    const winner = yield* firstOf(
      context,
      pending().map((t) => waits.get(t.taskId)!),
      graceEnd,
    );
    if (winner === undefined) return false;
    const taskId = [...waits.entries()].find(([, wait]) => wait === winner)?.[0] ?? '';
    const payload = ((winner as Task).result ?? {}) as TaskEventPayload;
    if (payload.kind !== 'taskExited') {
      waits.set(taskId, context.df.waitForExternalEvent(`task:${taskId}`));
      continue;
    }
    waits.delete(taskId);
    const exit = exitOf(taskId, payload);
    exits[taskId] = exit;
    if (nodeLossOf(exit, nodeLostRequeues(context)) || taskFailed(exit)) return false;
  }
  return true;
}

/**
 * Waits for the first of `tasks` or until `fireAt`: the winning task, or undefined when the time came first. A task
 * already completed wins at once, without a timer: an external event that arrives while the orchestrator awaits
 * something else (an activity) completes its waiting task outside any Task.any, and a later Task.any over that
 * task is never told (durable-functions notifies only the compound task pending at the time). A timer may be
 * yielded only once, so each wait makes its own and cancels it when something else won.
 */
function* firstOf(
  context: OrchestrationContext,
  tasks: Task[],
  fireAt: Date,
): Generator<Task, Task | undefined, unknown> {
  const ready = tasks.find((task) => task.isCompleted);
  if (ready) return ready;
  const timer: TimerTask = context.df.createTimer(fireAt);
  const winner: unknown = yield context.df.Task.any([...tasks, timer]);
  if (winner === timer) return undefined;
  timer.cancel();
  return winner as Task;
}

function preempted(lost: CheckJobNodesResult['lost'], exits: Record<string, TaskExit>): WatchEnd {
  return {
    kind: 'preempted',
    reason: lost.map((node) => node.reason).join(' '),
    lostNodeIds: lost.map((node) => node.nodeId),
    requeue: lost.every((node) => node.requeue),
    exits,
  };
}

/** Stops the tasks still running: SIGTERM, then SIGKILL to those not gone after the grace period. */
function* stopTasks(
  context: OrchestrationContext,
  input: JobLifecycleInput,
  state: WatchState,
  waits: Map<string, Task>,
  exits: Record<string, TaskExit>,
  end: WatchEnd,
  reason?: string,
): Generator<Task, void, unknown> {
  const why = end.kind;
  const reasons: Partial<Record<WatchEnd['kind'], string>> = {
    terminated: 'The job was terminated by the user.',
    wallClockExceeded: 'The job exceeded its maximum wall clock time.',
    preempted: 'A node of the job was lost; the job is requeued.',
  };
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    const stop: StopJobTasksInput = {
      clusterKey: input.clusterKey,
      tasks: state.tasks.filter((task) => waits.has(task.taskId)),
      signal,
      reason: reason ?? reasons[why] ?? 'Another process of the job failed.',
    };
    if (stop.tasks.length === 0) return;
    yield context.df.callActivityWithRetry(stopJobTasksActivityName, retry, stop);
    if (end.kind === 'preempted') {
      // A lost node reports nothing more (and an evicted one stops its tasks itself): wait only for the others.
      for (const task of stop.tasks) if (end.lostNodeIds.includes(task.nodeId)) waits.delete(task.taskId);
    }
    const graceEnd = secondsAfter(context.df.currentUtcDateTime, stopGraceSeconds);
    while (waits.size > 0) {
      const winner = yield* firstOf(context, [...waits.values()], graceEnd);
      if (winner === undefined) break;
      const taskId = [...waits.entries()].find(([, wait]) => wait === winner)?.[0] ?? '';
      const payload = ((winner as Task).result ?? {}) as TaskEventPayload;
      if (payload.kind === 'taskExited') {
        waits.delete(taskId);
        exits[taskId] = exitOf(taskId, payload);
      } else {
        waits.set(taskId, context.df.waitForExternalEvent(`task:${taskId}`));
      }
    }
  }
}

df.app.orchestration(jobLifecycleName, jobLifecycleOrchestrator);
