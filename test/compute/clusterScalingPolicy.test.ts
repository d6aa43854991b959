// The cluster monitor's pure decisions: lost nodes, deallocation options, autoscale with idle timeout, counts.
import { planCluster, type ClusterSnapshot } from '../../orchestrations/compute/clusterScalingPolicy';
import { applyNodeEvent, earlierReleasesKept } from '../../orchestrations/compute/nodeEventReducer';
import { grantedNodesOf, heartbeatGraceOf } from '../../orchestrations/compute/reconcileClusterActivity';
import type { JobQueueEntry } from '../../shared/ports/resourceStore';
import { handedBack } from '../../orchestrations/jobs/jobLifecycleContract';
import type { NodeRecord } from '../../shared/ports/nodeStore';
import { scheduleCluster } from '../../shared/domain/scheduling/schedulingPolicy';

const now = Date.parse('2026-01-01T00:10:00Z');
const iso = (msAgo: number): string => new Date(now - msAgo).toISOString();
const eventBase = { schema: 'batchai.nodeEvent' as const, version: 2 as const, nodeId: 'n', clusterKey: 'c' };
/** Task 't' of job 'j' exited on node 'n' a second ago (add the attempt and how it ended). */
const taskExit = { ...eventBase, kind: 'taskExited' as const, time: iso(1_000), taskId: 't', jobId: 'j' };
/** Node 'n' of cluster 'c', set up, idle unless told otherwise. */
const setUpNode = (changes: Partial<NodeRecord> = {}): NodeRecord => ({
  nodeId: 'n',
  clusterKey: 'c',
  state: 'idle',
  createdTime: iso(10_000),
  setup: { succeeded: true },
  runningTaskIds: [],
  runningJobIds: [],
  ...changes,
});

function node(nodeId: string, state: NodeRecord['state'], extra: Partial<NodeRecord> = {}): NodeRecord {
  return {
    nodeId,
    clusterKey: 'c',
    state,
    createdTime: iso(60_000),
    lastHeartbeatTime: iso(1_000),
    setup: { succeeded: true },
    runningTaskIds: state === 'running' ? [`${nodeId}-task`] : [],
    runningJobIds: [],
    idleSince: state === 'idle' ? iso(30_000) : undefined,
    ...extra,
  };
}

function snapshot(records: NodeRecord[], overrides: Partial<ClusterSnapshot> = {}): ClusterSnapshot {
  return {
    now,
    scale: { mode: 'manual', targetNodeCount: records.length, deallocation: 'requeue' },
    firstPass: false,
    poolNodes: records.map((r) => ({
      nodeId: r.nodeId,
      state: 'running' as const,
      createdTime: r.createdTime,
    })),
    records,
    queuedWorkNodes: 0,
    lostAfterMs: 10_000,
    registerWithinMs: 120_000,
    idleTimeoutMs: 20_000,
    ...overrides,
  };
}

test('growing adds nodes counted as preparing and the allocation is resizing', () => {
  const plan = planCluster(
    snapshot([node('a', 'idle')], { scale: { mode: 'manual', targetNodeCount: 3, deallocation: 'requeue' } }),
  );
  expect(plan.growTo).toBe(3);
  expect(plan.counts).toEqual({
    idleNodeCount: 1,
    runningNodeCount: 0,
    preparingNodeCount: 2,
    unusableNodeCount: 0,
    leavingNodeCount: 0,
  });
  expect(plan.currentNodeCount).toBe(3);
  expect(plan.allocationState).toBe('resizing');
});

test('the core quota stops growth at the nodes it has room for, and never takes a node the pool has', () => {
  const manual = { mode: 'manual' as const, targetNodeCount: 5, deallocation: 'requeue' as const };
  const capped = planCluster(snapshot([node('a', 'idle')], { scale: manual, maxPoolNodes: 3 }));
  expect(capped).toMatchObject({ growTo: 3, heldBackByQuota: 2, currentNodeCount: 3 });
  expect(capped.counts.preparingNodeCount).toBe(2);
  // No room at all (others grew past it): nothing added, nothing taken, the cluster steady.
  const none = planCluster(
    snapshot([node('a', 'idle'), node('b', 'running')], { scale: manual, maxPoolNodes: 1 }),
  );
  expect(none).toMatchObject({ heldBackByQuota: 3, deleteNodes: [], allocationState: 'steady' });
  expect(none.growTo).toBeUndefined();
  // Room enough: as without the quota.
  const roomy = planCluster(snapshot([node('a', 'idle')], { scale: manual, maxPoolNodes: 9 }));
  expect(roomy.growTo).toBe(5);
  expect(roomy.heldBackByQuota).toBeUndefined();
  // Autoscale's demand is held back the same way.
  const auto = planCluster(
    snapshot([], {
      scale: { mode: 'auto', minimumNodeCount: 0, maximumNodeCount: 8, initialNodeCount: 0 },
      queuedWorkNodes: 6,
      maxPoolNodes: 4,
    }),
  );
  expect(auto).toMatchObject({ growTo: 4, heldBackByQuota: 2 });
});

test('a steady cluster with every node registered is steady', () => {
  const plan = planCluster(snapshot([node('a', 'idle'), node('b', 'running')]));
  expect(plan).toMatchObject({
    allocationState: 'steady',
    deleteNodes: [],
    markUnusable: [],
  });
  expect(plan.growTo).toBeUndefined();
});

