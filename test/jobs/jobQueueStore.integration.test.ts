// The scheduler's reads of a cluster's jobs on the Cosmos emulator: the head of the queue in queue order (priority,
// then submit time, then id) bounded by a limit, across experiments (partitions); the jobs holding nodes; and a
// queued job stored before documents carried a queue order key, which the head's ORDER BY would miss.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CosmosResourceStore } from '../../shared/adapters/cosmos/cosmosResourceStore';
import { resourceApiContainers } from '../../shared/adapters/cosmos/resourceApiContainers';
import { armIdOf, experimentRefOf, keyOf, type ResourceRef } from '../../shared/domain/resourceId';
import type { ExecutionState, ResourceRecord } from '../../shared/domain/resourceRecord';
import { createCosmosClient } from '../../runtime/stack/cosmosClient';
import { startLocalStack, type LocalStack } from '../../runtime/stack/localStack';

let stack: LocalStack;
let dataDir: string;
let store: CosmosResourceStore;
let database: string;
const client = (): ReturnType<typeof createCosmosClient> =>
  createCosmosClient(stack.cosmosEndpoint, stack.cosmosKey);

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'job-queue-store-'));
  stack = await startLocalStack({ dataDir });
  database = stack.appSettings().COSMOS_DATABASE;
  store = new CosmosResourceStore(client(), database);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const clusterKey = 'sub/rg/ws/clusters/c1';

function job(
  name: string,
  experiment: string,
  priority: 'low' | 'normal' | 'high',
  creationTime: string,
  executionState: ExecutionState = 'queued',
  cluster = clusterKey,
): ResourceRecord {
  const ref: ResourceRef = {
    kind: 'job',
    subscriptionId: 'sub',
    resourceGroup: 'rg',
    workspace: 'ws',
    experiment,
    name,
  };
  return {
    kind: 'job',
    ref,
    armId: armIdOf(ref),
    location: 'eastus',
    spec: {},
    status: { creationTime, executionState },
    encryptedSecrets: {},
    job: {
      uuid: `uuid-${name}`,
      clusterId: cluster,
      clusterKey: cluster,
      priority,
      nodeCount: 1,
      executionState,
      attempts: [],
    },
  };
}

