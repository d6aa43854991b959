// One reconciliation pass (reconcileCluster) against in-memory stand-ins of the pool, the node records, the resource
// store and the node task queues, with injected refusals and failures: what the pass writes and sends.
import { randomBytes } from 'crypto';
import type { ReconcileInput } from '../../orchestrations/compute/clusterMonitorContract';
import type { ComputeServices } from '../../orchestrations/compute/computeServices';
import { nodeTaskQueueName } from '../../shared/contracts/nodeQueueNames';
import { reconcileCluster } from '../../orchestrations/compute/reconcileClusterActivity';
import { AesGcmSecretProtector } from '../../shared/crypto/aesGcmSecretProtector';
import type { ResourceRecord } from '../../shared/domain/resourceRecord';
import { ComputePoolError, type PoolNode } from '../../shared/ports/computePool';
import type { NodeRecord } from '../../shared/ports/nodeStore';
import type { JobQueueEntry } from '../../shared/ports/resourceStore';

const clusterRef = { subscriptionId: 's', resourceGroup: 'rg', workspace: 'ws', name: 'c1' };
const clusterKey = 'ck';
const now = Date.now();
const iso = (msAgo: number): string => new Date(now - msAgo).toISOString();

/** A registered, set-up node's record (running its task `<id>-task` when running). */
const rec = (nodeId: string, state: NodeRecord['state'], extra: Partial<NodeRecord> = {}): NodeRecord => ({
  nodeId,
  clusterKey,
  state,
  createdTime: iso(60_000),
  lastHeartbeatTime: iso(500),
  setup: { succeeded: true },
  runningTaskIds: state === 'running' ? [`${nodeId}-task`] : [],
  runningJobIds: [],
  idleSince: state === 'idle' ? iso(30_000) : undefined,
  ...extra,
});
const poolNode = (nodeId: string, state: PoolNode['state'] = 'running'): PoolNode => ({
  nodeId,
  state,
  createdTime: iso(60_000),
});
/** A running job whose open attempt holds `nodeIds`. */
const runningJob = (nodeIds: string[]): JobQueueEntry =>
  ({ job: { executionState: 'running', attempts: [{ nodeIds }] } }) as unknown as JobQueueEntry;

function harness(scaleSettings: object) {
  let etag = 1;
  let record: ResourceRecord = {
    kind: 'cluster',
    ref: { kind: 'cluster', ...clusterRef },
    armId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/ws/clusters/c1',
    location: 'l',
    spec: { vmSize: 'STANDARD_D1_V2', scaleSettings },
    status: { provisioningState: 'succeeded' },
    encryptedSecrets: {},
  } as unknown as ResourceRecord;
  const nodes = new Map<string, NodeRecord>();
  let poolNodes: PoolNode[] = [];
  let jobs: JobQueueEntry[] = [];
  /** The subscription's other clusters in the location (the core quota's usage). */
  let others: ResourceRecord[] = [];
  const calls: string[] = [];
  const sent: { queue: string; message: Record<string, unknown> }[] = [];
  const faults = {
    resize: undefined as Error | undefined,
    ensure: undefined as Error | undefined,
    /** Errors the next sendMessage calls throw, in order. */
    send: [] as Error[],
  };
  const services = {
    pool: {
      kind: 'local' as const,
      // Not among the calls: a pass without the previous definition's hash applies it again.
      ensurePool: async () => {
        if (faults.ensure) throw faults.ensure;
      },
      resize: async (_key: string, count: number) => {
        calls.push(`resize(${count})`);
        if (faults.resize) throw faults.resize;
      },
      deleteNodes: async (_key: string, ids: string[]) => {
        calls.push(`deleteNodes(${ids.join(',')})`);
        poolNodes = poolNodes.filter((node) => !ids.includes(node.nodeId));
      },
      listNodes: async () => poolNodes.map((node) => ({ ...node })),
      deletePool: async () => {
        calls.push('deletePool');
      },
      wakeNodes: (_key: string, ids: string[]) => {
        calls.push(`wakeNodes(${ids.join(',')})`);
      },
    },
    fileServers: {},
    nodes: {
      list: async () => [...nodes.values()].map((node) => structuredClone(node)),
      get: async (_key: string, id: string) => structuredClone(nodes.get(id)),
      update: async (
        _key: string,
        id: string,
        mutate: (current: NodeRecord | undefined) => NodeRecord | undefined,
      ) => {
        const next = mutate(structuredClone(nodes.get(id)));
        if (next) nodes.set(id, next);
        return next;
      },
      delete: async (_key: string, id: string) => {
        nodes.delete(id);
      },
    },
    store: {
      get: async () => ({ record: structuredClone(record), etag: String(etag) }),
      replace: async (next: ResourceRecord, expected: string) => {
        if (expected !== String(etag)) throw new Error('etag');
        record = structuredClone(next);
        etag++;
        return { record, etag: String(etag) };
      },
      listActiveJobs: async () => jobs,
      listClustersInLocation: async () => ({
        items: [record, ...others].map((item) => ({ record: structuredClone(item), etag: '1' })),
      }),
    },
    queues: {
      getQueueClient: (name: string) => ({
        sendMessage: async (text: string) => {
          const fault = faults.send.shift();
          if (fault) throw fault;
          sent.push({ queue: name, message: JSON.parse(Buffer.from(text, 'base64').toString()) });
        },
        deleteIfExists: async () => undefined,
      }),
    },
    timings: {
      heartbeatMs: 2_000,
      nodeLostAfterMs: 10_000,
      registerWithinMs: 120_000,
      monitorIntervalMs: 5_000,
      autoscaleIdleMs: 300_000,
    },
    performanceCounters: { ingestionEndpoint: 'https://x/', intervalMs: 60_000 },
    secrets: new AesGcmSecretProtector(randomBytes(32)),
    quotas: { clustersPerLocation: 20, dedicatedCoresPerLocation: 10, lowPriorityCoresPerLocation: 4 },
  } as unknown as ComputeServices;
  return {
    services,
    calls,
    sent,
    faults,
    nodes,
    get record(): ResourceRecord {
      return record;
    },
    setPool: (nodesOfPool: PoolNode[]) => (poolNodes = nodesOfPool),
    setJobs: (entries: JobQueueEntry[]) => (jobs = entries),
    /** Other clusters of the location, each with `nodes` current nodes of STANDARD_D1_V2 (1 core). */
    setOthers: (...nodes: number[]) =>
      (others = nodes.map((count, i) => ({
        ...structuredClone(record),
        ref: { ...record.ref, name: `other${i}` },
        spec: { vmSize: 'STANDARD_D1_V2' },
        status: { currentNodeCount: count },
        cluster: undefined,
      }))),
    setRecord: (change: (r: ResourceRecord) => void) => {
      change(record);
      etag++;
    },
  };
}