test('a node without heartbeat for lostAfterMs is marked unusable, then replaced on the next pass', () => {
  const stale = node('a', 'idle', { lastHeartbeatTime: iso(11_000) });
  const first = planCluster(snapshot([stale, node('b', 'idle')]));
  expect(first.markUnusable).toEqual([{ nodeId: 'a', reason: 'lost: no heartbeat' }]);
  expect(first.counts.unusableNodeCount).toBe(1);
  const second = planCluster(
    snapshot([{ ...stale, state: 'unusable', unusableReason: 'lost: no heartbeat' }, node('b', 'idle')]),
  );
  expect(second.deleteNodes).toEqual(['a']);
  expect(second.growTo).toBe(2);
});

test('scaling down prefers idle nodes; requeue kills the tasks of running victims, removed once they exited', () => {
  const records = [node('r1', 'running'), node('i1', 'idle'), node('r2', 'running')];
  const scale = { mode: 'manual' as const, targetNodeCount: 1, deallocation: 'requeue' as const };
  const plan = planCluster(snapshot(records, { scale }));
  expect(plan.deleteNodes).toEqual(['i1']);
  expect(plan.killTasks).toEqual([{ nodeId: 'r1', taskIds: ['r1-task'], nodeRemoval: 'requeue' }]);
  expect(plan.markLeaving).toEqual([
    { nodeId: 'r1', reason: 'scale down (requeue)', deallocation: 'requeue' },
  ]);
  expect(plan.counts).toMatchObject({ runningNodeCount: 1, leavingNodeCount: 1 });
  // Still running its killed task: it stays leaving; once the exit is in, it goes.
  const leaving = {
    ...records[0],
    state: 'leaving' as const,
    leaving: { since: iso(5_000), reason: 'scale down (requeue)', deallocation: 'requeue' as const },
  };
  expect(planCluster(snapshot([leaving, records[2]], { scale })).deleteNodes).toEqual([]);
  expect(
    planCluster(snapshot([{ ...leaving, runningTaskIds: [] }, records[2]], { scale })).deleteNodes,
  ).toEqual(['r1']);
  // An agent that never reports is removed after the grace period.
  const stuck = { ...leaving, leaving: { ...leaving.leaving, since: iso(61_000) } };
  expect(planCluster(snapshot([stuck, records[2]], { scale })).deleteNodes).toEqual(['r1']);
});

test('terminate names the option on the kill, so the lifecycle can fail the job instead of requeuing it', () => {
  const records = [node('r1', 'running'), node('r2', 'running')];
  const scale = { mode: 'manual' as const, targetNodeCount: 1, deallocation: 'terminate' as const };
  const plan = planCluster(snapshot(records, { scale }));
  expect(plan.killTasks).toEqual([{ nodeId: 'r1', taskIds: ['r1-task'], nodeRemoval: 'terminate' }]);
  expect(plan.markLeaving[0]).toMatchObject({ nodeId: 'r1', deallocation: 'terminate' });
});

test('waitforjobcompletion marks running victims leaving and removes them only when their tasks are done', () => {
  const records = [node('r1', 'running'), node('r2', 'running')];
  const scale = {
    mode: 'manual' as const,
    targetNodeCount: 1,
    deallocation: 'waitforjobcompletion' as const,
  };
  const plan = planCluster(snapshot(records, { scale }));
  expect(plan.markLeaving).toHaveLength(1);
  expect(plan.deleteNodes).toEqual([]);
  expect(plan.counts.leavingNodeCount).toBe(1);
  expect(plan.allocationState).toBe('resizing');
  const leaving = { ...records[0], state: 'leaving' as const, runningTaskIds: [] };
  expect(planCluster(snapshot([leaving, records[1]], { scale })).deleteNodes).toEqual(['r1']);
});

test('autoscale follows queued work between min and max and removes only nodes idle longer than the idle time', () => {
  const auto = { mode: 'auto' as const, minimumNodeCount: 0, maximumNodeCount: 4, initialNodeCount: 0 };
  expect(planCluster(snapshot([], { scale: auto, queuedWorkNodes: 9 })).growTo).toBe(4);
  const recent = node('fresh', 'idle', { idleSince: iso(5_000) });
  const old = node('old', 'idle', { idleSince: iso(25_000) });
  const plan = planCluster(
    snapshot([recent, old, node('busy', 'running')], { scale: auto, queuedWorkNodes: 1 }),
  );
  expect(plan.deleteNodes).toEqual(['old']);
  expect(planCluster(snapshot([], { scale: { ...auto, initialNodeCount: 2 }, firstPass: true })).growTo).toBe(
    2,
  );
});

test('a failed pool node is unusable at once; records of nodes the pool no longer has are dropped', () => {
  const plan = planCluster({
    ...snapshot([node('a', 'idle'), node('gone', 'idle')]),
    poolNodes: [{ nodeId: 'a', state: 'failed', createdTime: iso(60_000) }],
    scale: { mode: 'manual', targetNodeCount: 1, deallocation: 'requeue' },
  });
  expect(plan.markUnusable).toEqual([{ nodeId: 'a', reason: 'lost: the VM or node process failed' }]);
  expect(plan.deleteRecords).toEqual(['gone']);
});

