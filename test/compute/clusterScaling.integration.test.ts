// End to end through the real local runtime (host + durable engine) and the resource API: a cluster of local
// nodes scales 0 -> 3 -> 1 -> 0 with counts visible in the cluster GET, its node setup output lands in blob
// storage, a node killed with SIGKILL is marked unusable and replaced, and deleting the cluster releases its nodes.
import { BlobServiceClient } from '@azure/storage-blob';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { nodeSetupOutputContainer } from '../../shared/config/resourceNames';
import { clusterMonitorInstanceId } from '../../orchestrations/compute/clusterMonitorContract';
import { clusterTag } from '../../shared/contracts/nodeQueueNames';
import { readNodeFile } from '../../shared/adapters/compute/localNodeRegistry';
import { ApiClient, SUB, workspacePath } from '../api/apiClient';
import { startTestEnvironment, waitFor, type TestEnvironment } from '../support/testEnvironment';

let env: TestEnvironment;
let api: ApiClient;
const clusterPath = `${workspacePath('rg', 'ws')}/clusters/local`;
const clusterKey = `/subscriptions/${SUB}/resourcegroups/rg/providers/microsoft.batchai/workspaces/ws/clusters/local`;

interface ClusterView {
  allocationState: string;
  currentNodeCount: number;
  nodeStateCounts: Record<string, number>;
  errors?: unknown[];
}

async function cluster(): Promise<ClusterView> {
  const response = await api.send('GET', clusterPath);
  if (response.status !== 200) throw new Error(`GET cluster: ${response.status} ${response.text}`);
  return response.body.properties as ClusterView;
}

function nodesDir(): string {
  return path.join(env.hostDataDir, 'nodes', clusterTag(clusterKey));
}

function liveNodeIds(): string[] {
  if (!fs.existsSync(nodesDir())) return [];
  return fs
    .readdirSync(nodesDir(), { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(nodesDir(), e.name, 'node.json')))
    .map((e) => e.name);
}

async function scaleTo(target: number): Promise<void> {
  const response = await api.send('PATCH', clusterPath, {
    properties: { scaleSettings: { manual: { targetNodeCount: target, nodeDeallocationOption: 'requeue' } } },
  });
  expect(response.status).toBe(200);
}

async function waitForCounts(what: string, idle: number, current: number): Promise<ClusterView> {
  return waitFor(
    what,
    async () => {
      const view = await cluster();
      return view.currentNodeCount === current &&
        view.nodeStateCounts.idleNodeCount === idle &&
        view.allocationState === 'steady'
        ? view
        : undefined;
    },
    90_000,
  );
}

beforeAll(async () => {
  env = await startTestEnvironment({
    settings: {
      SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      COMPUTE_HEARTBEAT_SECONDS: '0.5',
      COMPUTE_NODE_LOST_AFTER_SECONDS: '3',
      COMPUTE_MONITOR_INTERVAL_SECONDS: '1',
      COMPUTE_AUTOSCALE_IDLE_SECONDS: '2',
    },
  });
  api = new ApiClient(env.baseUrl);
  await api.put(workspacePath('rg', 'ws'), { location: 'eastus' });
  await api.put(clusterPath, {
    properties: {
      vmSize: 'STANDARD_D1_V2',
      scaleSettings: { manual: { targetNodeCount: 0 } },
      userAccountSettings: { adminUserName: 'me', adminUserPassword: 'Passw0rd!' },
      nodeSetup: {
        setupTask: {
          commandLine: 'echo "setup of $AZ_BATCHAI_NODE_ID"',
          stdOutErrPathPrefix: '$AZ_BATCHAI_MOUNT_ROOT/logs',
        },
      },
    },
  });
}, 120_000);

afterAll(async () => {
  await env?.stop(); // removes the data dir: local agents notice their node directory is gone and exit
});

