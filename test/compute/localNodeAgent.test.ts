// Integration: local nodes (node-agent processes started by the local compute adapter) against Azurite and the
// IMDS fake: registration, node setup output in blob, live stdout, kill, eviction as SIGTERM, poison messages.
// Needs the compiled agent: run `npx tsc -p tsconfig.json` first.
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { nodeEventsQueue, nodeSetupOutputContainer } from '../../shared/config/resourceNames';
import { clusterTag, nodeTaskQueueName } from '../../shared/contracts/nodeQueueNames';
import { nodeTaskSchema, type NodeTaskBody } from '../../shared/contracts/nodeTask';
import { decodeQueueMessage, encodeQueueMessage } from '../../shared/contracts/wireEncoding';
import { LocalComputePool } from '../../shared/adapters/compute/localComputePool';
import { stopAllLocalNodes } from '../../shared/adapters/compute/localNodeRegistry';
import type { PoolDefinition } from '../../shared/ports/computePool';
import { startImdsFake, type ImdsFake } from '../../runtime/fakes/imdsFake';
import { startLocalStack, type LocalStack } from '../../runtime/stack/localStack';
import { repoRoot, waitFor } from '../support/testEnvironment';
import { NodeEventCollector } from './support/nodeEventCollector';

const agentMain = path.join(repoRoot, 'dist', 'agent', 'main.js');
const clusterKey =
  '/subscriptions/s/resourcegroups/rg/providers/microsoft.batchai/workspaces/w/clusters/agenttest';

let tempDir: string;
let stack: LocalStack;
let imds: ImdsFake;
let pool: LocalComputePool;
let events: NodeEventCollector;
let queues: QueueServiceClient;
let blobs: BlobServiceClient;
let nodeId: string;

function definition(): PoolDefinition {
  return {
    clusterKey,
    vmSize: 'STANDARD_D2_V3',
    vmPriority: 'dedicated',
    image: {
      kind: 'marketplace',
      publisher: 'Canonical',
      offer: 'UbuntuServer',
      sku: '16.04-LTS',
      version: 'latest',
    },
    agent: {
      clusterKey,
      vmSize: 'STANDARD_D2_V3',
      cpuCount: 2,
      gpuCount: 0,
      nodeEventsQueue,
      setupOutputContainer: nodeSetupOutputContainer,
      heartbeatIntervalMs: 500,
      taskPollIntervalMs: 100,
      scheduledEventsPollIntervalMs: 200,
      setupTask: {
        commandLine: 'echo "setup on $AZ_BATCHAI_NODE_ID"; ls "$AZ_BATCHAI_MOUNT_ROOT"',
        environment: { GREETING: 'hi' },
      },
      mountVolumes: [
        { kind: 'unmanaged', relativeMountPath: 'data', mountCommand: 'mount -t glusterfs 10.0.0.4:/gfs' },
      ],
    },
  };
}

async function sendTask(message: NodeTaskBody): Promise<void> {
  const queue = queues.getQueueClient(nodeTaskQueueName(clusterKey, nodeId));
  await queue.sendMessage(encodeQueueMessage({ schema: nodeTaskSchema, version: 1, ...message }));
}

async function blobText(container: string, name: string): Promise<string> {
  const client = blobs.getContainerClient(container).getBlobClient(name);
  if (!(await client.exists())) return '';
  return (await client.downloadToBuffer()).toString('utf8');
}

function runTask(taskId: string, commandLine: string): NodeTaskBody {
  return {
    kind: 'runTask',
    taskId,
    jobId: 'job-1',
    attempt: 1,
    commandLine,
    stdout: { container: 'joblogs', name: `${taskId}/stdout.txt` },
    stderr: { container: 'joblogs', name: `${taskId}/stderr.txt` },
  };
}