test('node events: a task a heartbeat stops listing is kept as vanished until its exit is applied', () => {
  const running = setUpNode({ state: 'running', runningTaskIds: ['t', 'u'], runningJobIds: ['j', 'k'] });
  const heartbeat = (msAgo: number, runningTaskIds: string[]) => ({
    ...eventBase,
    kind: 'heartbeat' as const,
    time: iso(msAgo),
    runningTaskIds,
  });
  // The exit of 't' is still on its way (sent before the heartbeat, applied after it).
  let record = applyNodeEvent(running, heartbeat(3_000, ['u']));
  expect(record).toMatchObject({ runningTaskIds: ['u'], vanishedTasks: { t: iso(3_000) } });
  // A later heartbeat keeps the time it first went missing.
  record = applyNodeEvent(record, heartbeat(2_000, ['u']));
  expect(record?.vanishedTasks).toEqual({ t: iso(3_000) });
  // Its exit arrives: nothing is vanished any more.
  record = applyNodeEvent(record, {
    ...taskExit,
    time: iso(1_500),
    attempt: 1,
    reason: 'exited',
    exitCode: 0,
  });
  expect(record?.vanishedTasks).toBeUndefined();
  // An agent that lost its tasks (started again without its journal) lists none: both stay vanished.
  const restarted = applyNodeEvent(running, heartbeat(1_000, []));
  expect(restarted).toMatchObject({ state: 'idle', vanishedTasks: { t: iso(1_000), u: iso(1_000) } });
  // Kept for the jobs' node checks to find, not for ever: an hour.
  const later = applyNodeEvent(
    { ...restarted!, vanishedTasks: { t: iso(2 * 3_600_000), u: iso(1_000) } },
    heartbeat(500, []),
  );
  expect(later?.vanishedTasks).toEqual({ u: iso(1_000) });
});

test("node events: a heartbeat repeating a task's exit records it, so a late exit event is no lost task", () => {
  const running = setUpNode({ state: 'running', runningTaskIds: ['t', 'u'], runningJobIds: ['j', 'k'] });
  // 't' ended; its exit event was taken by a worker that crashed (hidden for a while): the heartbeat repeats it.
  const record = applyNodeEvent(running, {
    ...eventBase,
    kind: 'heartbeat',
    time: iso(3_000),
    runningTaskIds: ['u'],
    exits: [{ taskId: 't', exitCode: 0, reason: 'exited', time: iso(4_000) }],
  });
  expect(record).toMatchObject({
    runningTaskIds: ['u'],
    taskExits: { t: { exitCode: 0, reason: 'exited', time: iso(4_000) } },
    exitedTasks: { t: iso(4_000) },
  });
  expect(record?.vanishedTasks).toBeUndefined();
  // Repeated by later heartbeats, or arriving by its event: the exit recorded first stays as it is.
  const recorded = {
    ...record!,
    taskExits: { t: { exitCode: 0, reason: 'exited' as const, message: 'from the event', time: iso(4_000) } },
  };
  const again = applyNodeEvent(recorded, {
    ...eventBase,
    kind: 'heartbeat',
    time: iso(1_000),
    runningTaskIds: ['u'],
    exits: [{ taskId: 't', exitCode: 0, reason: 'exited', time: iso(4_000) }],
  });
  expect(again?.taskExits).toEqual(recorded.taskExits);
});

test('node events: a scale set reuses instance ids; an earlier VM of the same node id is not this node', () => {
  // The record is of VM b (registered 10 s ago); VM a had the same node id before it and was deleted.
  const current = setUpNode({ vmId: 'b', state: 'running', runningTaskIds: ['t'], runningJobIds: ['j'] });
  // A late heartbeat or exit of VM a (left on the queue) changes nothing.
  expect(
    applyNodeEvent(current, {
      ...eventBase,
      vmId: 'a',
      kind: 'heartbeat',
      time: iso(500),
      runningTaskIds: [],
    }),
  ).toBeUndefined();
  expect(
    applyNodeEvent(current, { ...taskExit, vmId: 'a', attempt: 1, reason: 'exited', exitCode: 0 }),
  ).toBeUndefined();
  // Its late registration (made before this record) neither.
  const registered = {
    ...eventBase,
    kind: 'registered' as const,
    vmSize: 'S',
    cpuCount: 1,
    gpuCount: 0,
    agentVersion: '1.2.0',
  };
  expect(applyNodeEvent(current, { ...registered, vmId: 'a', time: iso(20_000) })).toBeUndefined();
  // A later VM c registering under this node id starts a record of its own.
  expect(applyNodeEvent(current, { ...registered, vmId: 'c', time: iso(100) })).toMatchObject({
    vmId: 'c',
    state: 'preparing',
    createdTime: iso(100),
    runningTaskIds: [],
  });
  // VM b's own events still apply; so do those of agents that send no vmId.
  expect(
    applyNodeEvent(current, {
      ...eventBase,
      vmId: 'b',
      kind: 'heartbeat',
      time: iso(500),
      runningTaskIds: ['t'],
    }),
  ).toBeDefined();
  expect(
    applyNodeEvent(current, { ...eventBase, kind: 'heartbeat', time: iso(500), runningTaskIds: ['t'] }),
  ).toBeDefined();
});

test('node events: setup success makes a node idle, tasks make it running, an old heartbeat changes nothing', () => {
  const base = { schema: 'batchai.nodeEvent' as const, version: 1 as const, nodeId: 'n', clusterKey: 'c' };
  let record = applyNodeEvent(undefined, {
    ...base,
    kind: 'registered',
    time: iso(5_000),
    vmSize: 'S',
    cpuCount: 1,
    gpuCount: 0,
    agentVersion: '1',
  });
  expect(record?.state).toBe('preparing');
  record = applyNodeEvent(record, {
    ...base,
    kind: 'setupCompleted',
    time: iso(4_000),
    succeeded: true,
    exitCode: 0,
  });
  expect(record?.state).toBe('idle');
  record = applyNodeEvent(record, {
    ...base,
    kind: 'taskStarted',
    time: iso(3_000),
    taskId: 't',
    jobId: 'j',
    attempt: 1,
  });
  expect(record).toMatchObject({ state: 'running', runningTaskIds: ['t'], runningJobIds: ['j'] });
  expect(
    applyNodeEvent(record, { ...base, kind: 'heartbeat', time: iso(4_500), runningTaskIds: [] }),
  ).toBeUndefined();
  record = applyNodeEvent(record, {
    ...base,
    kind: 'evictionNotice',
    time: iso(1_000),
    eventId: 'e',
    eventType: 'Preempt',
  });
  expect(record?.state).toBe('leaving');
  const registered = applyNodeEvent(undefined, {
    ...base,
    kind: 'registered',
    time: iso(5_000),
    vmSize: 'S',
    cpuCount: 1,
    gpuCount: 0,
    agentVersion: '1',
  });
  const failed = applyNodeEvent(registered, {
    ...base,
    kind: 'setupCompleted',
    time: iso(1_000),
    succeeded: false,
    exitCode: 2,
  });
  expect(failed).toMatchObject({ state: 'unusable', unusableReason: 'The node setup task failed.' });
});

