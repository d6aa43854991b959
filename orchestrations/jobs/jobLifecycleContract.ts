// Names and payloads shared by the job lifecycle orchestrator, the per-cluster job scheduler, their activities and
// the job-commands trigger (kept apart so orchestrators import no I/O code).
import type { JobRefWire } from '../../shared/contracts/jobCommand';
import type { TaskEndReason } from '../../shared/contracts/nodeEvent';
import type { BlobPath, NodeRemoval } from '../../shared/contracts/nodeTask';
import type { NodeRecord } from '../../shared/ports/nodeStore';
import { clusterTag } from '../../shared/contracts/nodeQueueNames';

export const jobLifecycleName = 'JobLifecycle';
export const jobSchedulerName = 'JobScheduler';

/**
 * Raised by the scheduler, when it moved the job to `running` on these nodes, to a lifecycle that was waiting: one
 * requeued after a preemption, or one started while queued by code from before queued jobs had none. A job's first
 * grant starts its lifecycle instead, with the grant in its input (`JobLifecycleInput.granted`).
 */
export const nodesGrantedEvent = 'nodesGranted';
/** Raised to a job's lifecycle by the job-commands trigger when the user terminates a running job. */
export const terminateEvent = 'terminate';
/** Raised to a cluster's scheduler when a job is queued or nodes were released. */
export const scheduleEvent = 'schedule';

/**
 * The data of a `schedule` signal: when it was sent (ISO, the sender's clock), after the change it announces was
 * written. A pass asked for at or after that time read the change; an older pass did not. A signal without it
 * always asks for a pass.
 */
export interface ScheduleSignal {
  sentAt?: string;
}

export const scheduleJobsActivityName = 'ScheduleJobs';
export const requestJobSchedulingActivityName = 'RequestJobScheduling';
export const launchJobTasksActivityName = 'LaunchJobTasks';
export const stopJobTasksActivityName = 'StopJobTasks';
export const completeJobAttemptActivityName = 'CompleteJobAttempt';
export const readJobStateActivityName = 'ReadJobState';
export const checkJobNodesActivityName = 'CheckJobNodes';

/** One lifecycle per job: its instance id derives from the job's GUID (so a repeated start is idempotent). */
export function jobLifecycleInstanceId(jobUuid: string): string {
  return `job-${jobUuid.toLowerCase()}`;
}

/** One scheduler per cluster. */
export function jobSchedulerInstanceId(clusterKey: string): string {
  return `jobscheduler-${clusterTag(clusterKey)}`;
}

export interface JobLifecycleInput {
  job: JobRefWire;
  jobUuid: string;
  clusterKey: string;
  /** Set when a long-running attempt continues as new (bounded history): where the watch stands. */
  watching?: WatchState;
  /**
   * Set when the lifecycle is started again for a job whose lifecycle had ended while its record still says it is
   * queued, running or terminating (`restartJobLifecycle`): it reads the record at once instead of waiting for a
   * grant, and takes the job up where the record says it is.
   */
  adopt?: boolean;
  /**
   * The grant the lifecycle was started with: a queued job has no lifecycle until the scheduler grants it nodes
   * (since 2026-12-07), and then gets one that runs the attempt at once, with no wait and no grant event.
   */
  granted?: NodesGranted;
  /** A job still queued at its last re-check: the next one comes after this many seconds (doubling, capped). */
  queuedRecheckSeconds?: number;
  /**
   * Set by a re-check's continue-as-new (1.3 on): the new execution reads the record before it waits, since a grant
   * whose event came as the previous execution ended went with it (continue-as-new keeps no events).
   */
  readFirst?: boolean;
}

/** A running phase of an attempt, as carried across continueAsNew. */
export interface WatchState {
  attempt: number;
  phase: TaskPhase;
  tasks: LaunchedTask[];
  exits: Record<string, TaskExit>;
  /** ISO time the wall-clock limit ends. */
  deadline: string;
  maxWallClockSeconds: number;
  nodeCheckSeconds: number;
  /** Watch rounds per episode before continuing as new (each round adds a few history events). */
  roundsPerEpisode: number;
}

export interface JobSchedulerInput {
  clusterKey: string;
}

export interface ScheduleJobsResult {
  /** Jobs still queued or running after this pass (0: the scheduler may end). */
  activeJobs: number;
  started: string[];
  nextCheckMs: number;
  /** The cluster's record is gone (deleted): with nothing active either, its scheduler ends (version 1.4 on). */
  clusterGone?: boolean;
}

export interface NodesGranted {
  attempt: number;
  nodeIds: string[];
  /** False when the job has no jobPreparation: its lifecycle launches the main processes at once. */
  hasPreparation?: boolean;
  /**
   * The first phase's launch, done by the scheduler as it granted the nodes (one step less per job). Absent when
   * that launch failed: the lifecycle then launches the phase itself (launches are idempotent).
   */
  launched?: { phase: TaskPhase; result: LaunchJobTasksResult };
}

export interface JobStateView {
  state: 'queued' | 'running' | 'terminating' | 'succeeded' | 'failed' | 'missing';
  attempt: number;
  nodeIds: string[];
}

export type TaskPhase = 'preparation' | 'main';

/** One attempt of one job (`<job GUID>/<attempt>`), as node records name the attempt that handed them back. */
export function attemptKey(jobUuid: string, attempt: number): string {
  return `${jobUuid}/${attempt}`;
}