beforeAll(async () => {
  if (!fs.existsSync(agentMain))
    throw new Error(`${agentMain} is missing: run npx tsc -p tsconfig.json first.`);
  tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'batchai-agenttest-'));
  stack = await startLocalStack({ dataDir: path.join(tempDir, 'stack') });
  imds = await startImdsFake();
  queues = QueueServiceClient.fromConnectionString(stack.storageConnectionString);
  blobs = BlobServiceClient.fromConnectionString(stack.storageConnectionString);
  events = new NodeEventCollector(queues.getQueueClient(nodeEventsQueue));
  pool = new LocalComputePool({
    dataDir: path.join(tempDir, 'data'),
    storageConnectionString: stack.storageConnectionString,
    metadataServiceUrl: imds.baseUrl,
    agentMain,
    stopGraceMs: 2_000,
  });
  await pool.ensurePool(definition());
  await pool.resize(clusterKey, 1);
  const [node] = await pool.listNodes(clusterKey);
  nodeId = node.nodeId;
});

afterAll(async () => {
  if (tempDir) await stopAllLocalNodes(path.join(tempDir, 'data'), 1_000);
  await imds?.stop();
  await stack?.stop();
  if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
});

test('a local node registers with its size and reports a successful node setup', async () => {
  const registered = await events.waitFor('registration', 'registered', (e) => e.nodeId === nodeId);
  expect(registered).toMatchObject({ clusterKey, vmSize: 'STANDARD_D2_V3', cpuCount: 2, gpuCount: 0 });
  const setup = await events.waitFor('setup result', 'setupCompleted', (e) => e.nodeId === nodeId);
  expect(setup).toMatchObject({ succeeded: true, exitCode: 0 });
  await events.waitFor('a heartbeat', 'heartbeat', (e) => e.nodeId === nodeId);
});

test("the node setup task's output is in blob storage, and mounts are directories under the mount root", async () => {
  await events.waitFor('setup result', 'setupCompleted', (e) => e.nodeId === nodeId);
  const stdout = await blobText(nodeSetupOutputContainer, `${clusterTag(clusterKey)}/${nodeId}/stdout.txt`);
  expect(stdout).toBe(`setup on ${nodeId}\ndata\n`);
});

test('a running process stdout is readable from its append blob while it runs', async () => {
  await events.waitFor('setup result', 'setupCompleted', (e) => e.nodeId === nodeId);
  await sendTask(runTask('live', 'echo first line; sleep 8; echo second line'));
  await waitFor('the first line in the blob', async () =>
    (await blobText('joblogs', 'live/stdout.txt')).includes('first line\n') ? true : undefined,
  );
  // Still running: no exit reported yet, and the second line is not there.
  await events.drain();
  expect(events.events.some((e) => e.kind === 'taskExited' && e.taskId === 'live')).toBe(false);
  expect(await blobText('joblogs', 'live/stdout.txt')).toBe('first line\n');
  const exited = await events.waitFor('exit of live', 'taskExited', (e) => e.taskId === 'live');
  expect(exited).toMatchObject({ exitCode: 0, jobId: 'job-1', attempt: 1 });
  expect(await blobText('joblogs', 'live/stdout.txt')).toBe('first line\nsecond line\n');
});

test('a kill message ends the task with SIGTERM and reports the signal and reason', async () => {
  await events.waitFor('setup result', 'setupCompleted', (e) => e.nodeId === nodeId);
  await sendTask(runTask('victim', 'echo started; sleep 60'));
  await events.waitFor('start of victim', 'taskStarted', (e) => e.taskId === 'victim');
  await sendTask({ kind: 'killTask', taskId: 'victim', signal: 'SIGTERM', reason: 'job terminated' });
  const exited = await events.waitFor('exit of victim', 'taskExited', (e) => e.taskId === 'victim');
  expect(exited).toMatchObject({ signal: 'SIGTERM', reason: 'job terminated' });
  expect(exited.exitCode).toBeUndefined();
});