const kill = (taskId: string) => ({ kind: 'killTask', taskId, signal: 'SIGTERM', nodeRemoval: 'terminate' });

const input = (extra: Partial<ReconcileInput> = {}): ReconcileInput => ({
  clusterKey,
  cluster: clusterRef,
  firstPass: false,
  ...extra,
});

test("autoscale's initial size refused by the platform (quota) is asked for again at the next pass", async () => {
  const h = harness({ autoScale: { minimumNodeCount: 0, maximumNodeCount: 4, initialNodeCount: 3 } });
  h.faults.resize = new ComputePoolError('QuotaExceeded', 'quota (injected)');
  const first = await reconcileCluster(input({ firstPass: true }), h.services);
  expect(h.calls).toContain('resize(3)');
  expect(h.record.status.errors).toEqual([{ code: 'QuotaExceeded', message: 'quota (injected)' }]);
  expect(h.record.cluster?.initialAllocationTime).toBeUndefined();
  // Refused again: the monitor goes on with firstPass false (clusterMonitorOrchestrator), the size is still due.
  h.calls.length = 0;
  const second = await reconcileCluster(
    input({ definitionHash: first.definitionHash, previousPassAt: first.passAt }),
    h.services,
  );
  expect(h.calls).toEqual(['resize(3)']);
  expect(h.record.cluster?.initialAllocationTime).toBeUndefined();
  // The quota was raised: the initial size is asked for, and recorded as asked for.
  h.faults.resize = undefined;
  h.calls.length = 0;
  const third = await reconcileCluster(
    input({ definitionHash: second.definitionHash, previousPassAt: second.passAt }),
    h.services,
  );
  expect(h.calls).toEqual(['resize(3)']);
  expect(h.record.status).toMatchObject({ currentNodeCount: 3, allocationState: 'resizing' });
  expect(h.record.status.errors).toBeUndefined();
  expect(h.record.cluster?.initialAllocationTime).toBeDefined();
  // Done once: an idle, empty cluster is not grown back to it (nor by a monitor started again).
  h.calls.length = 0;
  h.setPool([]);
  await reconcileCluster(input({ definitionHash: third.definitionHash }), h.services);
  await reconcileCluster(input({ firstPass: true, definitionHash: third.definitionHash }), h.services);
  expect(h.calls).toEqual([]);
});