test('node events: only a registration makes a record; a late event of a removed node does not bring it back', () => {
  const base = { ...eventBase, nodeId: 'gone', time: iso(1_000) };
  const late = [
    { ...base, kind: 'heartbeat' as const, runningTaskIds: [], setup: { succeeded: true } },
    { ...base, kind: 'setupCompleted' as const, succeeded: true, exitCode: 0 },
    { ...base, kind: 'taskStarted' as const, taskId: 't', jobId: 'j', attempt: 1 },
    { ...base, kind: 'taskExited' as const, taskId: 't', jobId: 'j', attempt: 1, reason: 'killed' as const },
    { ...base, kind: 'evictionNotice' as const, eventId: 'e', eventType: 'Preempt' as const },
    { ...base, kind: 'taskMessageRejected' as const, reason: 'bad' },
  ];
  // None is written (the trigger logs it): no idle record for the scheduler to grant a node the pool no longer has.
  for (const event of late) expect(applyNodeEvent(undefined, event)).toBeUndefined();
  // A registration does (a new node, or an agent started again on a node whose record was removed).
  const registered = applyNodeEvent(undefined, {
    ...base,
    kind: 'registered',
    vmSize: 'S',
    cpuCount: 1,
    gpuCount: 0,
    agentVersion: '1.1.1',
  });
  expect(registered).toMatchObject({ nodeId: 'gone', state: 'preparing', registeredTime: iso(1_000) });
  // Its setup outcome, dropped when applied before the registration (events are handled concurrently), comes again
  // with its next heartbeat.
  expect(applyNodeEvent(registered, { ...late[0], time: iso(500) })?.state).toBe('idle');
});

test('node events: a heartbeat carrying the setup outcome settles a node whose setupCompleted was lost', () => {
  const base = { schema: 'batchai.nodeEvent' as const, version: 1 as const, nodeId: 'n', clusterKey: 'c' };
  const registered = applyNodeEvent(undefined, {
    ...base,
    kind: 'registered',
    time: iso(5_000),
    vmSize: 'S',
    cpuCount: 1,
    gpuCount: 0,
    agentVersion: '1.1.1',
  });
  expect(registered?.state).toBe('preparing');
  const beat = { ...base, kind: 'heartbeat' as const, runningTaskIds: [] };
  // An older agent's heartbeat says nothing of setup: still preparing.
  expect(applyNodeEvent(registered, { ...beat, time: iso(4_000) })?.state).toBe('preparing');
  expect(
    applyNodeEvent(registered, { ...beat, time: iso(4_000), setup: { succeeded: true, exitCode: 0 } }),
  ).toMatchObject({ state: 'idle', setup: { succeeded: true, exitCode: 0 } });
  expect(
    applyNodeEvent(registered, { ...beat, time: iso(4_000), setup: { succeeded: false, exitCode: 3 } }),
  ).toMatchObject({ state: 'unusable', unusableReason: 'The node setup task failed.' });
});

test("node events: a job attempt's last task hands its node back when it exits by itself, not when killed", () => {
  const idle = setUpNode();
  const exit = { ...taskExit, attempt: 2 };
  expect(
    applyNodeEvent(idle, { ...exit, reason: 'exited', exitCode: 3, releasesNodeOf: 'u/2' }),
  ).toMatchObject({
    state: 'idle',
    releasedBy: { attempt: 'u/2', time: iso(1_000) },
  });
  for (const ended of [
    { reason: 'killed' as const, signal: 'SIGTERM', releasesNodeOf: 'u/2' },
    { reason: 'evicted' as const, signal: 'SIGTERM', releasesNodeOf: 'u/2' },
    { reason: 'exited' as const, exitCode: 0, nodeRemoval: 'requeue' as const, releasesNodeOf: 'u/2' },
    { reason: 'exited' as const, exitCode: 0 }, // not the node's last task in the attempt
  ]) {
    expect(applyNodeEvent(idle, { ...exit, ...ended })?.releasedBy).toBeUndefined();
  }
});

test('an exit caused by an eviction marks the node leaving, whether or not the notice was applied first', () => {
  const running = setUpNode({ state: 'running', runningTaskIds: ['t'], runningJobIds: ['j'] });
  const exit = { ...taskExit, attempt: 1, signal: 'SIGTERM' };
  expect(applyNodeEvent(running, { ...exit, reason: 'evicted' })).toMatchObject({
    state: 'leaving',
    runningTaskIds: [],
    leaving: { since: iso(1_000), reason: 'Evicted (reported with a task exit)' },
  });
  const noticed = applyNodeEvent(running, {
    ...eventBase,
    kind: 'evictionNotice',
    time: iso(2_000),
    eventId: 'e',
    eventType: 'Preempt',
  })!;
  expect(applyNodeEvent(noticed, { ...exit, reason: 'evicted' })).toMatchObject({
    state: 'leaving',
    leaving: noticed.leaving,
  });
  expect(applyNodeEvent(running, { ...exit, reason: 'killed' })?.state).toBe('idle');
});

