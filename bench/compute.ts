// Benchmark: compute on local nodes through the real runtime and API. Prints (1) the time from a scale-up request
// (PATCH targetNodeCount 0 -> 1) to the node being idle in the cluster GET, and (2) heartbeat-loss detection: the
// time from freezing a node's agent (SIGSTOP: alive, silent) to the node showing as unusable. Figures only.
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { readNodeFile } from '../shared/adapters/compute/localNodeRegistry';
import { clusterTag } from '../shared/contracts/nodeQueueNames';
import { startTestEnvironment, type TestEnvironment } from '../test/support/testEnvironment';

const sub = '00000000-0000-0000-0000-000000000000';
const workspace = `/subscriptions/${sub}/resourceGroups/bench/providers/Microsoft.BatchAI/workspaces/ws`;
const clusterPath = `${workspace}/clusters/bench`;
const clusterKey = clusterPath.toLowerCase();
const heartbeatSeconds = 1;
const lostAfterSeconds = 5;

async function call(
  env: TestEnvironment,
  method: string,
  p: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const response = await fetch(`${env.baseUrl}/api${p}?api-version=2018-05-01`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 400) throw new Error(`${method} ${p}: ${response.status} ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function counts(
  env: TestEnvironment,
): Promise<{ current: number; idle: number; unusable: number; steady: boolean }> {
  const props = (await call(env, 'GET', clusterPath)).properties as Record<string, unknown>;
  const c = props.nodeStateCounts as Record<string, number>;
  return {
    current: Number(props.currentNodeCount),
    idle: c.idleNodeCount,
    unusable: c.unusableNodeCount,
    steady: props.allocationState === 'steady',
  };
}

function scale(env: TestEnvironment, target: number): Promise<Record<string, unknown>> {
  return call(env, 'PATCH', clusterPath, {
    properties: {
      scaleSettings: { manual: { targetNodeCount: target, nodeDeallocationOption: 'terminate' } },
    },
  });
}

function stats(label: string, ms: number[]): void {
  const sorted = [...ms].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  process.stdout.write(
    `${label}: n=${sorted.length} min=${sorted[0]} ms median=${sorted[Math.floor(sorted.length / 2)]} ms mean=${mean.toFixed(0)} ms max=${sorted[sorted.length - 1]} ms\n`,
  );
}

export async function run(): Promise<void> {
  const env = await startTestEnvironment({
    settings: {
      SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      COMPUTE_HEARTBEAT_SECONDS: String(heartbeatSeconds),
      COMPUTE_NODE_LOST_AFTER_SECONDS: String(lostAfterSeconds),
      COMPUTE_MONITOR_INTERVAL_SECONDS: '1',
    },
  });
  try {
    const put = async (p: string, body: unknown): Promise<void> => {
      await call(env, 'PUT', p, body);
      await until(`${p} created`, async () =>
        (await call(env, 'GET', p).catch(() => undefined)) ? true : undefined,
      );
    };
    await put(workspace, { location: 'eastus' });
    await put(clusterPath, {
      properties: {
        vmSize: 'STANDARD_D1_V2',
        scaleSettings: { manual: { targetNodeCount: 0 } },
        userAccountSettings: { adminUserName: 'bench', adminUserPassword: 'Passw0rd!' },
      },
    });
    const ready: number[] = [];
    for (let i = 0; i < 5; i++) {
      const start = Date.now();
      await scale(env, 1);
      await until('an idle node', async () => ((await counts(env)).idle === 1 ? true : undefined));
      ready.push(Date.now() - start);
      await scale(env, 0);
      await until('no nodes', async () => {
        const c = await counts(env);
        return c.current === 0 && c.steady ? true : undefined;
      });
    }
    stats('scale-up request -> local node idle (PATCH 0->1, setup-less node)', ready);

    const detection: number[] = [];
    const nodesDir = path.join(env.hostDataDir, 'nodes', clusterTag(clusterKey));
    await scale(env, 1);
    for (let i = 0; i < 3; i++) {
      await until('one idle node', async () => {
        const c = await counts(env);
        return c.idle === 1 && c.current === 1 && c.steady ? true : undefined;
      });
      const nodeId = fs.readdirSync(nodesDir).find((d) => fs.existsSync(path.join(nodesDir, d, 'node.json')));
      const file = readNodeFile(path.join(nodesDir, nodeId ?? ''));
      if (!file) throw new Error('no local node found');
      const start = Date.now();
      process.kill(file.pid, 'SIGSTOP'); // alive but silent: only the missing heartbeats reveal it
      await until('the frozen node to be unusable', async () =>
        (await counts(env)).unusable === 1 ? true : undefined,
      );
      detection.push(Date.now() - start);
      process.kill(-file.pid, 'SIGKILL'); // a frozen process cannot stop itself; the monitor replaces the node
    }
    stats(
      `heartbeat loss -> node unusable (heartbeat ${heartbeatSeconds} s, lost after ${lostAfterSeconds} s, monitor 1 s)`,
      detection,
    );
  } finally {
    await env.stop();
  }
}
