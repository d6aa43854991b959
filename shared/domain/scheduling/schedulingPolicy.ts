// The cluster scheduling policy: a priority queue (high > normal > low, FCFS within a priority) with gang starts
// and EASY backfill. The first job that cannot start gets a reservation; a later job may start on free nodes only
// when that cannot push the reservation back, so a large gang never starves behind a stream of small jobs.
// Pure and deterministic: same input, same decision.
import { autoscaleDemand } from './autoscaleDemand';
import { ClusterCapacity, endOf, UNKNOWN_END, type Shadow } from './clusterCapacity';
import { compareQueueOrder } from './queueOrder';
import type { JobStart, SchedulingDecision, WaitReason } from './schedulingDecision';
import { parseTime, readSchedulingInput, type SchedulingInput, type WaitingJob } from './schedulingInput';

interface Blocked {
  job: WaitingJob;
  kind: 'unsatisfiable' | 'reservation' | 'noFit' | 'delaysReservation';
}

export function scheduleCluster(raw: SchedulingInput): SchedulingDecision {
  const input = readSchedulingInput(raw);
  const nowMs = parseTime('now', input.now);
  const capacity = ClusterCapacity.fromInput(input, nowMs);
  const ordered = [...input.queue].sort(compareQueueOrder);
  const starts: JobStart[] = [];
  const blocked: Blocked[] = [];
  let head: { job: WaitingJob; shadow: Shadow } | undefined;

  for (const job of ordered) {
    if (job.nodeCount > capacity.largestPossibleGang()) {
      // It can never run at the cluster's current maximum: it must not hold a reservation that blocks everyone.
      blocked.push({ job, kind: 'unsatisfiable' });
      continue;
    }
    const end = endOf(nowMs, job.maxWallClockSeconds, nowMs);
    if (capacity.freeNodes().length < job.nodeCount) {
      if (head) {
        blocked.push({ job, kind: 'noFit' });
      } else {
        head = { job, shadow: capacity.shadow(job.nodeCount) as Shadow };
        blocked.push({ job, kind: 'reservation' });
      }
      continue;
    }
    const reserved = new Set(head?.shadow.nodes.map((node) => node.id) ?? []);
    const nodeIds = capacity.choose(job, reserved).map((node) => node.id);
    if (head && !cannotDelay(capacity, job, nodeIds, end, head)) {
      blocked.push({ job, kind: 'delaysReservation' });
      continue;
    }
    capacity.place(job.id, nodeIds, end);
    starts.push({ jobId: job.id, attempt: job.attempt, nodeIds, backfilled: head !== undefined });
  }

  const finalShadow = head ? capacity.shadow(head.job.nodeCount) : undefined;
  const nodesFree = capacity.freeNodes().length;
  const counts = {
    nodesFree,
    nodesUsable: capacity.usableCount(),
    nodesProvisioning: capacity.provisioningCount(),
  };
  // A job's position counts the waiting jobs ahead of it that can run: one too large for the cluster blocks nobody
  // (and a pass does not always see those: scheduleJobsActivity reads them apart, now and then). A job the cluster
  // cannot run as it is (no nodes, too small) is told its place among all the waiting jobs: the order it starts in
  // once the cluster grows (every job of a cluster with no nodes was 'position 1').
  let runnableAhead = 0;
  let waitingAhead = 0;
  const waiting = blocked.map(({ job, kind }) => {
    const position = (kind === 'unsatisfiable' ? waitingAhead : runnableAhead) + 1;
    waitingAhead++;
    if (kind !== 'unsatisfiable') runnableAhead++;
    return {
      jobId: job.id,
      reason: waitReason(kind, job, position, counts, input, capacity, head?.job, finalShadow),
    };
  });
  const unsatisfiable = blocked
    .filter((entry) => entry.kind === 'unsatisfiable')
    .map((entry) => entry.job.id);
  return {
    starts,
    reservation:
      head && finalShadow
        ? {
            jobId: head.job.id,
            nodeIds: finalShadow.nodes
              .filter((node) => !node.virtual)
              .map((node) => node.id)
              .sort(),
            expectedStartTime: knownTime(finalShadow),
          }
        : undefined,
    waiting,
    autoscale: autoscaleDemand({
      occupiedSlots: capacity.occupiedSlots(),
      slotsPerNode: capacity.slotsPerNode(),
      waitingNodeCounts: blocked
        .filter((entry) => entry.kind !== 'unsatisfiable')
        .map((entry) => entry.job.nodeCount),
      unsatisfiableJobIds: unsatisfiable,
      limits: input.limits,
    }),
  };
}

/**
 * EASY backfill test: with `job` placed, the reservation holder must still get its nodes by its shadow time (an
 * estimate when it waits for nodes being provisioned: a backfill may not outlast that estimate). When the shadow
 * time is unknown (a job without a wall-clock bound holds a node it needs), nothing is backfilled.
 */
function cannotDelay(
  capacity: ClusterCapacity,
  job: WaitingJob,
  nodeIds: string[],
  end: number,
  head: { job: WaitingJob; shadow: Shadow },
): boolean {
  if (head.shadow.time === UNKNOWN_END) return false;
  const trial = capacity.clone();
  trial.place(job.id, nodeIds, end);
  const after = trial.shadow(head.job.nodeCount);
  return after !== undefined && after.time <= head.shadow.time;
}

