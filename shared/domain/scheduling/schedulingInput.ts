// What the scheduling policy decides from: one cluster's nodes, its running allocations, its queue of waiting
// jobs and its size limits. Plain JSON-friendly data, checked once by `readSchedulingInput` with errors naming the field.
import { ValidationError } from '../errors';

export type NodeState = 'idle' | 'running' | 'preparing' | 'unusable' | 'leaving';
export type JobPriority = 'high' | 'normal' | 'low';

export interface SchedulerNode {
  id: string;
  /** Batch AI's node states; idle and running nodes can take work, preparing ones are still provisioning. */
  state: NodeState;
  /** How many jobs the node can host at once (default 1: a job has its nodes to itself, as in Batch AI). */
  slots?: number;
  /** A low-priority (spot) node: it can be evicted, so gangs and high-priority jobs prefer dedicated nodes. */
  lowPriority?: boolean;
}

/** A job that holds nodes now. Allocations, not node states, say which slots are taken. */
export interface RunningAllocation {
  jobId: string;
  nodeIds: string[];
  /** ISO time the attempt started. */
  startTime: string;
  /** The job's maxWallClockTime in seconds: start + this bounds when its nodes come back. Unknown: never assumed. */
  maxWallClockSeconds?: number;
}

export interface WaitingJob {
  id: string;
  priority: JobPriority;
  /** ISO time the job was submitted (a requeued job keeps its first submit time, so it keeps its place). */
  submitTime: string;
  nodeCount: number;
  /** The attempt that starts when the job is scheduled (1 for a fresh job). */
  attempt: number;
  maxWallClockSeconds?: number;
}

export interface ClusterLimits {
  /** Autoscale: the maximum node count. Manual scale: the target node count. */
  maxNodeCount: number;
  /** Autoscale: the minimum node count (default 0). Manual scale: ignored. */
  minNodeCount?: number;
  /** True when the cluster autoscales, so the queue's demand changes its size. */
  autoscale: boolean;
  /** Slots of a node the cluster may still add (its `jobSlotsPerNode`; default 1). */
  slotsPerNode?: number;
  /**
   * The most nodes the location's core quota leaves room for, when the cluster monitor's last pass found it short
   * of what the cluster wanted (absent otherwise). Only explains waits: the quota may free up at any time.
   */
  quotaNodeCount?: number;
}

export interface SchedulingInput {
  /** ISO time of the decision (an orchestrator passes context.df.currentUtcDateTime). */
  now: string;
  nodes: SchedulerNode[];
  running: RunningAllocation[];
  queue: WaitingJob[];
  limits: ClusterLimits;
}

const nodeStates: NodeState[] = ['idle', 'running', 'preparing', 'unusable', 'leaving'];
const priorities: JobPriority[] = ['high', 'normal', 'low'];

export function parseTime(field: string, text: unknown): number {
  const ms = typeof text === 'string' ? Date.parse(text) : NaN;
  if (Number.isNaN(ms))
    throw new ValidationError(field, `'${field}' must be an ISO 8601 time; it is ${JSON.stringify(text)}.`);
  return ms;
}

function requireCount(field: string, value: unknown, minimum: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
    throw new ValidationError(
      field,
      `'${field}' must be an integer of at least ${minimum}; it is ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

function requireId(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ValidationError(field, `'${field}' must be a non-empty string.`);
  }
  return value;
}

function optionalSeconds(field: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !(value > 0)) {
    throw new ValidationError(
      field,
      `'${field}' must be a positive number of seconds; it is ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

function requireUniqueIds(field: string, ids: string[]): void {
  const seen = new Set<string>();
  ids.forEach((id, index) => {
    if (seen.has(id))
      throw new ValidationError(`${field}[${index}].id`, `Duplicate id '${id}' in '${field}'.`);
    seen.add(id);
  });
}

/** Checks every field the policy reads; returns the same data with defaults applied. */
export function readSchedulingInput(input: SchedulingInput): SchedulingInput {
  parseTime('now', input.now);
  const nodes = input.nodes.map((node, index): SchedulerNode => {
    const field = `nodes[${index}]`;
    if (!nodeStates.includes(node.state)) {
      throw new ValidationError(
        `${field}.state`,
        `'${field}.state' must be one of ${nodeStates.join(', ')}.`,
      );
    }
    return {
      id: requireId(`${field}.id`, node.id),
      state: node.state,
      slots: requireCount(`${field}.slots`, node.slots ?? 1, 1),
      lowPriority: node.lowPriority === true,
    };
  });
  requireUniqueIds(
    'nodes',
    nodes.map((n) => n.id),
  );
  const running = input.running.map((allocation, index): RunningAllocation => {
    const field = `running[${index}]`;
    parseTime(`${field}.startTime`, allocation.startTime);
    if (!Array.isArray(allocation.nodeIds) || allocation.nodeIds.length === 0) {
      throw new ValidationError(`${field}.nodeIds`, `'${field}.nodeIds' must list at least one node.`);
    }
    return {
      jobId: requireId(`${field}.jobId`, allocation.jobId),
      nodeIds: allocation.nodeIds.map((id, i) => requireId(`${field}.nodeIds[${i}]`, id)),
      startTime: allocation.startTime,
      maxWallClockSeconds: optionalSeconds(`${field}.maxWallClockSeconds`, allocation.maxWallClockSeconds),
    };
  });
  const queue = input.queue.map((job, index): WaitingJob => {
    const field = `queue[${index}]`;
    if (!priorities.includes(job.priority)) {
      throw new ValidationError(
        `${field}.priority`,
        `'${field}.priority' must be one of ${priorities.join(', ')}.`,
      );
    }
    parseTime(`${field}.submitTime`, job.submitTime);
    return {
      id: requireId(`${field}.id`, job.id),
      priority: job.priority,
      submitTime: job.submitTime,
      nodeCount: requireCount(`${field}.nodeCount`, job.nodeCount, 1),
      attempt: requireCount(`${field}.attempt`, job.attempt, 1),
      maxWallClockSeconds: optionalSeconds(`${field}.maxWallClockSeconds`, job.maxWallClockSeconds),
    };
  });
  requireUniqueIds(
    'queue',
    queue.map((j) => j.id),
  );
  const limits: ClusterLimits = {
    maxNodeCount: requireCount('limits.maxNodeCount', input.limits.maxNodeCount, 0),
    minNodeCount: requireCount('limits.minNodeCount', input.limits.minNodeCount ?? 0, 0),
    autoscale: input.limits.autoscale === true,
    slotsPerNode: requireCount('limits.slotsPerNode', input.limits.slotsPerNode ?? 1, 1),
  };
  if (input.limits.quotaNodeCount !== undefined) {
    limits.quotaNodeCount = requireCount('limits.quotaNodeCount', input.limits.quotaNodeCount, 0);
  }
  if (limits.autoscale && (limits.minNodeCount ?? 0) > limits.maxNodeCount) {
    throw new ValidationError(
      'limits.minNodeCount',
      `'limits.minNodeCount' must not exceed 'limits.maxNodeCount'.`,
    );
  }
  return { now: input.now, nodes, running, queue, limits };
}
