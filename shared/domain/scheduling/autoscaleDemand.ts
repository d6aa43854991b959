// How many nodes a cluster's work wants: the slots its running jobs hold plus the nodes its waiting jobs need,
// at least the largest waiting gang, clamped to the cluster's limits (Batch AI autoscaled on queued + running jobs).
import type { AutoscaleDemand } from './schedulingDecision';
import type { ClusterLimits } from './schedulingInput';

export interface DemandInput {
  occupiedSlots: number;
  slotsPerNode: number;
  /** nodeCount of each job still waiting that the cluster could run at its maximum size. */
  waitingNodeCounts: number[];
  unsatisfiableJobIds: string[];
  limits: ClusterLimits;
}

export function autoscaleDemand(input: DemandInput): AutoscaleDemand {
  const waitingSlots = input.waitingNodeCounts.reduce((sum, count) => sum + count, 0);
  const largestGang = Math.max(0, ...input.waitingNodeCounts);
  const wanted = Math.max(largestGang, Math.ceil((input.occupiedSlots + waitingSlots) / input.slotsPerNode));
  const { maxNodeCount, autoscale } = input.limits;
  const minimum = input.limits.minNodeCount ?? 0;
  return {
    wantedNodeCount: wanted,
    desiredNodeCount: autoscale ? Math.min(maxNodeCount, Math.max(minimum, wanted)) : maxNodeCount,
    limitedByMaximum: wanted > maxNodeCount,
    unsatisfiableJobIds: [...input.unsatisfiableJobIds],
  };
}