test('a running attempt holds its gang until every node of it was handed back by that attempt', () => {
  const node = (nodeId: string, attempt?: string): [string, NodeRecord] => [
    nodeId,
    {
      nodeId,
      clusterKey: 'c',
      state: 'idle',
      createdTime: iso(10_000),
      runningTaskIds: [],
      runningJobIds: [],
      releasedBy: attempt ? { attempt, time: iso(1_000) } : undefined,
    },
  ];
  const nodes = new Map([node('a', 'u/2'), node('b', 'u/2'), node('c', 'u/1'), node('d')]);
  expect(handedBack('u', 2, ['a', 'b'], nodes)).toBe(true);
  expect(handedBack('u', 2, ['a', 'd'], nodes)).toBe(false); // one node still at work
  expect(handedBack('u', 2, ['c'], nodes)).toBe(false); // handed back by an earlier attempt
  expect(handedBack('v', 2, ['a'], nodes)).toBe(false); // another job (same name or not) never matches
  expect(handedBack('u', 2, [], nodes)).toBe(false);
});

test('on a node with several job slots each attempt hands its own slot back; the earlier ones are remembered', () => {
  const running = setUpNode({ state: 'running', runningTaskIds: ['t1', 't2'], runningJobIds: ['j1', 'j2'] });
  const exit = (taskId: string, jobId: string, attempt: string, time: number) => ({
    ...taskExit,
    taskId,
    jobId,
    time: iso(time),
    attempt: 1,
    reason: 'exited' as const,
    exitCode: 0,
    releasesNodeOf: attempt,
  });
  const first = applyNodeEvent(running, exit('t1', 'j1', 'u1/1', 2_000))!;
  expect(first).toMatchObject({ releasedBy: { attempt: 'u1/1' }, runningJobIds: ['j2'] });
  expect(first.earlierReleases).toBeUndefined();
  const second = applyNodeEvent(first, exit('t2', 'j2', 'u2/1', 1_000))!;
  expect(second).toMatchObject({ releasedBy: { attempt: 'u2/1' }, earlierReleases: ['u1/1'] });
  const nodes = new Map([['n', second]]);
  // Both attempts are over on the node, though only the second is its latest hand-back.
  expect(handedBack('u1', 1, ['n'], nodes)).toBe(true);
  expect(handedBack('u2', 1, ['n'], nodes)).toBe(true);
  expect(handedBack('u3', 1, ['n'], nodes)).toBe(false);
  // The same exit applied again (a redelivered event) changes nothing.
  expect(applyNodeEvent(second, exit('t2', 'j2', 'u2/1', 1_000))?.earlierReleases).toEqual(['u1/1']);
  // The record keeps the newest few.
  let node = second;
  for (let i = 0; i < 40; i++) node = applyNodeEvent(node, exit(`x${i}`, `k${i}`, `w${i}/1`, 500 - i))!;
  expect(node.earlierReleases).toHaveLength(earlierReleasesKept);
  expect(node.earlierReleases?.at(-1)).toBe('w38/1');
  expect(node.releasedBy?.attempt).toBe('w39/1');
});

test('a leaving node that is gone (no heartbeat, or its VM failed) is deleted at once: no exit will come from it', () => {
  const draining = node('a', 'running', {
    state: 'leaving',
    leaving: { reason: 'scale down', deallocation: 'waitforjobcompletion', since: iso(5_000) },
  });
  const stale = { ...draining, lastHeartbeatTime: iso(11_000) };
  expect(
    planCluster(
      snapshot([stale], {
        scale: { mode: 'manual', targetNodeCount: 0, deallocation: 'waitforjobcompletion' },
      }),
    ).deleteNodes,
  ).toEqual(['a']);
  const failedVm = snapshot([draining], {
    scale: { mode: 'manual', targetNodeCount: 0, deallocation: 'waitforjobcompletion' },
  });
  failedVm.poolNodes[0].state = 'failed';
  expect(planCluster(failedVm).deleteNodes).toEqual(['a']);
  // Alive and still running its job: it stays.
  expect(
    planCluster(
      snapshot([draining], {
        scale: { mode: 'manual', targetNodeCount: 0, deallocation: 'waitforjobcompletion' },
      }),
    ).deleteNodes,
  ).toEqual([]);
});

test('an instance the platform is deleting already is neither counted nor deleted again', () => {
  const gone = snapshot(
    [node('a', 'leaving', { leaving: { reason: 'evicted', since: iso(1_000) } }), node('b', 'idle')],
    {
      scale: { mode: 'manual', targetNodeCount: 1, deallocation: 'requeue' },
    },
  );
  gone.poolNodes[0].state = 'deleting';
  const plan = planCluster(gone);
  expect(plan.deleteNodes).toEqual([]);
  expect(plan.currentNodeCount).toBe(1);
  expect(plan.growTo).toBeUndefined();
  expect(plan.allocationState).toBe('resizing'); // until it is gone
});

test('after a pause of the control plane, silence before it does not make nodes lost', () => {
  const quiet = [
    node('a', 'idle', { lastHeartbeatTime: iso(60_000) }),
    node('b', 'running', { lastHeartbeatTime: iso(60_000) }),
  ];
  expect(planCluster(snapshot(quiet)).markUnusable).toHaveLength(2);
  expect(planCluster(snapshot(quiet, { heartbeatsDueFrom: now - 1_000 })).markUnusable).toEqual([]);
  // Once the grace is over without a heartbeat, they are lost after all.
  expect(planCluster(snapshot(quiet, { heartbeatsDueFrom: now - 11_000 })).markUnusable).toHaveLength(2);
});

