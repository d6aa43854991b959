// The cluster monitor's decisions as a pure function of one snapshot (scale settings, pool nodes, node records,
// queued work, the clock): which nodes are lost, which leave, how many to add (autoscale: usable ones, replacing a
// setup-failed node at the maximum), and the counts the API shows.
import type { PoolNode } from '../../shared/ports/computePool';
import type { NodeRecord, NodeState } from '../../shared/ports/nodeStore';

export type Deallocation = 'requeue' | 'terminate' | 'waitforjobcompletion';

export type ScaleSettings =
  | { mode: 'manual'; targetNodeCount: number; deallocation: Deallocation }
  | { mode: 'auto'; minimumNodeCount: number; maximumNodeCount: number; initialNodeCount: number };

export interface ClusterSnapshot {
  now: number;
  scale: ScaleSettings;
  /** True on the first pass after the cluster was created (autoscale starts at initialNodeCount). */
  firstPass: boolean;
  poolNodes: PoolNode[];
  records: NodeRecord[];
  /**
   * Nodes the cluster's work wants: the job scheduler's autoscale demand (running and queued jobs that can fit the
   * cluster at its maximum size; a job that never fits does not count).
   */
  queuedWorkNodes: number;
  /** No heartbeat for this long: the node is lost. */
  lostAfterMs: number;
  /** A node that has not registered this long after creation is lost too (VM boot + agent install). */
  registerWithinMs: number;
  /** Autoscale removes a node only after it has been idle this long. */
  idleTimeoutMs: number;
  /**
   * A node removed with requeue/terminate stays (leaving) until its killed tasks reported their exit, so the job's
   * lifecycle sees the removal; after this long it goes anyway (an agent that does not answer). Default 60 s.
   */
  removalGraceMs?: number;
  /**
   * Silence before this time does not count against a node: the control plane itself was not running (its monitor
   * passed longer ago than the lost-after time, say after a restart of the host), so the node events of that time
   * may still wait on their queue. Heartbeats are expected again from then on.
   */
  heartbeatsDueFrom?: number;
  /**
   * Nodes a running job's current attempt was granted (job records): a node granted a moment ago still looks idle
   * until its task's start is applied, and a scale-down must not take it for an idle one.
   */
  grantedNodeIds?: ReadonlySet<string>;
  /**
   * The most instances the pool may have after the pass: the location's core quota less what other clusters use
   * (in nodes of this size). Growth stops there; nodes already in the pool are never taken for it.
   */
  maxPoolNodes?: number;
}

export interface NodeStateCounts {
  idleNodeCount: number;
  runningNodeCount: number;
  preparingNodeCount: number;
  unusableNodeCount: number;
  leavingNodeCount: number;
}

export interface ClusterPlan {
  desired: number;
  markUnusable: { nodeId: string; reason: string }[];
  markLeaving: { nodeId: string; reason: string; deallocation: Deallocation }[];
  /** Tasks to kill (SIGTERM) before their node is removed (requeue / terminate), with that option. */
  killTasks: { nodeId: string; taskIds: string[]; nodeRemoval: 'requeue' | 'terminate' }[];
  deleteNodes: string[];
  /** Records of nodes the pool no longer has. */
  deleteRecords: string[];
  /** Pool size to resize to after the deletions, when it grows; undefined when nothing is added. */
  growTo?: number;
  /** Nodes the pass would have added but the core quota has no room for (`maxPoolNodes`). */
  heldBackByQuota?: number;
  counts: NodeStateCounts;
  currentNodeCount: number;
  allocationState: 'steady' | 'resizing';
}

export const lostReason = 'lost: no heartbeat';

function desiredCount(s: ClusterSnapshot): number {
  if (s.scale.mode === 'manual') return s.scale.targetNodeCount;
  const { minimumNodeCount: min, maximumNodeCount: max, initialNodeCount } = s.scale;
  const wanted = Math.min(max, Math.max(min, s.queuedWorkNodes));
  return s.firstPass ? Math.max(wanted, Math.min(max, initialNodeCount)) : wanted;
}

/**
 * The plan of one pass. With `keepSize` (manual scale settings only), the cluster keeps the nodes it has: no node
 * is added or taken for the target, so the counts are those of the nodes there (what a pass the platform refused
 * shows); lost and released nodes are still planned as usual.
 */