test('a cluster sized before the initial allocation time was recorded is not grown to its initial size again', async () => {
  // Its record has no initialAllocationTime and shows no refusal: its monitor's passes go on (firstPass false).
  const h = harness({ autoScale: { minimumNodeCount: 0, maximumNodeCount: 4, initialNodeCount: 3 } });
  h.setRecord((r) => {
    r.status = { ...r.status, currentNodeCount: 0, allocationState: 'steady' };
  });
  await reconcileCluster(input(), h.services);
  expect(h.calls).toEqual([]);
  expect(h.record.cluster?.initialAllocationTime).toBeDefined();
  // A cluster whose nodes failed their setup (its only error) is no refused one either.
  const failed = harness({ autoScale: { minimumNodeCount: 0, maximumNodeCount: 4, initialNodeCount: 3 } });
  failed.setRecord((r) => {
    r.status = { ...r.status, errors: [{ code: 'NodeSetupTaskFailed', message: 'failed' }] };
  });
  await reconcileCluster(input(), failed.services);
  expect(failed.calls).toEqual([]);
});

test('a refused pass counts the nodes there: no preparing node for instances being deleted or leaving nodes', async () => {
  const h = harness({ manual: { targetNodeCount: 1, nodeDeallocationOption: 'requeue' } });
  h.setPool([poolNode('a'), poolNode('b', 'deleting'), poolNode('c')]);
  h.nodes.set('a', rec('a', 'idle'));
  h.nodes.set('b', rec('b', 'idle'));
  h.nodes.set('c', {
    ...rec('c', 'running'),
    state: 'leaving',
    leaving: { since: iso(1_000), reason: 'scale down (requeue)', deallocation: 'requeue' },
  });
  await reconcileCluster(input(), h.services);
  const counts = {
    idleNodeCount: 1,
    runningNodeCount: 0,
    preparingNodeCount: 0,
    unusableNodeCount: 0,
    leavingNodeCount: 1,
  };
  expect(h.record.status).toMatchObject({ currentNodeCount: 2, nodeStateCounts: counts });
  h.faults.ensure = new ComputePoolError('InvalidParameter', 'refused (injected)');
  await reconcileCluster(input(), h.services);
  expect(h.record.status).toMatchObject({
    currentNodeCount: 2,
    nodeStateCounts: counts,
    allocationState: 'steady',
    errors: [{ code: 'InvalidParameter', message: 'refused (injected)' }],
  });
});

test('the kills of a scale-down are sent again while the leaving node still lists its tasks; a failed send fails the pass', async () => {
  const h = harness({ manual: { targetNodeCount: 0, nodeDeallocationOption: 'terminate' } });
  h.setPool([poolNode('a'), poolNode('b')]);
  h.nodes.set('a', rec('a', 'running'));
  h.nodes.set('b', rec('b', 'running'));
  h.faults.send = [Object.assign(new Error('queue 503 (injected)'), { statusCode: 503 })];
  // The first kill cannot be sent: the pass fails (the activity is retried), after marking both nodes leaving.
  await expect(reconcileCluster(input(), h.services)).rejects.toThrow('queue 503 (injected)');
  expect([...h.nodes.values()].map((node) => node.state)).toEqual(['leaving', 'leaving']);
  // The retried pass sends the kills of the nodes it finds leaving, with their option.
  await reconcileCluster(input(), h.services);
  expect(h.sent).toEqual([
    { queue: nodeTaskQueueName(clusterKey, 'a'), message: expect.objectContaining(kill('a-task')) },
    { queue: nodeTaskQueueName(clusterKey, 'b'), message: expect.objectContaining(kill('b-task')) },
  ]);
  // Local nodes are woken to take the kills at once (they poll their queues only now and then).
  expect(h.calls.filter((call) => call.startsWith('wakeNodes'))).toEqual(['wakeNodes(a,b)']);
  expect(h.calls.filter((call) => call.startsWith('deleteNodes'))).toEqual([]);
  // A node whose queue is gone (404) has nothing left to kill: the pass goes on; a node whose task exited goes.
  h.nodes.set('b', { ...h.nodes.get('b')!, runningTaskIds: [] });
  h.faults.send = [Object.assign(new Error('QueueNotFound'), { statusCode: 404 })];
  await reconcileCluster(input(), h.services);
  expect(h.calls).toEqual(['wakeNodes(a,b)', 'wakeNodes(a)', 'deleteNodes(b)']);
  expect(h.sent).toHaveLength(2);
});