test('the grace starts at a pass that follows a long gap, and lasts one lost-after time', () => {
  const timings = { monitorIntervalMs: 5_000, nodeLostAfterMs: 10_000 };
  const at = (ms: number): Date => new Date(now + ms);
  expect(
    heartbeatGraceOf({ previousPassAt: new Date(now).toISOString() }, at(5_000), timings),
  ).toBeUndefined();
  expect(heartbeatGraceOf({ previousPassAt: new Date(now).toISOString() }, at(16_000), timings)).toBe(
    at(16_000).toISOString(),
  );
  const carried = { previousPassAt: at(16_000).toISOString(), heartbeatsDueFrom: at(16_000).toISOString() };
  expect(heartbeatGraceOf(carried, at(21_000), timings)).toBe(at(16_000).toISOString());
  expect(
    heartbeatGraceOf({ ...carried, previousPassAt: at(21_000).toISOString() }, at(27_000), timings),
  ).toBeUndefined();
  expect(heartbeatGraceOf({}, at(0), timings)).toBeUndefined(); // a monitor's first pass
});

test('node events: a taskStarted applied after its task exit (they are handled concurrently) leaves no ghost task', () => {
  const exited = applyNodeEvent(setUpNode(), { ...taskExit, attempt: 1, reason: 'exited', exitCode: 0 });
  expect(exited).toMatchObject({ state: 'idle', runningTaskIds: [], exitedTasks: { t: iso(1_000) } });
  const late = applyNodeEvent(exited, {
    ...eventBase,
    kind: 'taskStarted',
    time: iso(1_100),
    taskId: 't',
    jobId: 'j',
    attempt: 1,
  });
  expect(late).toBeUndefined(); // nothing to change: the node stays idle
  // Another task still starts.
  expect(
    applyNodeEvent(exited, {
      ...eventBase,
      kind: 'taskStarted',
      time: iso(500),
      taskId: 'u',
      jobId: 'k',
      attempt: 1,
    }),
  ).toMatchObject({ state: 'running', runningTaskIds: ['u'] });
});

test('a node a running job was just granted (still idle on its record) is not the idle node a scale-down takes', () => {
  const records = [node('a', 'idle'), node('b', 'idle')];
  const auto = { mode: 'auto' as const, minimumNodeCount: 0, maximumNodeCount: 2, initialNodeCount: 0 };
  // Autoscale: demand for one node, two idle long enough; 'a' was granted to a job a moment ago.
  const plan = planCluster(
    snapshot(records, { scale: auto, queuedWorkNodes: 1, grantedNodeIds: new Set(['a']) }),
  );
  expect(plan.deleteNodes).toEqual(['b']);
  // Manual scale-down takes the granted node last.
  const manual = planCluster(
    snapshot(records, {
      scale: { mode: 'manual', targetNodeCount: 1, deallocation: 'requeue' },
      grantedNodeIds: new Set(['a']),
    }),
  );
  expect(manual.deleteNodes).toEqual(['b']);
  // Without the grant, the pool's order decides.
  expect(planCluster(snapshot(records, { scale: auto, queuedWorkNodes: 1 })).deleteNodes).toEqual(['a']);
});

test('a manual scale-down takes a granted node (still idle on its record) with the option: it leaves, not deleted', () => {
  const records = [node('a', 'idle'), node('b', 'idle')];
  for (const deallocation of ['waitforjobcompletion', 'requeue', 'terminate'] as const) {
    const scale = { mode: 'manual' as const, targetNodeCount: 0, deallocation };
    const plan = planCluster(snapshot(records, { scale, grantedNodeIds: new Set(['a']) }));
    expect(plan.deleteNodes).toEqual(['b']);
    expect(plan.markLeaving).toEqual([{ nodeId: 'a', reason: `scale down (${deallocation})`, deallocation }]);
    expect(plan.killTasks).toEqual([]); // no task of it runs yet: the lifecycle sees the node leaving
    expect(plan.counts).toMatchObject({ leavingNodeCount: 1, idleNodeCount: 0 });
    // Leaving, no task yet, still granted: it stays until the job lets it go.
    const leaving = {
      ...records[0],
      state: 'leaving' as const,
      leaving: { since: iso(5_000), reason: `scale down (${deallocation})`, deallocation },
    };
    const held = planCluster(snapshot([leaving], { scale, grantedNodeIds: new Set(['a']) }));
    expect(held.deleteNodes).toEqual([]);
    expect(held.counts.leavingNodeCount).toBe(1);
    expect(planCluster(snapshot([leaving], { scale })).deleteNodes).toEqual(['a']);
  }
  // A node leaving for an eviction (no option) goes at once even while granted: the platform takes it anyway.
  const evicted = {
    ...records[0],
    state: 'leaving' as const,
    leaving: { since: iso(5_000), reason: 'Preempt' },
  };
  expect(planCluster(snapshot([evicted], { grantedNodeIds: new Set(['a']) })).deleteNodes).toEqual(['a']);
});

test('every pass kills again the listed tasks of a node leaving with requeue or terminate, none with waitforjobcompletion', () => {
  const leaving = (deallocation: 'requeue' | 'terminate' | 'waitforjobcompletion') => ({
    ...node('r1', 'running'),
    state: 'leaving' as const,
    leaving: { since: iso(5_000), reason: `scale down (${deallocation})`, deallocation },
  });
  const scale = { mode: 'manual' as const, targetNodeCount: 0, deallocation: 'requeue' as const };
  expect(planCluster(snapshot([leaving('requeue')], { scale })).killTasks).toEqual([
    { nodeId: 'r1', taskIds: ['r1-task'], nodeRemoval: 'requeue' },
  ]);
  expect(planCluster(snapshot([leaving('terminate')], { scale })).killTasks).toEqual([
    { nodeId: 'r1', taskIds: ['r1-task'], nodeRemoval: 'terminate' },
  ]);
  expect(planCluster(snapshot([leaving('waitforjobcompletion')], { scale })).killTasks).toEqual([]);
  // Once its tasks exited, or after the grace, it is removed: nothing more to kill.
  const done = planCluster(snapshot([{ ...leaving('requeue'), runningTaskIds: [] }], { scale }));
  expect(done).toMatchObject({ killTasks: [], deleteNodes: ['r1'] });
});