/** The shadow's time as an instant a user may be told: not an estimate, not unknown. */
function knownTime(shadow: Shadow): string | undefined {
  return shadow.waitsForProvisioning || shadow.time === UNKNOWN_END
    ? undefined
    : new Date(shadow.time).toISOString();
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function waitReason(
  kind: Blocked['kind'],
  job: WaitingJob,
  position: number,
  counts: { nodesFree: number; nodesUsable: number; nodesProvisioning: number },
  input: SchedulingInput,
  capacity: ClusterCapacity,
  head: WaitingJob | undefined,
  shadow: Shadow | undefined,
): WaitReason {
  const base = { position, nodesNeeded: job.nodeCount, ...counts };
  const place = `Position ${position} in the queue (${job.priority} priority)`;
  const needs = `needs ${plural(job.nodeCount, 'node')}`;
  const { maxNodeCount, autoscale } = input.limits;
  if (kind === 'unsatisfiable') {
    if (!autoscale && capacity.largestPossibleGang() === 0) {
      return {
        ...base,
        code: 'ClusterHasNoNodes',
        message: `${place}: the cluster has 0 nodes and autoscale is off; raise targetNodeCount or enable autoscale.`,
      };
    }
    const limit = autoscale
      ? `autoscale maximumNodeCount is ${maxNodeCount}`
      : `targetNodeCount is ${maxNodeCount}`;
    // Unusable nodes take room only in a manual cluster (autoscale replaces them).
    const unusable = autoscale ? 0 : input.nodes.filter((node) => node.state === 'unusable').length;
    return {
      ...base,
      code: 'ExceedsClusterSize',
      message:
        `${place}: ${needs} but the cluster can have at most ${plural(capacity.largestPossibleGang(), 'usable node')} ` +
        `(${limit}${unusable ? `, ${unusable} unusable` : ''}); resize the cluster or lower nodeCount.`,
    };
  }
  if (kind === 'reservation' && shadow) {
    const reservedVirtual = shadow.nodes.filter((node) => node.virtual).length;
    const reservedProvisioning = shadow.nodes.filter((node) => node.provisioning && !node.virtual).length;
    // The quota holds the cluster's growth back and leaves too little room for the nodes this job waits to be added
    // (every node there takes cores, leaving and unusable ones too).
    const { quotaNodeCount } = input.limits;
    const quotaShort =
      quotaNodeCount !== undefined && reservedVirtual > Math.max(0, quotaNodeCount - input.nodes.length);
    if (shadow.waitsForProvisioning && quotaShort) {
      return {
        ...base,
        code: 'WaitingForQuota',
        message:
          `${place}: first in line, ${needs}, ${counts.nodesFree} free; the cluster must add ` +
          `${plural(reservedVirtual, 'node')} but the location's core quota leaves room for ` +
          `${plural(quotaNodeCount, 'node')} of its size (see the cluster's errors and the location's usages).`,
      };
    }
    if (shadow.waitsForProvisioning && reservedVirtual > 0 && autoscale) {
      return {
        ...base,
        code: 'WaitingForScaleUp',
        message: `${place}: first in line, ${needs}, ${counts.nodesFree} free; autoscale must add ${plural(reservedVirtual, 'node')} (maximum ${maxNodeCount}).`,
      };
    }
    if (shadow.waitsForProvisioning) {
      const coming = reservedProvisioning + reservedVirtual;
      return {
        ...base,
        code: 'WaitingForProvisioning',
        message: `${place}: first in line, ${needs}, ${counts.nodesFree} free; waiting for ${plural(coming, 'node')} still provisioning.`,
      };
    }
    const holders = capacity.holdersOf(shadow.nodes);
    const expected = knownTime(shadow);
    // Nodes still to come are expected before the running jobs end: the jobs bind, the nodes are said too.
    const alsoComing =
      reservedVirtual > 0 && autoscale
        ? `; autoscale must also add ${plural(reservedVirtual, 'node')} (maximum ${maxNodeCount})`
        : reservedProvisioning + reservedVirtual > 0
          ? `; ${plural(reservedProvisioning + reservedVirtual, 'node')} still provisioning`
          : '';
    return {
      ...base,
      code: 'WaitingForRunningJobs',
      expectedStartTime: expected,
      waitingForJobIds: holders,
      message:
        `${place}: first in line, ${needs}, ${counts.nodesFree} free; nodes are reserved for it and ` +
        (expected
          ? `expected by ${expected} when ${holders.join(', ')} end(s) at the latest`
          : `free when ${holders.join(', ')} end(s) (no wall-clock bound known)`) +
        `${alsoComing}.`,
    };
  }
  const headId = head?.id ?? '';
  if (kind === 'delaysReservation') {
    return {
      ...base,
      code: 'BlockedByReservation',
      blockedByJobId: headId,
      message: `${place}: ${needs} and ${counts.nodesFree} are free, but starting it could delay job '${headId}', which holds the reservation.`,
    };
  }
  return {
    ...base,
    code: 'InsufficientFreeNodes',
    blockedByJobId: headId,
    message: `${place}: ${needs}, ${counts.nodesFree} free; it waits behind job '${headId}', which holds the reservation.`,
  };
}