test('a cluster scales 0 -> 3 -> 1 -> 0 with node counts and allocation state visible through the API', async () => {
  expect(await cluster()).toMatchObject({ currentNodeCount: 0, allocationState: 'steady' });
  await scaleTo(3);
  const states = new Set<string>();
  const three = await waitFor(
    'three idle nodes',
    async () => {
      const view = await cluster();
      states.add(view.allocationState);
      if (view.nodeStateCounts.preparingNodeCount > 0) states.add('preparing');
      return view.nodeStateCounts.idleNodeCount === 3 && view.allocationState === 'steady' ? view : undefined;
    },
    90_000,
  );
  expect(three).toMatchObject({
    currentNodeCount: 3,
    nodeStateCounts: {
      idleNodeCount: 3,
      runningNodeCount: 0,
      preparingNodeCount: 0,
      unusableNodeCount: 0,
      leavingNodeCount: 0,
    },
  });
  expect(states).toContain('resizing');
  expect(liveNodeIds()).toHaveLength(3);

  const blobs = BlobServiceClient.fromConnectionString(env.stack.storageConnectionString);
  const [someNode] = liveNodeIds();
  const setupOutput = await blobs
    .getContainerClient(nodeSetupOutputContainer)
    .getBlobClient(`${clusterTag(clusterKey)}/${someNode}/stdout.txt`)
    .downloadToBuffer();
  expect(setupOutput.toString('utf8')).toBe(`setup of ${someNode}\n`);

  await scaleTo(1);
  await waitForCounts('one idle node', 1, 1);
  expect(liveNodeIds()).toHaveLength(1);
});

test('a node killed with SIGKILL is detected, marked unusable and replaced', async () => {
  await scaleTo(1);
  await waitForCounts('one idle node', 1, 1);
  const [victim] = liveNodeIds();
  const file = readNodeFile(path.join(nodesDir(), victim));
  expect(file).toBeDefined();
  process.kill(-file!.pid, 'SIGKILL');
  await waitFor(
    'the lost node to be unusable',
    async () => ((await cluster()).nodeStateCounts.unusableNodeCount === 1 ? true : undefined),
    60_000,
  );
  await waitForCounts('a replacement node', 1, 1);
  const [replacement] = liveNodeIds();
  expect(replacement).not.toBe(victim);
});

test('scaling to zero and deleting the cluster release every node', async () => {
  await scaleTo(0);
  await waitForCounts('no nodes', 0, 0);
  expect(liveNodeIds()).toEqual([]);
  await scaleTo(1);
  await waitForCounts('one idle node', 1, 1);
  const deleted = await api.send('DELETE', clusterPath);
  expect([200, 202, 204]).toContain(deleted.status);
  await waitFor(
    'the cluster nodes to be released',
    async () => (fs.existsSync(nodesDir()) ? undefined : true),
    60_000,
  );
});

test("autoscale's initial node count applies once per cluster, not again when its monitor starts again", async () => {
  const autoPath = `${workspacePath('rg', 'ws')}/clusters/auto`;
  const autoKey = clusterKey.replace(/\/local$/, '/auto');
  const autoScale = { minimumNodeCount: 0, maximumNodeCount: 2, initialNodeCount: 1 };
  await api.put(autoPath, {
    properties: {
      vmSize: 'STANDARD_D1_V2',
      scaleSettings: { autoScale },
      userAccountSettings: { adminUserName: 'me', adminUserPassword: 'Passw0rd!' },
    },
  });
  const current = async (): Promise<number> =>
    ((await api.send('GET', autoPath)).body.properties as ClusterView).currentNodeCount;
  await waitFor('the initial node', async () => ((await current()) === 1 ? true : undefined), 60_000);
  await waitFor(
    'the idle cluster scaled to zero',
    async () => ((await current()) === 0 ? true : undefined),
    60_000,
  );
  // Its monitor stops (as after a failure an operator cleaned up); a change of the cluster starts a new one.
  const instance = `instances/${clusterMonitorInstanceId(autoKey)}`;
  expect((await env.durableApi(`${instance}/terminate?reason=test`, { method: 'POST' })).status).toBe(202);
  await waitFor('the monitor terminated', async () => {
    const status = (await (await env.durableApi(instance)).json()) as { runtimeStatus: string };
    return status.runtimeStatus === 'Terminated' ? true : undefined;
  });
  const patched = await api.send('PATCH', autoPath, { properties: { scaleSettings: { autoScale } } });
  expect(patched.status).toBe(200);
  await waitFor('a new monitor', async () => {
    const status = (await (await env.durableApi(instance)).json()) as { runtimeStatus: string };
    return status.runtimeStatus === 'Running' ? true : undefined;
  });
  // Its passes (one a second) leave the idle cluster at zero: the initial size was asked for already.
  for (let i = 0; i < 8; i++) {
    await new Promise((r) => setTimeout(r, 500));
    expect(await current()).toBe(0);
  }
  await api.send('DELETE', autoPath);
});