test('keepSize counts the nodes as they are: none added or taken for the target', () => {
  const records = [
    node('a', 'idle'),
    node('b', 'idle'),
    {
      ...node('c', 'running'),
      state: 'leaving' as const,
      leaving: { since: iso(1_000), reason: 'scale down', deallocation: 'requeue' as const },
    },
    node('d', 'unusable', { unusableReason: 'lost: no heartbeat' }),
  ];
  const poolNodes = records.map((r) => ({
    nodeId: r.nodeId,
    state: r.nodeId === 'b' ? ('deleting' as const) : ('running' as const),
    createdTime: r.createdTime,
  }));
  for (const targetNodeCount of [0, 1, 4, 9]) {
    const scale = { mode: 'manual' as const, targetNodeCount, deallocation: 'waitforjobcompletion' as const };
    const plan = planCluster(snapshot(records, { scale, poolNodes }), { keepSize: true });
    expect(plan.growTo).toBeUndefined();
    expect(plan.markLeaving).toEqual([]);
    expect(plan.currentNodeCount).toBe(2);
    expect(plan.counts).toEqual({
      idleNodeCount: 1,
      runningNodeCount: 0,
      preparingNodeCount: 0,
      unusableNodeCount: 0,
      leavingNodeCount: 1,
    });
  }
});

test('the granted nodes are those of running and terminating jobs whose current attempt is open', () => {
  const entry = (executionState: string, attempts: { nodeIds: string[]; endTime?: string }[]) =>
    ({ job: { executionState, attempts } }) as unknown as JobQueueEntry;
  expect(
    grantedNodesOf([
      entry('running', [{ nodeIds: ['old'], endTime: iso(9_000) }, { nodeIds: ['a', 'b'] }]),
      entry('terminating', [{ nodeIds: ['c'] }]),
      entry('queued', [{ nodeIds: ['d'], endTime: iso(5_000) }]),
      entry('running', []),
    ]),
  ).toEqual(new Set(['a', 'b', 'c']));
});

/** A node whose node setup task failed (the reducer's record of it). */
const setupFailed = (nodeId: string, extra: Partial<NodeRecord> = {}): NodeRecord =>
  node(nodeId, 'unusable', {
    setup: { succeeded: false, exitCode: 1 },
    unusableReason: 'The node setup task failed.',
    ...extra,
  });
const autoscale = (maximumNodeCount: number) => ({
  mode: 'auto' as const,
  minimumNodeCount: 0,
  maximumNodeCount,
  initialNodeCount: 0,
});

test('autoscale: a node whose setup failed is not capacity, the missing usable node is added within the maximum', () => {
  const records = [node('a', 'idle'), node('b', 'idle'), setupFailed('c')];
  const plan = planCluster(snapshot(records, { scale: autoscale(4), queuedWorkNodes: 3 }));
  expect(plan).toMatchObject({ desired: 3, growTo: 4, deleteNodes: [], allocationState: 'resizing' });
  expect(plan.counts).toMatchObject({ idleNodeCount: 2, unusableNodeCount: 1, preparingNodeCount: 1 });
  expect(plan.currentNodeCount).toBe(4);
});

test("autoscale: the scheduler's demand for a gang waiting on an unusable node's room is met, and the gang starts", () => {
  const limits = { maxNodeCount: 4, minNodeCount: 0, autoscale: true };
  const queue = [{ id: 'H', priority: 'normal' as const, submitTime: iso(60_000), nodeCount: 3, attempt: 1 }];
  const decide = (nodes: NodeRecord[]) =>
    scheduleCluster({
      now: new Date(now).toISOString(),
      nodes: nodes.map((r) => ({ id: r.nodeId, state: r.state })),
      running: [],
      queue,
      limits,
    });
  // The first scale-up for H made three nodes; one failed its setup.
  const records = [node('a', 'idle'), node('b', 'idle'), setupFailed('c')];
  const waiting = decide(records);
  expect(waiting.starts).toEqual([]);
  expect(waiting.waiting[0].reason.code).toBe('WaitingForScaleUp');
  const plan = planCluster(
    snapshot(records, { scale: autoscale(4), queuedWorkNodes: waiting.autoscale.wantedNodeCount }),
  );
  expect(plan.growTo).toBe(4);
  // The node added registers and sets up: H starts on three usable nodes.
  const started = decide([...records, node('d', 'idle')]);
  expect(started.starts).toEqual([expect.objectContaining({ jobId: 'H', nodeIds: ['a', 'b', 'd'] })]);
});

test('autoscale at its maximum and short of usable nodes replaces a setup-failed node, one per pass, none while one sets up', () => {
  const scale = autoscale(3);
  const records = [node('a', 'idle'), setupFailed('b'), setupFailed('c')];
  const first = planCluster(snapshot(records, { scale, queuedWorkNodes: 3 }));
  expect(first).toMatchObject({ deleteNodes: ['b'], growTo: 3, allocationState: 'resizing' });
  expect(first.counts).toMatchObject({ idleNodeCount: 1, unusableNodeCount: 1, preparingNodeCount: 1 });
  // The replacement is still being created and set up: nothing else is replaced meanwhile.
  const replacing = snapshot([records[0], records[2]], { scale, queuedWorkNodes: 3 });
  replacing.poolNodes.push({ nodeId: 'd', state: 'creating', createdTime: iso(1_000) });
  const second = planCluster(replacing);
  expect(second.deleteNodes).toEqual([]);
  expect(second.growTo).toBeUndefined();
  // Its setup failed too: the next pass replaces one node again, not more.
  const third = planCluster(
    snapshot([records[0], records[2], setupFailed('d')], { scale, queuedWorkNodes: 3 }),
  );
  expect(third).toMatchObject({ deleteNodes: ['c'], growTo: 3 });
  // A node still running tasks, or granted to a job, is not taken for a replacement.
  const busy = setupFailed('b', { runningTaskIds: ['t'] });
  const kept = planCluster(
    snapshot([node('a', 'idle'), busy, setupFailed('c')], {
      scale,
      queuedWorkNodes: 3,
      grantedNodeIds: new Set(['c']),
    }),
  );
  expect(kept.deleteNodes).toEqual([]);
  expect(kept.growTo).toBeUndefined();
});

