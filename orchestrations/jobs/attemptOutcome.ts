// How an attempt ends from its tasks' exits (pure, so the orchestrator stays small and replay-safe): every task
// exited 0 -> succeeded; otherwise failed with the exit code of the master when it failed by itself, else of the
// first task that did (a process stopped because another one failed is not the cause).
// Whether a task's end means its node went away (eviction, scale down) comes from the agent's machine-readable
// reason, never from message text.
import { endHandsNodeBack } from '../../shared/contracts/nodeEvent';
import type { AttemptOutcome, LaunchedTask, TaskExit } from './jobLifecycleContract';

/**
 * The node under a task went away and says what the job should do: an eviction notice (Spot preemption, platform
 * Terminate) or a task the node lost (its agent stopped, or its task launcher died) requeues; a scale down
 * requeues or, with nodeDeallocationOption 'terminate', ends the job. Undefined when the exit says nothing about
 * its node (the lifecycle then checks the node records).
 */
export function nodeLossOf(
  exit: TaskExit,
  /** Instances of orchestration version 1.1 and later (host.json): a task its node lost requeues the job. */
  nodeLostRequeues = true,
): { requeue: boolean; reason: string } | undefined {
  if (exit.nodeRemoval) {
    return {
      requeue: exit.nodeRemoval === 'requeue',
      reason: exit.message ?? `The node was removed from the cluster (${exit.nodeRemoval}).`,
    };
  }
  if (exit.reason === 'evicted') return { requeue: true, reason: exit.message ?? 'The node was evicted.' };
  // The agent stopped (its node going away) or lost the task's exit status (its task launcher died): the node
  // failed the task, not the program.
  if (nodeLostRequeues && exit.reason === 'nodeLost') {
    return { requeue: true, reason: exit.message ?? 'The node lost the task (its agent stopped).' };
  }
  return undefined;
}

/** A task failed when it exited with a code other than 0, by a signal, or never started. */
export function taskFailed(exit: TaskExit): boolean {
  return exit.exitCode !== 0;
}

function describeExit(task: LaunchedTask, exit: TaskExit): string {
  if (exit.exitCode !== undefined) return `The process '${task.name}' exited with code ${exit.exitCode}.`;
  if (exit.signal) return `The process '${task.name}' was ended by ${exit.signal}.`;
  return `The process '${task.name}' did not run: ${exit.message ?? 'no reason given'}.`;
}

/**
 * Whether every node of the attempt was handed back by the exit of its last task (see `endHandsNodeBack`): the
 * node-events trigger then told the scheduler, and the attempt's end need not. A node without such a task (an MPI
 * worker that runs no process of its own) keeps the answer false.
 */
export function nodesHandedBack(
  nodeIds: readonly string[],
  tasks: readonly LaunchedTask[],
  exits: Readonly<Record<string, TaskExit>>,
): boolean {
  return (
    nodeIds.length > 0 &&
    nodeIds.every((nodeId) =>
      tasks.some(
        (task) =>
          task.nodeId === nodeId &&
          task.releasesNode === true &&
          exits[task.taskId] !== undefined &&
          endHandsNodeBack(exits[task.taskId]),
      ),
    )
  );
}

/** When the last of these exits happened, if every one of them says when (ISO 8601). */
function lastExitTime(exits: readonly TaskExit[]): string | undefined {
  const times = exits.map((exit) => (exit.time === undefined ? NaN : Date.parse(exit.time)));
  if (times.length === 0 || times.some((time) => Number.isNaN(time))) return undefined;
  return new Date(Math.max(...times)).toISOString();
}

/** The outcome once the tasks that matter have exited; `exits` must hold every task that exited. */
export function attemptOutcome(
  tasks: readonly LaunchedTask[],
  exits: Readonly<Record<string, TaskExit>>,
  failureCode = 'JobFailed',
): AttemptOutcome {
  const failed = tasks.filter((task) => exits[task.taskId] && taskFailed(exits[task.taskId]));
  const endTime = lastExitTime(tasks.flatMap((task) => (exits[task.taskId] ? [exits[task.taskId]] : [])));
  if (failed.length === 0) {
    const master = tasks.find((task) => task.isMaster) ?? tasks[0];
    return { kind: 'succeeded', exitCode: exits[master.taskId]?.exitCode ?? 0, endTime };
  }
  // A process stopped because another one failed is not the cause: prefer those that failed by themselves.
  const own = failed.filter((task) => exits[task.taskId].reason !== 'killed');
  const culprit =
    own.find((task) => task.isMaster) ?? own[0] ?? failed.find((task) => task.isMaster) ?? failed[0];
  const exit = exits[culprit.taskId];
  return {
    kind: 'failed',
    exitCode: exit.exitCode,
    code: failureCode,
    message:
      failureCode === 'JobFailed'
        ? `Job failed with non-zero exit code. ${describeExit(culprit, exit)}`
        : describeExit(culprit, exit),
    stderrOf: culprit.stderr,
    endTime,
  };
}
