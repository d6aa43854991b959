// The scheduler's working view of a cluster: free slots per node, when each busy node is expected to free a slot,
// nodes still provisioning and nodes the cluster may still add. Availability times are numbers so they sort: a
// time in ms (a node being provisioned, or one the cluster may add, is expected `provisioningEstimateMs` from now:
// an estimate, so it ranks before a busy node that frees hours later, and a backfill may not outlast it), then
// UNKNOWN_END (no wall-clock bound known).
import type { SchedulingInput, WaitingJob } from './schedulingInput';

export const UNKNOWN_END = Number.POSITIVE_INFINITY;

/** How long a node being provisioned (or added by autoscale) is expected to take: a VM's usual boot and setup. */
export const provisioningEstimateMs = 10 * 60_000;

interface NodeHold {
  jobId: string;
  end: number;
}

export interface CapacityNode {
  id: string;
  lowPriority: boolean;
  slots: number;
  holds: NodeHold[];
  /** Preparing (being provisioned) or `virtual`: a node the cluster has yet to create, up to its maximum. */
  provisioning: boolean;
  virtual: boolean;
}

export interface Shadow {
  /** When the `need`-th node becomes available (see the module comment for the scale). */
  time: number;
  nodes: CapacityNode[];
  /** The `need`-th node is one being provisioned or still to add: `time` is an estimate. */
  waitsForProvisioning: boolean;
}

export class ClusterCapacity {
  readonly nowMs: number;
  private readonly nodes: CapacityNode[];

  private constructor(nowMs: number, nodes: CapacityNode[]) {
    this.nowMs = nowMs;
    this.nodes = nodes;
  }

  static fromInput(input: SchedulingInput, nowMs: number): ClusterCapacity {
    const nodes: CapacityNode[] = input.nodes
      .filter((node) => node.state === 'idle' || node.state === 'running' || node.state === 'preparing')
      .map((node) => ({
        id: node.id,
        lowPriority: node.lowPriority === true,
        slots: node.slots ?? 1,
        holds: [],
        provisioning: node.state === 'preparing',
        virtual: false,
      }));
    const byId = new Map(nodes.map((node) => [node.id, node]));
    for (const allocation of input.running) {
      const end = endOf(Date.parse(allocation.startTime), allocation.maxWallClockSeconds, nowMs);
      // A node that left or became unusable holds no capacity; its job is the lifecycle's to requeue.
      for (const id of allocation.nodeIds) byId.get(id)?.holds.push({ jobId: allocation.jobId, end });
    }
    // Autoscale replaces unusable nodes (the cluster monitor deletes them to make room when nodes are short): their
    // room counts as nodes the cluster may add. A manual cluster keeps them within its target.
    const present = input.nodes.filter(
      (node) => node.state !== 'leaving' && !(input.limits.autoscale && node.state === 'unusable'),
    ).length;
    const growth = Math.max(0, input.limits.maxNodeCount - present);
    for (let i = 0; i < growth; i++) {
      nodes.push({
        id: `(new node ${i + 1})`,
        lowPriority: false,
        slots: input.limits.slotsPerNode ?? 1,
        holds: [],
        provisioning: true,
        virtual: true,
      });
    }
    return new ClusterCapacity(nowMs, nodes);
  }

  clone(): ClusterCapacity {
    return new ClusterCapacity(
      this.nowMs,
      this.nodes.map((node) => ({ ...node, holds: [...node.holds] })),
    );
  }

  /** Usable nodes with at least one free slot now. */
  freeNodes(): CapacityNode[] {
    return this.nodes.filter((node) => !node.provisioning && node.holds.length < node.slots);
  }

  usableCount(): number {
    return this.nodes.filter((node) => !node.provisioning).length;
  }

  provisioningCount(): number {
    return this.nodes.filter((node) => node.provisioning && !node.virtual).length;
  }

  /** The largest gang the cluster could ever run at its current maximum (or target) size. */
  largestPossibleGang(): number {
    return this.nodes.length;
  }

  /** Slots taken on usable nodes. */
  occupiedSlots(): number {
    return this.nodes.reduce((sum, node) => sum + node.holds.length, 0);
  }

  /** Slots per node: the largest seen (1 when there are no nodes). */
  slotsPerNode(): number {
    return this.nodes.reduce((most, node) => Math.max(most, node.slots), 1);
  }

  availability(node: CapacityNode): number {
    if (node.provisioning) return this.nowMs + provisioningEstimateMs;
    if (node.holds.length < node.slots) return this.nowMs;
    return Math.min(...node.holds.map((hold) => hold.end));
  }

  /** When `need` nodes can first be free at once, and which; undefined when the cluster can never have that many. */
  shadow(need: number): Shadow | undefined {
    if (need > this.nodes.length) return undefined;
    const ranked = this.nodes
      .map((node) => ({ node, at: this.availability(node) }))
      .sort((a, b) => a.at - b.at || (a.node.id < b.node.id ? -1 : a.node.id > b.node.id ? 1 : 0));
    const binding = ranked[need - 1];
    return {
      time: binding.at,
      nodes: ranked.slice(0, need).map((entry) => entry.node),
      waitsForProvisioning: binding.node.provisioning,
    };
  }

  /** Jobs whose end frees one of `nodes`. */
  holdersOf(nodes: CapacityNode[]): string[] {
    const ids = new Set<string>();
    for (const node of nodes) {
      if (node.provisioning || node.holds.length < node.slots) continue;
      const first = Math.min(...node.holds.map((hold) => hold.end));
      for (const hold of node.holds) if (hold.end === first) ids.add(hold.jobId);
    }
    return [...ids].sort();
  }

  /**
   * Picks `job.nodeCount` free nodes: nodes in `avoid` (reserved for the first blocked job) last; gangs and
   * high-priority jobs on dedicated nodes first (an eviction kills the whole gang), the others on low-priority nodes
   * first, keeping dedicated capacity for them; then the fullest node (so idle nodes stay idle and can scale in).
   */
  choose(job: WaitingJob, avoid: ReadonlySet<string>): CapacityNode[] {
    const wantsDedicated = job.priority === 'high' || job.nodeCount > 1;
    const mismatch = (node: CapacityNode): number => (wantsDedicated === node.lowPriority ? 1 : 0);
    return this.freeNodes()
      .sort(
        (a, b) =>
          Number(avoid.has(a.id)) - Number(avoid.has(b.id)) ||
          mismatch(a) - mismatch(b) ||
          a.slots - a.holds.length - (b.slots - b.holds.length) ||
          (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      )
      .slice(0, job.nodeCount);
  }

  place(jobId: string, nodeIds: string[], end: number): void {
    for (const id of nodeIds) {
      const node = this.nodes.find((candidate) => candidate.id === id);
      if (!node) throw new Error(`Cannot place job '${jobId}' on unknown node '${id}'.`);
      node.holds.push({ jobId, end });
    }
  }
}

/** When a job started at `startMs` gives its nodes back; a job past its wall-clock limit is about to be stopped. */
export function endOf(startMs: number, maxWallClockSeconds: number | undefined, nowMs: number): number {
  if (maxWallClockSeconds === undefined) return UNKNOWN_END;
  return Math.max(startMs + maxWallClockSeconds * 1000, nowMs + 1);
}