/**
 * Whether every node of a running attempt was handed back by the attempt's last task on it (its process exited by
 * itself: `NodeRecord.releasedBy`, or `earlierReleases` on a node with several job slots): the attempt holds no node
 * any more, even before its lifecycle records its end.
 * One node still at work keeps the whole gang held.
 */
export function handedBack(
  jobUuid: string,
  attempt: number,
  nodeIds: readonly string[],
  nodes: ReadonlyMap<string, Pick<NodeRecord, 'releasedBy' | 'earlierReleases'>>,
): boolean {
  const key = attemptKey(jobUuid, attempt);
  return (
    nodeIds.length > 0 &&
    nodeIds.every((id) => {
      const node = nodes.get(id);
      return node?.releasedBy?.attempt === key || node?.earlierReleases?.includes(key) === true;
    })
  );
}

export interface LaunchJobTasksInput {
  lifecycle: JobLifecycleInput;
  instanceId: string;
  attempt: number;
  phase: TaskPhase;
}

export interface LaunchedTask {
  taskId: string;
  nodeId: string;
  /** The process's name in the launch plan ('master', 'rank-1', 'job_prep-0', ...). */
  name: string;
  isMaster: boolean;
  stdout: BlobPath;
  stderr: BlobPath;
  /** The node's only task in the attempt's last phase: its own exit hands the node back (`releasesNodeOf`). */
  releasesNode?: boolean;
  /**
   * A `nodeHost` process: it only holds its node for the job (mounts, directories, container) and is stopped once
   * the job's processes ended; that end is not the job's. Ending by itself before that fails the attempt.
   */
  hostsNode?: boolean;
}

export interface LaunchJobTasksResult {
  tasks: LaunchedTask[];
  maxWallClockSeconds: number;
  /** How often the lifecycle checks that the attempt's nodes are still there. */
  nodeCheckSeconds: number;
  roundsPerEpisode: number;
  /** The attempt cannot be launched (bad job settings, a secret that does not open, a stale attempt). */
  failure?: { code: string; message: string };
}

export interface StopJobTasksInput {
  clusterKey: string;
  tasks: { taskId: string; nodeId: string }[];
  signal: 'SIGTERM' | 'SIGKILL';
  reason: string;
  /**
   * Also stop whatever the attempt's nodes report running for this attempt (task ids `<uuid>-<attempt>-*`): after a
   * lifecycle failure the orchestration may not know every task a launch sent. Best effort (records may be down).
   */
  attemptOf?: { jobUuid: string; attempt: number; nodeIds: string[] };
}

/** How a task ended, as the node agent reported it (taskExited). */
export interface TaskExit {
  taskId: string;
  exitCode?: number;
  signal?: string;
  /** Machine-readable (absent only in histories recorded before version 2 of the node events). */
  reason?: TaskEndReason;
  /** For people. */
  message?: string;
  /** The task was killed because its node left the cluster with this deallocation option. */
  nodeRemoval?: NodeRemoval;
  /** When the process ended, by the node's clock (absent in histories recorded before it was kept). */
  time?: string;
}

export type AttemptOutcome =
  /**
   * `endTime`: when the attempt's last process ended (the exits' times), when every exit says. `nodesHandedBack`:
   * every node of the attempt was handed back by its last task's exit, and the scheduler was told then.
   */
  | { kind: 'succeeded'; exitCode: number; endTime?: string; nodesHandedBack?: boolean }
  | {
      kind: 'failed';
      exitCode?: number;
      code: string;
      message: string;
      stderrOf?: BlobPath;
      endTime?: string;
      nodesHandedBack?: boolean;
    }
  | { kind: 'terminated' }
  /** A node of the gang was preempted or lost: the whole gang stopped, the job goes back to the queue. */
  | { kind: 'preempted'; reason: string }
  | { kind: 'wallClockExceeded'; maxWallClockSeconds: number };

/**
 * Input of CompleteJobAttempt, which collects the attempt's outputs (local nodes), records the result and asks the
 * scheduler to reschedule (the attempt's nodes are free): one activity, one step of the lifecycle's history.
 */
export interface CompleteJobAttemptInput {
  lifecycle: JobLifecycleInput;
  attempt: number;
  outcome: AttemptOutcome;
}

export interface CheckJobNodesInput {
  clusterKey: string;
  nodeIds: string[];
  /** The attempt's tasks with no exit yet, and their nodes (absent in inputs of earlier releases). */
  tasks?: { taskId: string; nodeId: string }[];
  /** Also read the job's record (1.3 on, after a continue-as-new): whether it is being terminated. */
  lifecycle?: JobLifecycleInput;
}

/**
 * Nodes of a gang that are gone, leaving (eviction notice, scale down) or unusable (lost heartbeats). `requeue` is
 * false when the cluster removes the node with nodeDeallocationOption 'terminate' (the job must not run again).
 */
export interface CheckJobNodesResult {
  /** `gone`: the node's record no longer exists (removed, not merely leaving or unusable). */
  lost: { nodeId: string; reason: string; requeue: boolean; gone?: boolean }[];
  /**
   * Exits of the asked tasks that their nodes' records hold: an exit whose event was lost (delivered as the
   * lifecycle continued as new, which keeps no events) is still seen. Absent from results of earlier releases.
   */
  exits?: Record<string, TaskExit>;
  /** With `lifecycle`: the job's record says it is being terminated (its terminate event may have been lost). */
  terminating?: boolean;
}

export interface CollectJobOutputsInput {
  lifecycle: JobLifecycleInput;
  attempt: number;
}
