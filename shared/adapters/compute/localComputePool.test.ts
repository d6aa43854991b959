// The local pool runs every node as a process on this machine: a resize that would take the machine past its cap
// (COMPUTE_LOCAL_MAX_NODES, counting every cluster's nodes) is refused with a ComputePoolError, which the cluster
// monitor records on the cluster, and no node is started.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ComputePoolError, type PoolDefinition } from '../../ports/computePool';
import { clusterTag } from '../../contracts/nodeQueueNames';
import { nodesRoot } from './localNodeRegistry';
import { LocalComputePool, localMaxNodes } from './localComputePool';

let dataDir: string;
beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-pool-cap-'));
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const definition = (clusterKey: string) =>
  ({
    clusterKey,
    vmSize: 'STANDARD_D1',
    vmPriority: 'dedicated',
    image: { kind: 'marketplace', publisher: 'p', offer: 'o', sku: 's', version: 'latest' },
    agent: { scheduledEventsPollIntervalMs: 1000 },
  }) as unknown as PoolDefinition;

// A node that could start would run no agent (on code without the cap, a refused resize would start a few).
const newPool = () =>
  new LocalComputePool({
    dataDir,
    storageConnectionString: 'UseDevelopmentStorage=true',
    agentMain: path.join(dataDir, 'no-agent.js'),
    stopGraceMs: 0,
    maxNodes: 4,
  });

function fakeNodes(clusterKey: string, count: number): void {
  for (let i = 0; i < count; i++) {
    const dir = path.join(nodesRoot(dataDir), clusterTag(clusterKey), `node-${i}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'node.json'),
      JSON.stringify({
        nodeId: `node-${i}`,
        pid: 2 ** 22 + i,
        configPath: '/none',
        createdTime: '2030-01-01T00:00:00Z',
      }),
    );
  }
}

test('a resize past the machine cap is refused with a ComputePoolError and starts no node', async () => {
  const pool = newPool();
  await pool.ensurePool(definition('sub/rg/ws/clusters/big'));
  const error = await pool.resize('sub/rg/ws/clusters/big', 6).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ComputePoolError);
  expect((error as ComputePoolError).code).toBe('LocalNodeLimitExceeded');
  expect((error as ComputePoolError).message).toContain('COMPUTE_LOCAL_MAX_NODES');
  expect(await pool.listNodes('sub/rg/ws/clusters/big')).toEqual([]);
});

test("other clusters' nodes on the machine count against the cap", async () => {
  const pool = newPool();
  fakeNodes('sub/rg/ws/clusters/other', 3);
  await pool.ensurePool(definition('sub/rg/ws/clusters/new'));
  const error = await pool.resize('sub/rg/ws/clusters/new', 2).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ComputePoolError);
  expect((error as ComputePoolError).message).toContain('3 of other clusters');
  expect(await pool.listNodes('sub/rg/ws/clusters/new')).toEqual([]);
});

test('COMPUTE_LOCAL_MAX_NODES sets the cap (default 32); a bad value is a configuration error', () => {
  expect(localMaxNodes({})).toBe(32);
  expect(localMaxNodes({ COMPUTE_LOCAL_MAX_NODES: ' 64 ' })).toBe(64);
  expect(() => localMaxNodes({ COMPUTE_LOCAL_MAX_NODES: '0' })).toThrow(/COMPUTE_LOCAL_MAX_NODES/);
  expect(() => localMaxNodes({ COMPUTE_LOCAL_MAX_NODES: 'many' })).toThrow(/COMPUTE_LOCAL_MAX_NODES/);
});

test("a local node's agent has no contact lease (the pool stops a lost node's processes itself)", async () => {
  const pool = newPool();
  const clusterKey = 'sub/rg/ws/clusters/leased';
  await pool.ensurePool({
    ...definition(clusterKey),
    agent: { scheduledEventsPollIntervalMs: 1000, contactLeaseMs: 5_000 },
  } as unknown as PoolDefinition);
  await pool.resize(clusterKey, 1);
  const clusterDir = path.join(nodesRoot(dataDir), clusterTag(clusterKey));
  const [node] = fs.readdirSync(clusterDir).filter((name) => name.startsWith('node-'));
  const config = JSON.parse(fs.readFileSync(path.join(clusterDir, node!, 'agent.json'), 'utf8')) as object;
  expect(config).not.toHaveProperty('contactLeaseMs');
  await pool.deletePool(clusterKey);
});