test('the head of the queue: queue order across experiments, at most the limit; the jobs holding nodes apart', async () => {
  const at = (second: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();
  await Promise.all(
    [
      job('late-high', 'e2', 'high', at(50)),
      job('first-normal', 'e1', 'normal', at(1)),
      job('second-normal', 'e2', 'normal', at(2)),
      job('early-low', 'e1', 'low', at(0)),
      job('early-high', 'e1', 'high', at(40)),
      job('tie-b', 'e1', 'normal', at(3)),
      job('tie-a', 'e2', 'normal', at(3)),
      job('running', 'e1', 'normal', at(0), 'running'),
      job('terminating', 'e2', 'normal', at(0), 'terminating'),
      job('done', 'e1', 'normal', at(0), 'succeeded'),
      job('elsewhere', 'e1', 'high', at(0), 'queued', 'sub/rg/ws/clusters/other'),
    ].map((record) => store.create(record)),
  );
  const names = (entries: { ref: ResourceRef }[]): string[] => entries.map((e) => e.ref.name);
  expect(names(await store.listQueueHead(clusterKey, 100))).toEqual([
    'early-high',
    'late-high',
    'first-normal',
    'second-normal',
    'tie-a', // same submit time: the id decides (uuid-tie-a < uuid-tie-b)
    'tie-b',
    'early-low',
  ]);
  expect(names(await store.listQueueHead(clusterKey, 3))).toEqual([
    'early-high',
    'late-high',
    'first-normal',
  ]);
  expect(names(await store.listActiveJobs(clusterKey)).sort()).toEqual(['running', 'terminating']);
  const [head] = await store.listQueueHead(clusterKey, 1);
  expect(head).toMatchObject({ armId: expect.stringContaining('/jobs/early-high'), creationTime: at(40) });
  expect(head.etag).not.toBe('');
  await expect(store.listQueueHead(clusterKey, 0)).rejects.toThrow(RangeError);
});

test('a queued job stored without a queue order key is among the active jobs, so no pass misses it', async () => {
  const legacy = job('legacy', 'e3', 'normal', new Date().toISOString());
  // As an older version wrote it: the same document less the queue order key.
  const container = client().database(database).container(resourceApiContainers.jobs);
  const stored = await store.create(legacy);
  const document = container.item('legacy', keyOf(experimentRefOf(legacy.ref)));
  const { resource } = await document.read();
  expect(resource?.queueOrder).toBeDefined();
  delete resource!.queueOrder;
  await document.replace(resource!);
  expect(stored.record.job?.executionState).toBe('queued');
  const active = await store.listActiveJobs(clusterKey);
  expect(active.map((e) => e.ref.name)).toContain('legacy');
  expect((await store.listQueueHead(clusterKey, 100)).map((e) => e.ref.name)).not.toContain('legacy');
});

test('jobs larger than the cluster stay out of the head and are listed apart until explained; so are the explained jobs behind it', async () => {
  const cluster = 'sub/rg/ws/clusters/small';
  const at = (second: number): string => new Date(Date.UTC(2026, 0, 2, 0, 0, second)).toISOString();
  const sized = (name: string, second: number, nodeCount: number): ResourceRecord => {
    const record = job(name, 'e4', 'normal', at(second), 'queued', cluster);
    record.job!.nodeCount = nodeCount;
    return record;
  };
  // Three jobs of 3 nodes ahead of one of 1 node, on a cluster of at most 2 nodes.
  for (const record of [
    sized('big-0', 0, 3),
    sized('big-1', 1, 3),
    sized('big-2', 2, 3),
    sized('small', 3, 1),
  ])
    await store.create(record);
  const names = (entries: { ref: ResourceRef }[]): string[] => entries.map((e) => e.ref.name);
  expect(names(await store.listQueueHead(cluster, 2))).toEqual(['big-0', 'big-1']); // without a maximum
  const head = await store.listQueueHead(cluster, 2, 2);
  expect(names(head)).toEqual(['small']);
  expect(head[0].queueOrder).toEqual(expect.any(String));
  expect(names(await store.listOversizedQueued(cluster, 2, '2000-01-01T00:00:00.000Z', 10))).toEqual([
    'big-0',
    'big-1',
    'big-2',
  ]);
  expect(names(await store.listOversizedQueued(cluster, 2, '2000-01-01T00:00:00.000Z', 1))).toEqual([
    'big-0',
  ]);
  // Once explained, a large job is not listed again.
  const [big0] = await store.listOversizedQueued(cluster, 2, '2000-01-01T00:00:00.000Z', 1);
  expect(
    await store.setJobQueueInfo(big0.ref, big0.etag, {
      reason: 'ExceedsClusterSize',
      nodesNeeded: 3,
      updatedTime: '2026-01-02T00:00:00.000Z',
    }),
  ).toBe(true);
  expect(names(await store.listOversizedQueued(cluster, 2, '2000-01-01T00:00:00.000Z', 10))).toEqual([
    'big-1',
    'big-2',
  ]);
  // Until its explanation is older than asked: then it is listed again, to be refreshed.
  expect(names(await store.listOversizedQueued(cluster, 2, '2026-06-01T00:00:00.000Z', 10))).toEqual([
    'big-0',
    'big-1',
    'big-2',
  ]);
  // With a larger maximum they fit: in the head, in queue order.
  expect(names(await store.listQueueHead(cluster, 10, 3))).toEqual(['big-0', 'big-1', 'big-2', 'small']);

  // Jobs behind a head (after its last queue order key) whose queueInfo explains a wait, except NotYetConsidered.
  for (const record of [sized('later-a', 10, 1), sized('later-b', 11, 1), sized('later-c', 12, 2)])
    await store.create(record);
  const all = await store.listQueueHead(cluster, 10, 2);
  expect(names(all)).toEqual(['small', 'later-a', 'later-b', 'later-c']);
  const byName = new Map(all.map((e) => [e.ref.name, e]));
  await store.setJobQueueInfo(byName.get('later-a')!.ref, byName.get('later-a')!.etag, {
    reason: 'InsufficientFreeNodes',
  });
  await store.setJobQueueInfo(byName.get('later-b')!.ref, byName.get('later-b')!.etag, {
    reason: 'NotYetConsidered',
  });
  await store.setJobQueueInfo(byName.get('small')!.ref, byName.get('small')!.etag, {
    reason: 'WaitingForRunningJobs',
  });
  const behind = await store.listExplainedBehindHead(cluster, byName.get('small')!.queueOrder!, 2, 10);
  expect(names(behind)).toEqual(['later-a']);
});

test('the clusters with queued jobs: each once whatever its queue, in key order; one with only running jobs is not', async () => {
  const at = new Date(Date.UTC(2026, 1, 1)).toISOString();
  const clusterOf = (name: string): string => `sub/rg/ws/clusters/${name}`;
  await Promise.all(
    [
      ...Array.from({ length: 5 }, (_, i) =>
        job(`deep-${i}`, 'e3', 'normal', at, 'queued', clusterOf('deep')),
      ),
      job('alone', 'e3', 'low', at, 'queued', clusterOf('alone')),
      job('busy', 'e3', 'normal', at, 'running', clusterOf('busy')),
    ].map((record) => store.create(record)),
  );
  const keys = await store.listClustersWithQueuedJobs();
  expect(keys).toEqual([...keys].sort());
  expect(new Set(keys).size).toBe(keys.length);
  expect(keys).toEqual(expect.arrayContaining([clusterOf('alone'), clusterOf('deep')]));
  expect(keys).not.toContain(clusterOf('busy'));
});
