// What the scheduling policy answers: the jobs to start now and on which nodes, the reservation that protects the
// first blocked job from starvation, why every other job waits, and how many nodes the queue wants.

/** Why a job is still waiting; `code` is stable for programs, `message` is for people. */
export type WaitReasonCode =
  /** First in line; its nodes are busy with running jobs (expected start given when every end is known). */
  | 'WaitingForRunningJobs'
  /** First in line; nodes it needs are still being provisioned (a resize in progress). */
  | 'WaitingForProvisioning'
  /** First in line; autoscale must add nodes before it fits. */
  | 'WaitingForScaleUp'
  /** First in line; the cluster must add nodes before it fits, and the location's core quota has no room for them. */
  | 'WaitingForQuota'
  /** Not first in line and fewer nodes are free than it needs. */
  | 'InsufficientFreeNodes'
  /** Enough nodes are free, but starting it could delay the job that holds the reservation. */
  | 'BlockedByReservation'
  /** It needs more nodes than the cluster can ever have at its current maximum (or target) size. */
  | 'ExceedsClusterSize'
  /** The cluster has no nodes, none are coming, and autoscale is off. */
  | 'ClusterHasNoNodes';

export interface WaitReason {
  code: WaitReasonCode;
  message: string;
  /**
   * 1-based place among the jobs still waiting after this decision (priority, then submit time, then id), counting
   * only the jobs ahead that can run (one too large for the cluster takes no place).
   */
  position: number;
  nodesNeeded: number;
  /** Nodes with a free slot after this decision's starts. */
  nodesFree: number;
  /** Usable (idle or running) nodes, and nodes still provisioning. */
  nodesUsable: number;
  nodesProvisioning: number;
  /** The job holding the reservation this job waits behind (for the reservation holder itself: absent). */
  blockedByJobId?: string;
  /** For the reservation holder: when its nodes are expected to be free (absent when that cannot be known). */
  expectedStartTime?: string;
  /** For the reservation holder: running jobs whose end it waits for. */
  waitingForJobIds?: string[];
}

export interface JobStart {
  jobId: string;
  attempt: number;
  /** The gang: exactly nodeCount distinct nodes, the master (rank 0) first. */
  nodeIds: string[];
  /** True when the job started ahead of a blocked job with higher precedence (EASY backfill). */
  backfilled: boolean;
}

export interface Reservation {
  jobId: string;
  /** The nodes the job will get first (some may be provisioning or not created yet: those are not listed). */
  nodeIds: string[];
  expectedStartTime?: string;
}

export interface AutoscaleDemand {
  /** Nodes the running and startable queued jobs want together, before the cluster's limits. */
  wantedNodeCount: number;
  /** The node count the cluster should have: wanted, clamped to [min, max] (manual scale: the target). */
  desiredNodeCount: number;
  /** True when the queue wants more nodes than the maximum allows. */
  limitedByMaximum: boolean;
  /** Jobs that can never fit the cluster at its maximum size (they do not count in the demand). */
  unsatisfiableJobIds: string[];
}

export interface SchedulingDecision {
  starts: JobStart[];
  reservation?: Reservation;
  /** One entry per job still waiting, in queue order. */
  waiting: { jobId: string; reason: WaitReason }[];
  autoscale: AutoscaleDemand;
}