test('a manual scale-down takes a node a job was just granted with the option: it leaves, never deleted at once', async () => {
  for (const deallocation of ['waitforjobcompletion', 'requeue', 'terminate'] as const) {
    const h = harness({ manual: { targetNodeCount: 0, nodeDeallocationOption: deallocation } });
    h.setPool([poolNode('a'), poolNode('b')]);
    h.nodes.set('a', rec('a', 'idle'));
    h.nodes.set('b', rec('b', 'idle'));
    h.setJobs([runningJob(['a'])]);
    await reconcileCluster(input(), h.services);
    expect(h.calls).toEqual(['deleteNodes(b)']);
    // The job's lifecycle finds its node leaving with the option (checkJobNodes): it requeues or fails the job, or
    // lets it run (waitforjobcompletion).
    expect(h.nodes.get('a')).toMatchObject({ state: 'leaving', leaving: { deallocation } });
    expect(h.record.status).toMatchObject({ currentNodeCount: 1, allocationState: 'resizing' });
    // While the job holds it, the node stays.
    h.calls.length = 0;
    await reconcileCluster(input(), h.services);
    expect(h.calls).toEqual([]);
    // Its task started after the mark: killed with the option (requeue, terminate), left running otherwise.
    h.nodes.set('a', { ...h.nodes.get('a')!, runningTaskIds: ['a-task'] });
    await reconcileCluster(input(), h.services);
    expect(h.sent.map(({ message }) => message.nodeRemoval)).toEqual(
      deallocation === 'waitforjobcompletion' ? [] : [deallocation],
    );
    expect(h.calls).toEqual(deallocation === 'waitforjobcompletion' ? [] : ['wakeNodes(a)']);
    // The job let it go (its attempt ended, its task exited): the node goes.
    h.calls.length = 0;
    h.nodes.set('a', { ...h.nodes.get('a')!, runningTaskIds: [] });
    h.setJobs([]);
    await reconcileCluster(input(), h.services);
    expect(h.calls).toEqual(['deleteNodes(a)']);
  }
});

test("the core quota holds growth back: the pool grows to the room left by the location's other clusters, and says why", async () => {
  // The dedicated core quota is 10 and the size has 1 core; other clusters use 8.
  const h = harness({ manual: { targetNodeCount: 4, nodeDeallocationOption: 'requeue' } });
  h.setOthers(5, 3);
  const first = await reconcileCluster(input({ firstPass: true }), h.services);
  expect(h.calls).toEqual(['resize(2)']);
  expect(h.record.status).toMatchObject({ currentNodeCount: 2, allocationState: 'resizing' });
  expect(h.record.status.errors).toEqual([
    {
      code: 'CoreQuotaReached',
      message:
        "The location's dedicated core quota (10) leaves room for 2 node(s) of STANDARD_D1_V2 (1 cores each) in " +
        "this cluster: the subscription's other clusters there use 8. 2 node(s) the cluster wants were not added; " +
        'they will be once cores free up or the quota (BATCHAI_QUOTA_DEDICATED_CORES) is raised.',
    },
  ]);
  // What the scheduler tells the first waiting job from.
  expect(h.record.cluster?.quotaHold).toEqual({ nodeCount: 2, heldBack: 2, lowPriority: false });
  // The two nodes are there; the others still use their cores: nothing more is added, the hold stays.
  h.setPool([poolNode('a'), poolNode('b')]);
  h.nodes.set('a', rec('a', 'idle'));
  h.nodes.set('b', rec('b', 'idle'));
  h.calls.length = 0;
  const second = await reconcileCluster(input({ definitionHash: first.definitionHash }), h.services);
  expect(h.calls).toEqual([]);
  expect(h.record.cluster?.quotaHold).toEqual({ nodeCount: 2, heldBack: 2, lowPriority: false });
  // Another cluster shrank: the rest is added, the error and the hold go.
  h.setOthers(5);
  await reconcileCluster(input({ definitionHash: second.definitionHash }), h.services);
  expect(h.calls).toEqual(['resize(4)']);
  expect(h.record.status.errors).toBeUndefined();
  expect(h.record.cluster?.quotaHold).toBeUndefined();
});

test("the low-priority core quota holds a low-priority cluster's growth; a size of unknown cores is not held", async () => {
  const h = harness({ autoScale: { minimumNodeCount: 0, maximumNodeCount: 8, initialNodeCount: 6 } });
  h.setRecord((r) => {
    r.spec = { ...r.spec, vmPriority: 'lowpriority' };
  });
  h.setOthers(1); // dedicated: not counted against the low-priority quota (4)
  await reconcileCluster(input({ firstPass: true }), h.services);
  expect(h.calls).toEqual(['resize(4)']);
  expect(h.record.cluster?.quotaHold).toEqual({ nodeCount: 4, heldBack: 2, lowPriority: true });
  const unknown = harness({ manual: { targetNodeCount: 40, nodeDeallocationOption: 'requeue' } });
  unknown.setRecord((r) => {
    r.spec = { ...r.spec, vmSize: 'STANDARD_UNKNOWN' };
  });
  await reconcileCluster(input({ firstPass: true }), unknown.services);
  expect(unknown.calls).toEqual(['resize(40)']);
});