test('a Preempt scheduled event reaches the running process as SIGTERM and is acknowledged', async () => {
  await events.waitFor('setup result', 'setupCompleted', (e) => e.nodeId === nodeId);
  const script = "trap 'echo got SIGTERM; exit 143' TERM; echo ready; while true; do sleep 0.1; done";
  await sendTask(runTask('spot', script));
  await waitFor('the job to be ready', async () =>
    (await blobText('joblogs', 'spot/stdout.txt')).includes('ready') ? true : undefined,
  );
  const eventId = imds.schedule('Preempt', [nodeId], 20_000);
  const notice = await events.waitFor('eviction notice', 'evictionNotice', (e) => e.eventId === eventId);
  expect(notice).toMatchObject({ eventType: 'Preempt', nodeId });
  const exited = await events.waitFor('exit of spot', 'taskExited', (e) => e.taskId === 'spot');
  expect(exited).toMatchObject({ exitCode: 143, reason: 'The node was evicted (Preempt).' });
  expect(await blobText('joblogs', 'spot/stdout.txt')).toBe('ready\ngot SIGTERM\n');
  await waitFor('the acknowledgement', async () =>
    imds.acknowledged().includes(eventId) ? true : undefined,
  );
});

test('a malformed task message is set aside in the poison queue with the reason, and the agent keeps working', async () => {
  await events.waitFor('setup result', 'setupCompleted', (e) => e.nodeId === nodeId);
  const queue = queues.getQueueClient(nodeTaskQueueName(clusterKey, nodeId));
  await queue.sendMessage(
    encodeQueueMessage({ schema: nodeTaskSchema, version: 1, kind: 'runTask', taskId: 'bad' }),
  );
  await queue.sendMessage('not json at all');
  const rejected = await events.waitFor('rejection', 'taskMessageRejected', (e) =>
    e.reason.includes('message.jobId'),
  );
  expect(rejected.reason).toBe('Rejected task message: message.jobId must be a non-empty string.');
  const poison = queues.getQueueClient(`${nodeTaskQueueName(clusterKey, nodeId)}-poison`);
  const reasons = await waitFor('two poison messages', async () => {
    const peeked = await poison.peekMessages({ numberOfMessages: 32 });
    return peeked.peekedMessageItems.length >= 2
      ? peeked.peekedMessageItems.map((m) => (decodeQueueMessage(m.messageText) as { reason: string }).reason)
      : undefined;
  });
  expect(reasons).toEqual([
    'Rejected task message: message.jobId must be a non-empty string.',
    'Rejected task message: message is neither JSON nor base64-encoded JSON.',
  ]);
  await sendTask(runTask('after-poison', 'echo still alive'));
  expect(await events.waitFor('exit', 'taskExited', (e) => e.taskId === 'after-poison')).toMatchObject({
    exitCode: 0,
  });
});

test('a node killed with SIGKILL shows as failed in the pool and is removed by deleteNodes', async () => {
  await pool.resize(clusterKey, 2);
  const nodes = await pool.listNodes(clusterKey);
  const second = nodes.find((n) => n.nodeId !== nodeId);
  expect(second).toBeDefined();
  await events.waitFor('registration of the second node', 'registered', (e) => e.nodeId === second?.nodeId);
  const file = JSON.parse(
    fs.readFileSync(
      path.join(tempDir, 'data', 'nodes', clusterTag(clusterKey), second!.nodeId, 'node.json'),
      'utf8',
    ),
  ) as { pid: number };
  process.kill(-file.pid, 'SIGKILL');
  await waitFor('the pool to see the node dead', async () =>
    (await pool.listNodes(clusterKey)).find((n) => n.nodeId === second!.nodeId)?.state === 'failed'
      ? true
      : undefined,
  );
  await pool.deleteNodes(clusterKey, [second!.nodeId]);
  expect((await pool.listNodes(clusterKey)).map((n) => n.nodeId)).toEqual([nodeId]);
});