test('autoscale with enough usable nodes still removes unusable ones at once, down to zero when idle', () => {
  const scale = autoscale(4);
  const surplus = planCluster(
    snapshot([node('a', 'idle'), node('b', 'idle'), setupFailed('c')], { scale, queuedWorkNodes: 2 }),
  );
  expect(surplus).toMatchObject({ deleteNodes: ['c'] });
  expect(surplus.growTo).toBeUndefined();
  const idle = planCluster(
    snapshot([setupFailed('a'), node('b', 'idle', { idleSince: iso(25_000) })], {
      scale,
      queuedWorkNodes: 0,
    }),
  );
  expect(idle.deleteNodes.sort()).toEqual(['a', 'b']);
  expect(idle.growTo).toBeUndefined();
  expect(idle.currentNodeCount).toBe(0);
});

test('manual scale keeps a setup-failed node as one of targetNodeCount (visible, as in Batch AI), never replaced', () => {
  const records = [node('a', 'idle'), node('b', 'idle'), setupFailed('c')];
  const plan = planCluster(
    snapshot(records, { scale: { mode: 'manual', targetNodeCount: 3, deallocation: 'requeue' } }),
  );
  expect(plan.deleteNodes).toEqual([]);
  expect(plan.growTo).toBeUndefined();
  expect(plan.counts).toMatchObject({ idleNodeCount: 2, unusableNodeCount: 1 });
  expect(plan.allocationState).toBe('steady');
});

test("node events: a task's exit is kept in its node's record (the newest 16), for a lifecycle that lost its event", () => {
  let node: NodeRecord | undefined = setUpNode();
  node = applyNodeEvent(node, {
    ...taskExit,
    attempt: 1,
    reason: 'exited',
    exitCode: 3,
    message: 'x'.repeat(5000),
  });
  expect(node?.taskExits?.t).toEqual({
    exitCode: 3,
    reason: 'exited',
    message: 'x'.repeat(1024),
    time: iso(1_000),
  });
  for (let i = 0; i < 70; i++) {
    node = applyNodeEvent(node, {
      ...taskExit,
      attempt: 1,
      taskId: `k${i}`,
      time: iso(900 - i),
      reason: 'killed',
      signal: 'SIGTERM',
    });
  }
  expect(Object.keys(node?.taskExits ?? {})).toHaveLength(16);
  expect(node?.taskExits?.k69).toEqual({ signal: 'SIGTERM', reason: 'killed', time: iso(831) });
  expect(node?.taskExits?.t).toBeUndefined(); // the oldest went first
});

test('a node whose agent registered again while its instance is being deleted leaves: no job is granted it', () => {
  const records = [node('a', 'idle'), node('b', 'preparing'), node('c', 'running'), node('d', 'idle')];
  const poolNodes = records.map((r) => ({
    nodeId: r.nodeId,
    state: r.nodeId === 'd' ? ('running' as const) : ('deleting' as const),
    createdTime: r.createdTime,
  }));
  const scale = { mode: 'manual' as const, targetNodeCount: 1, deallocation: 'requeue' as const };
  const plan = planCluster(snapshot(records, { scale, poolNodes }));
  expect(plan.markLeaving).toEqual([
    { nodeId: 'a', reason: 'the VM is being deleted', deallocation: 'waitforjobcompletion' },
    { nodeId: 'b', reason: 'the VM is being deleted', deallocation: 'waitforjobcompletion' },
  ]);
  expect(plan.deleteNodes).toEqual([]);
  expect(plan.currentNodeCount).toBe(1);
});

test('node events: the exits of a tasksExited are applied in turn, as their own events', () => {
  const running = setUpNode({ state: 'running', runningTaskIds: ['t', 'u'], runningJobIds: ['j', 'k'] });
  const exits = [
    { ...taskExit, attempt: 1, reason: 'exited' as const, exitCode: 0, releasesNodeOf: 'j/1' },
    {
      ...taskExit,
      time: iso(900),
      taskId: 'u',
      jobId: 'k',
      attempt: 2,
      reason: 'exited' as const,
      exitCode: 3,
      releasesNodeOf: 'k/2',
    },
  ];
  const together = applyNodeEvent(running, {
    ...eventBase,
    version: 3,
    kind: 'tasksExited',
    time: iso(800),
    exits,
  });
  const oneByOne = applyNodeEvent(applyNodeEvent(running, exits[0]), exits[1]);
  expect(together).toEqual(oneByOne);
  expect(together).toMatchObject({
    state: 'idle',
    runningTaskIds: [],
    runningJobIds: [],
    taskExits: { t: { exitCode: 0 }, u: { exitCode: 3 } },
    releasedBy: { attempt: 'k/2' },
    earlierReleases: ['j/1'],
  });
  // Of a node the monitor removed: nothing (no record made).
  expect(
    applyNodeEvent(undefined, { ...eventBase, version: 3, kind: 'tasksExited', time: iso(800), exits }),
  ).toBe(undefined);
});