export function planCluster(
  s: ClusterSnapshot,
  { keepSize = false }: { keepSize?: boolean } = {},
): ClusterPlan {
  const records = new Map(s.records.map((r) => [r.nodeId, r]));
  const plan: ClusterPlan = {
    desired: desiredCount(s),
    markUnusable: [],
    markLeaving: [],
    killTasks: [],
    deleteNodes: [],
    deleteRecords: s.records
      .filter((r) => !s.poolNodes.some((n) => n.nodeId === r.nodeId))
      .map((r) => r.nodeId),
    counts: {
      idleNodeCount: 0,
      runningNodeCount: 0,
      preparingNodeCount: 0,
      unusableNodeCount: 0,
      leavingNodeCount: 0,
    },
    currentNodeCount: 0,
    allocationState: 'steady',
  };
  const state = new Map<string, NodeState>();
  const granted = (id: string): boolean => s.grantedNodeIds?.has(id) === true;
  // Instances the platform is deleting already: neither counted nor deleted again (Resource Manager refuses a
  // delete naming an instance that is no longer active, which would fail the whole pass).
  const livePool = s.poolNodes.filter((n) => n.state !== 'deleting');
  if (!keepSize) {
    // A record of an instance being deleted that says it takes work: its agent started again during the delete
    // (registered anew: the record went when the delete was accepted). Leaving, so no job is granted the dying node;
    // the record goes once the instance is gone.
    for (const node of s.poolNodes) {
      const record = node.state === 'deleting' ? records.get(node.nodeId) : undefined;
      if (record && (record.state === 'idle' || record.state === 'preparing') && !granted(node.nodeId)) {
        plan.markLeaving.push({
          nodeId: node.nodeId,
          reason: 'the VM is being deleted',
          deallocation: 'waitforjobcompletion',
        });
      }
    }
  }
  for (const node of livePool) {
    const record = records.get(node.nodeId);
    let current: NodeState = record?.state ?? 'preparing';
    if (current === 'unusable' && record?.unusableReason?.startsWith('lost')) {
      plan.deleteNodes.push(node.nodeId); // marked lost on an earlier pass: replace it now
      continue;
    }
    if (current !== 'unusable') {
      const lastSeen = Math.max(
        Date.parse(record?.lastHeartbeatTime ?? record?.createdTime ?? node.createdTime ?? ''),
        s.heartbeatsDueFrom ?? Number.NEGATIVE_INFINITY,
      );
      const allowance = record?.lastHeartbeatTime ? s.lostAfterMs : s.registerWithinMs;
      const lost =
        node.state === 'failed'
          ? 'lost: the VM or node process failed'
          : !Number.isNaN(lastSeen) && s.now - lastSeen > allowance
            ? lostReason
            : undefined;
      if (lost && current === 'leaving') {
        // Leaving, and gone: no exit will come from it, so nothing is left to wait for (its jobs find the node gone).
        plan.deleteNodes.push(node.nodeId);
        continue;
      }
      if (lost) {
        plan.markUnusable.push({ nodeId: node.nodeId, reason: lost });
        current = 'unusable';
      }
    }
    const removal = record?.leaving?.deallocation;
    const tasks = record?.runningTaskIds ?? [];
    // A node a scale-down took while a job held it (granted, its task not started yet) stays until the job lets it
    // go: the lifecycle sees it leaving (and requeues, fails or keeps the job as the option says) and ends the
    // attempt. A node leaving for an eviction (no option) goes at once: the platform takes it anyway.
    if (current === 'leaving' && tasks.length === 0 && !(removal && granted(node.nodeId))) {
      plan.deleteNodes.push(node.nodeId); // its jobs finished (or were stopped): release it
      continue;
    }
    const leavingSince = Date.parse(record?.leaving?.since ?? '');
    if (
      current === 'leaving' &&
      (removal === 'requeue' || removal === 'terminate') &&
      !Number.isNaN(leavingSince) &&
      s.now - leavingSince > (s.removalGraceMs ?? 60_000)
    ) {
      plan.deleteNodes.push(node.nodeId); // its killed tasks never reported: remove it anyway
      continue;
    }
    if (current === 'leaving' && (removal === 'requeue' || removal === 'terminate') && tasks.length > 0) {
      // Killed on the pass that marked it leaving, and again on every pass while its tasks are still listed: a kill
      // message that was lost (or whose send failed) is not the end of the removal, and the agent ignores a kill for
      // a task that already ended. A task started after the mark (a job granted the node just before) is killed too.
      plan.killTasks.push({ nodeId: node.nodeId, taskIds: tasks, nodeRemoval: removal });
    }
    state.set(node.nodeId, current);
  }

  const active = [...state].filter(([, st]) => st !== 'leaving');
  if (keepSize) plan.desired = active.length;
  const settingUp = [...state.values()].includes('preparing');
  let growth = s.scale.mode === 'manual' ? Math.max(0, plan.desired - active.length) : 0;
  if (active.length > plan.desired) {
    let excess = active.length - plan.desired;
    const rank: Record<NodeState, number> = { unusable: 0, preparing: 1, idle: 2, running: 3, leaving: 9 };
    // A granted node counts as running: the last a manual scale-down takes, never autoscale's idle victim.
    const rankOf = ([id, st]: [string, NodeState]): number =>
      st === 'idle' && granted(id) ? rank.running : rank[st];
    const victims = active
      .filter(([id, st]) => {
        if (s.scale.mode === 'manual') return true;
        if (st === 'unusable') return true;
        const idleSince = Date.parse(records.get(id)?.idleSince ?? '');
        return (
          st === 'idle' && !granted(id) && !Number.isNaN(idleSince) && s.now - idleSince >= s.idleTimeoutMs
        );
      })
      .sort((a, b) => rankOf(a) - rankOf(b));
    const deallocation = s.scale.mode === 'manual' ? s.scale.deallocation : 'waitforjobcompletion';
    for (const [id, st] of victims) {
      if (excess-- <= 0) break;
      const tasks = records.get(id)?.runningTaskIds ?? [];
      // A node a job was granted (its task may not have started yet) is busy as a running one is: it leaves with the
      // option, so the job's lifecycle sees the removal (waitforjobcompletion lets the job finish on it).
      const busy =
        (st === 'running' && tasks.length > 0) || ((st === 'idle' || st === 'running') && granted(id));
      if (busy) {
        plan.markLeaving.push({ nodeId: id, reason: `scale down (${deallocation})`, deallocation });
        state.set(id, 'leaving');
        if (deallocation !== 'waitforjobcompletion' && tasks.length > 0) {
          // Kill now, remove once the exits are in (next passes): the lifecycle learns the option from the exit.
          plan.killTasks.push({ nodeId: id, taskIds: tasks, nodeRemoval: deallocation });
        }
      } else {
        plan.deleteNodes.push(id);
        state.delete(id);
      }
    }
  }
  if (s.scale.mode === 'auto') {
    // Autoscale's desired count is usable nodes (the scheduler's demand counts the nodes its jobs need), so an
    // unusable node does not satisfy it: add the missing usable nodes while the cluster stays within its maximum.
    const present = [...state].filter(([, st]) => st !== 'leaving');
    const usable = present.filter(([, st]) => st !== 'unusable').length;
    const missing = Math.max(0, plan.desired - usable);
    growth = Math.min(missing, Math.max(0, s.scale.maximumNodeCount - present.length));
    // At the maximum and still short: replace a node whose setup failed (lost ones are replaced on their own), one
    // per pass and only while no node is being added or set up, so a setup that fails every time costs one node at
    // a time, each after the previous one failed, rather than a loop of many.
    const replaceable = present.find(([id, st]) => {
      const record = records.get(id);
      return (
        st === 'unusable' &&
        record?.state === 'unusable' &&
        record.runningTaskIds.length === 0 &&
        !granted(id)
      );
    });
    if (missing > 0 && growth === 0 && !settingUp && replaceable) {
      plan.deleteNodes.push(replaceable[0]);
      state.delete(replaceable[0]);
      growth = 1;
    }
  }
  const remainingPool = livePool.length - plan.deleteNodes.length;
  if (s.maxPoolNodes !== undefined && growth > 0) {
    const room = Math.max(0, s.maxPoolNodes - remainingPool);
    if (growth > room) {
      plan.heldBackByQuota = growth - room;
      growth = room;
    }
  }
  if (growth > 0) plan.growTo = remainingPool + growth;

  for (const st of state.values()) {
    const key = `${st}NodeCount` as keyof NodeStateCounts;
    plan.counts[key]++;
  }
  plan.counts.preparingNodeCount += growth;
  plan.currentNodeCount = state.size + growth;
  const joining = s.poolNodes.some(
    (n) =>
      n.state === 'creating' || n.state === 'deleting' || (!records.has(n.nodeId) && state.has(n.nodeId)),
  );
  plan.allocationState =
    plan.deleteNodes.length > 0 || growth > 0 || plan.counts.leavingNodeCount > 0 || joining
      ? 'resizing'
      : 'steady';
  return plan;
}
