// A node's record on the Cosmos emulator when several of its events are handled at once (a node with several job
// slots whose jobs end together): every update is applied, and updates in one process go one after the other, each
// from the record the one before wrote, so none pays a 412 and a fresh read; and the projection a scheduling pass
// lists (every field but the nodes' recent task history).
import type { Container, ItemDefinition } from '@azure/cosmos';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CosmosNodeStore } from '../../shared/adapters/compute/cosmosNodeStore';
import type { NodeRecord } from '../../shared/ports/nodeStore';
import { createCosmosClient } from '../../runtime/stack/cosmosClient';
import { startLocalStack, type LocalStack } from '../../runtime/stack/localStack';

let stack: LocalStack;
let dataDir: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-store-'));
  stack = await startLocalStack({ dataDir });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** The store, with its replaces (ETag-checked writes) counted. */
function countedStore(): { store: CosmosNodeStore; replaces: () => number } {
  const client = createCosmosClient(stack.cosmosEndpoint, stack.cosmosKey);
  const store = new CosmosNodeStore(client, stack.appSettings().COSMOS_DATABASE);
  const container = (store as unknown as { container: Container }).container;
  const itemOf = container.item.bind(container);
  let replaces = 0;
  container.item = (id, partitionKey) => {
    const item = itemOf(id, partitionKey);
    const replace = item.replace.bind(item);
    item.replace = ((body: ItemDefinition, options?: unknown) => {
      replaces++;
      return replace(body, options as Parameters<typeof replace>[1]);
    }) as typeof item.replace;
    return item;
  };
  return { store, replaces: () => replaces };
}

test("eight updates of one node's record at once: all applied, one write each", async () => {
  const { store, replaces } = countedStore();
  const cluster = 'sub/rg/ws/clusters/slots';
  const created: NodeRecord = {
    nodeId: 'n1',
    clusterKey: cluster,
    state: 'running',
    createdTime: new Date().toISOString(),
    runningTaskIds: [],
    runningJobIds: [],
  };
  await store.update(cluster, 'n1', () => created);
  const tasks = Array.from({ length: 8 }, (_, i) => `t${i}`);
  await Promise.all(
    tasks.map((taskId) =>
      store.update(cluster, 'n1', (current) =>
        current ? { ...current, runningTaskIds: [...current.runningTaskIds, taskId] } : undefined,
      ),
    ),
  );
  const stored = await store.get(cluster, 'n1');
  expect([...(stored?.runningTaskIds ?? [])].sort()).toEqual(tasks);
  expect(replaces()).toBe(8);
});

test('a scheduling pass lists every field of its nodes but their recent task history', async () => {
  const { store } = countedStore();
  const cluster = 'sub/rg/ws/clusters/listed';
  const time = new Date().toISOString();
  const full: NodeRecord = {
    nodeId: 'n1',
    clusterKey: cluster,
    state: 'leaving',
    createdTime: time,
    vmSize: 'STANDARD_NC6',
    cpuCount: 6,
    gpuCount: 1,
    remoteLogin: { ipAddress: '10.0.0.4', port: 50000 },
    agentVersion: '1.5.0',
    registeredTime: time,
    lastHeartbeatTime: time,
    setup: { succeeded: true, exitCode: 0 },
    runningTaskIds: ['t2'],
    runningJobIds: ['j2'],
    idleSince: time,
    unusableReason: 'none',
    leaving: { since: time, reason: 'scale down', deallocation: 'requeue' },
    releasedBy: { attempt: 'j1/1', time },
    earlierReleases: ['j0/1'],
    vmId: 'vm-1',
    vanishedTasks: { t0: time },
    exitedTasks: { t1: time },
    taskExits: { t1: { exitCode: 0, reason: 'exited', time } },
  };
  await store.update(cluster, 'n1', () => full);
  await store.update(cluster, 'n2', () => ({ ...full, nodeId: 'n2', state: 'idle' }));
  const listed = await store.listForScheduling(cluster);
  const { vanishedTasks: _v, exitedTasks: _e, taskExits: _t, ...scheduling } = full;
  expect(listed.sort((a, b) => a.nodeId.localeCompare(b.nodeId))).toEqual([
    scheduling,
    { ...scheduling, nodeId: 'n2', state: 'idle' },
  ]);
  // The whole records are still there for everyone else.
  expect(await store.get(cluster, 'n1')).toEqual(full);
});
