// Integration: local nodes (node-agent processes started by the local compute adapter) against Azurite and the
// IMDS fake: registration, node setup output in blob, live stdout, kill, eviction as SIGTERM, poison messages, and
// secrets sealed with the node data key (setup task, mount credentials, task environment) opened only on the node.
// Needs the compiled agent: run `npx tsc -p tsconfig.json` first.
import { BlobServiceClient } from '@azure/storage-blob';
import { spawn } from 'child_process';
import { QueueServiceClient } from '@azure/storage-queue';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { nodeEventsQueue, nodeSetupOutputContainer } from '../../shared/config/resourceNames';
import { clusterTag, nodeTaskQueueName } from '../../shared/contracts/nodeQueueNames';
import type { NodeEvent } from '../../shared/contracts/nodeEvent';
import { nodeTaskSchema, type NodeTaskBody } from '../../shared/contracts/nodeTask';
import { decodeQueueMessage, encodeQueueMessage } from '../../shared/contracts/wireEncoding';
import { LocalComputePool } from '../../shared/adapters/compute/localComputePool';
import { stopAllLocalNodes } from '../../shared/adapters/compute/localNodeRegistry';
import type { PoolDefinition } from '../../shared/ports/computePool';
import { startImdsFake, type ImdsFake } from '../../runtime/fakes/imdsFake';
import { startLocalStack, type LocalStack } from '../../runtime/stack/localStack';
import { repoRoot, waitFor } from '../support/testEnvironment';
import { NodeEventCollector } from './support/nodeEventCollector';
import {
  generateNodeDataKey,
  mountSealContext,
  sealValues,
  setupSealContext,
  taskSealContext,
} from '../../shared/crypto/nodeSecretSealing';

const nodeDataKey = generateNodeDataKey();
const setupSecret = 'setup-secret-4f1d9a';
const mountKey = 'bW91bnQta2V5LTc3YzE=';
const taskSecret = 'task-secret-93be0c';

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
        commandLine: `echo "setup on $AZ_BATCHAI_NODE_ID"; ls "$AZ_BATCHAI_MOUNT_ROOT"; test "$SETUP_SECRET" = '${setupSecret.slice(0, 6)}''${setupSecret.slice(6)}'`,
        environment: { GREETING: 'hi' },
        sealedEnvironment: sealValues(
          nodeDataKey,
          { SETUP_SECRET: setupSecret },
          setupSealContext(clusterKey),
        ),
      },
      mountVolumes: [
        { kind: 'unmanaged', relativeMountPath: 'data', mountCommand: 'mount -t glusterfs 10.0.0.4:/gfs' },
        {
          kind: 'azureFileShare',
          relativeMountPath: 'afs',
          azureFileUrl: 'https://acct.file.core.windows.net/share',
          accountName: 'acct',
          sealedCredentials: sealValues(
            nodeDataKey,
            { accountKey: mountKey },
            mountSealContext(clusterKey, 'afs'),
          ),
        },
      ],
    },
  };
}

async function sendTask(message: NodeTaskBody, toNode = nodeId): Promise<void> {
  const queue = queues.getQueueClient(nodeTaskQueueName(clusterKey, toNode));
  await queue.sendMessage(encodeQueueMessage({ schema: nodeTaskSchema, version: 1, ...message }));
}

async function blobText(container: string, name: string): Promise<string> {
  const client = blobs.getContainerClient(container).getBlobClient(name);
  if (!(await client.exists())) return '';
  return (await client.downloadToBuffer()).toString('utf8');
}

/** Whether `pid` runs (a zombie, killed and not yet reaped by its new parent, does not). */
function isAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
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
  await pool.resize(clusterKey, 1, { nodeDataKey });
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

test('every heartbeat after the node setup carries its outcome, so a lost setupCompleted can be repaired', async () => {
  await events.waitFor('setup result', 'setupCompleted', (e) => e.nodeId === nodeId);
  const after = events.events.length;
  const heartbeat = await events.waitFor(
    'a heartbeat after the setup result',
    'heartbeat',
    (e) => e.nodeId === nodeId && events.events.indexOf(e) >= after,
  );
  expect(heartbeat.setup).toEqual({ succeeded: true, exitCode: 0 });
});

test("the node setup task's output is in blob storage, and mounts are directories under the mount root", async () => {
  await events.waitFor('setup result', 'setupCompleted', (e) => e.nodeId === nodeId);
  const stdout = await blobText(nodeSetupOutputContainer, `${clusterTag(clusterKey)}/${nodeId}/stdout.txt`);
  // The setup task saw its sealed secret (it exits 1 otherwise); the mount's credentials opened.
  expect(stdout).toBe(`setup on ${nodeId}\nafs\ndata\n`);
});

test("the node data key is only in the node's own agent.json, readable by its owner only", async () => {
  const config = path.join(tempDir, 'data', 'nodes', clusterTag(clusterKey), nodeId, 'agent.json');
  expect(fs.statSync(config).mode & 0o777).toBe(0o600);
  expect(fs.readFileSync(config, 'utf8')).toContain(nodeDataKey.toString('base64'));
  // The pool file (shared by the cluster's nodes) holds sealed values only.
  const poolFile = fs.readFileSync(
    path.join(tempDir, 'data', 'nodes', clusterTag(clusterKey), 'pool.json'),
    'utf8',
  );
  for (const secret of [setupSecret, mountKey, nodeDataKey.toString('base64')])
    expect(poolFile).not.toContain(secret);
});

test('a sealed task environment reaches the process; no secret is in the message, the blobs or the agent log', async () => {
  await events.waitFor('setup result', 'setupCompleted', (e) => e.nodeId === nodeId);
  const message = {
    ...runTask('sealed', `test "$TOKEN" = '${taskSecret.slice(0, 6)}'"$SUFFIX" && echo token-ok`),
    environment: { SUFFIX: taskSecret.slice(6) },
    sealedEnvironment: sealValues(nodeDataKey, { TOKEN: taskSecret }, taskSealContext('sealed')),
  } as NodeTaskBody;
  expect(JSON.stringify(message)).not.toContain(taskSecret);
  await sendTask(message);
  const exited = await events.waitFor('exit of sealed', 'taskExited', (e) => e.taskId === 'sealed');
  expect(exited).toMatchObject({ exitCode: 0, reason: 'exited' });
  expect(await blobText('joblogs', 'sealed/stdout.txt')).toBe('token-ok\n');
  const log = fs.readFileSync(pool.agentLogPath(clusterKey, nodeId), 'utf8');
  const setupErr = await blobText(nodeSetupOutputContainer, `${clusterTag(clusterKey)}/${nodeId}/stderr.txt`);
  for (const secret of [taskSecret, setupSecret, mountKey]) {
    expect(log).not.toContain(secret);
    expect(setupErr).not.toContain(secret);
  }
});

test('a tampered or misplaced sealed environment is refused with a clear reason, and nothing runs', async () => {
  await events.waitFor('setup result', 'setupCompleted', (e) => e.nodeId === nodeId);
  const sealed = sealValues(nodeDataKey, { TOKEN: taskSecret }, taskSealContext('tampered'));
  const [format, iv, tag, body] = sealed.split(':');
  const flipped = Buffer.from(body, 'base64');
  flipped[0] ^= 1;
  await sendTask({
    ...runTask('tampered', 'echo ran'),
    sealedEnvironment: [format, iv, tag, flipped.toString('base64')].join(':'),
  } as NodeTaskBody);
  // Sealed for another task: it does not open here either.
  await sendTask({ ...runTask('elsewhere', 'echo ran'), sealedEnvironment: sealed } as NodeTaskBody);
  for (const taskId of ['tampered', 'elsewhere']) {
    const exited = await events.waitFor(`exit of ${taskId}`, 'taskExited', (e) => e.taskId === taskId);
    expect(exited).toMatchObject({ reason: 'failedToStart' });
    expect(exited.exitCode).toBeUndefined();
    expect(exited.message).toContain(`The sealed environment of task ${taskId} could not be opened`);
    expect(await blobText('joblogs', `${taskId}/stdout.txt`)).toBe('');
  }
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
  expect(exited).toMatchObject({ signal: 'SIGTERM', reason: 'killed', message: 'job terminated' });
  expect(exited.exitCode).toBeUndefined();
});

test('a kill that comes before its run message (queues keep no order) stops the task before it starts', async () => {
  await events.waitFor('setup result', 'setupCompleted', (e) => e.nodeId === nodeId);
  await sendTask({
    kind: 'killTask',
    taskId: 'overtaken',
    signal: 'SIGTERM',
    reason: "The job's processes ended.",
  });
  await sendTask(runTask('overtaken', 'touch ran; sleep 600'));
  const exited = await events.waitFor('exit of overtaken', 'taskExited', (e) => e.taskId === 'overtaken');
  expect(exited).toMatchObject({ reason: 'killed', message: "The job's processes ended." });
  expect(exited.exitCode).toBeUndefined();
  await events.drain();
  expect(events.events.some((e) => e.kind === 'taskStarted' && e.taskId === 'overtaken')).toBe(false);
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

test('a large run message this agent cannot read is set aside cut to fit the poison queue, answered, and deleted', async () => {
  await events.waitFor('setup result', 'setupCompleted', (e) => e.nodeId === nodeId);
  const queue = queues.getQueueClient(nodeTaskQueueName(clusterKey, nodeId));
  // Plain JSON (which agents also read) near the queue's 64 KiB limit: its copy, wrapped again, would not fit.
  const text = JSON.stringify({
    ...runTask('large-and-unreadable', `echo ${'x'.repeat(60_000)}`),
    schema: nodeTaskSchema,
    version: 99,
  });
  await queue.sendMessage(text);
  await sendTask(runTask('after-large', 'echo still alive'));
  const refused = await events.waitFor(
    'exit of large-and-unreadable',
    'taskExited',
    (e) => e.taskId === 'large-and-unreadable',
  );
  expect(refused).toMatchObject({ reason: 'failedToStart', jobId: 'job-1', attempt: 1 });
  expect(
    await events.waitFor('exit of after-large', 'taskExited', (e) => e.taskId === 'after-large'),
  ).toMatchObject({ reason: 'exited', exitCode: 0 });
  const poison = queues.getQueueClient(`${nodeTaskQueueName(clusterKey, nodeId)}-poison`);
  const copy = await waitFor('the poison copy', async () => {
    const peeked = await poison.peekMessages({ numberOfMessages: 32 });
    return peeked.peekedMessageItems
      .map(
        (m) =>
          decodeQueueMessage(m.messageText) as {
            reason: string;
            messageText: string;
            messageTextTruncated?: { originalLength: number; keptLength: number };
          },
      )
      .find((m) => m.messageText.includes('large-and-unreadable'));
  });
  expect(copy.reason).toMatch(/^Rejected task message: message\.version 99 is not supported/);
  expect(copy.messageTextTruncated).toEqual({
    originalLength: text.length,
    keptLength: copy.messageText.length,
  });
  expect(text.startsWith(copy.messageText)).toBe(true);
  expect(copy.messageText.length).toBeLessThan(text.length);
  // Deleted, not left to come back every 60 s.
  expect((await queue.getProperties()).approximateMessagesCount).toBe(0);
});

test('a run message this agent cannot read (a newer version) is answered: its task did not start, and why', async () => {
  await events.waitFor('setup result', 'setupCompleted', (e) => e.nodeId === nodeId);
  const queue = queues.getQueueClient(nodeTaskQueueName(clusterKey, nodeId));
  await queue.sendMessage(
    encodeQueueMessage({ ...runTask('from-the-future', 'echo never'), schema: nodeTaskSchema, version: 99 }),
  );
  const exited = await events.waitFor(
    'exit of from-the-future',
    'taskExited',
    (e) => e.taskId === 'from-the-future',
  );
  expect(exited).toMatchObject({ reason: 'failedToStart', jobId: 'job-1', attempt: 1 });
  expect(exited.message).toMatch(
    /^The node agent \(release \d+\.\d+\.\d+\) cannot read the task's message: message\.version 99 is not supported/,
  );
});

test('a node killed with SIGKILL shows as failed in the pool; deleteNodes removes it and what it still ran', async () => {
  await pool.resize(clusterKey, 2, { nodeDataKey });
  const nodes = await pool.listNodes(clusterKey);
  const second = nodes.find((n) => n.nodeId !== nodeId);
  expect(second).toBeDefined();
  await events.waitFor('registration of the second node', 'registered', (e) => e.nodeId === second?.nodeId);
  const pidFile = path.join(tempDir, 'on-killed-node.pid');
  await sendTask(runTask('on-killed-node', `echo $$ > ${pidFile}; exec sleep 600`), second!.nodeId);
  await events.waitFor('the start of on-killed-node', 'taskStarted', (e) => e.taskId === 'on-killed-node');
  const taskPid = Number(fs.readFileSync(pidFile, 'utf8'));
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
  // The agent died without ending its task (it leads its own process group): the node's removal ends it, as a
  // deleted VM takes its processes with it.
  expect(isAlive(taskPid)).toBe(true);
  await pool.deleteNodes(clusterKey, [second!.nodeId]);
  expect((await pool.listNodes(clusterKey)).map((n) => n.nodeId)).toEqual([nodeId]);
  expect(isAlive(taskPid)).toBe(false);
});

/** Grows the cluster to a second node and waits for its agent's `kind` event: the node, its directory, its agent. */
async function secondNode(kind: 'registered' | 'setupCompleted') {
  await pool.resize(clusterKey, 2, { nodeDataKey });
  const node = (await pool.listNodes(clusterKey)).find((n) => n.nodeId !== nodeId)!;
  await events.waitFor(`${kind} of the node`, kind, (e) => e.nodeId === node.nodeId);
  const nodeDir = path.join(tempDir, 'data', 'nodes', clusterTag(clusterKey), node.nodeId);
  const { pid: agentPid, configPath } = JSON.parse(
    fs.readFileSync(path.join(nodeDir, 'node.json'), 'utf8'),
  ) as { pid: number; configPath: string };
  return { node, nodeDir, agentPid, configPath };
}

test('an agent started again after a crash stops the tasks it left running, reports them lost, and runs no finished task twice', async () => {
  const { node, nodeDir, agentPid, configPath } = await secondNode('registered');
  const ranFile = path.join(tempDir, 'ran-once.txt');
  const pidFile = path.join(tempDir, 'left-running.pid');
  const exitsOf = (taskId: string): NodeEvent[] =>
    events.events.filter((e) => e.kind === 'taskExited' && e.taskId === taskId);

  await sendTask(runTask('ran-once', `echo ran >> ${ranFile}`), node.nodeId);
  await events.waitFor('the exit of ran-once', 'taskExited', (e) => e.taskId === 'ran-once');
  await sendTask(runTask('left-running', `echo $$ > ${pidFile}; exec sleep 600`), node.nodeId);
  await events.waitFor('the start of left-running', 'taskStarted', (e) => e.taskId === 'left-running');
  const taskPid = Number(fs.readFileSync(pidFile, 'utf8'));
  const unjournaledPidFile = path.join(tempDir, 'unjournaled.pid');
  await sendTask(runTask('unjournaled', `echo $$ > ${unjournaledPidFile}; exec sleep 600`), node.nodeId);
  await events.waitFor('the start of unjournaled', 'taskStarted', (e) => e.taskId === 'unjournaled');
  const unjournaledPid = Number(fs.readFileSync(unjournaledPidFile, 'utf8'));
  // The agent and its task launcher die; the tasks, in their own process groups, live on (as under a crashed agent
  // whose service manager does not stop its processes).
  process.kill(-agentPid, 'SIGKILL');
  await waitFor('the agent to be gone', async () => (isAlive(agentPid) ? undefined : true));
  expect(isAlive(taskPid)).toBe(true);
  // The second task's pid never reached the journal (the agent died between the spawn and that line).
  const journal = path.join(nodeDir, 'state', 'tasks.ndjson');
  fs.writeFileSync(
    journal,
    fs
      .readFileSync(journal, 'utf8')
      .split('\n')
      .filter((line) => !(line.includes('"op":"pid"') && line.includes('"unjournaled"')))
      .join('\n'),
  );

  const restarted = spawn(process.execPath, [agentMain, '--config', configPath], {
    cwd: nodeDir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? nodeDir },
    detached: true,
    stdio: 'ignore',
  });
  try {
    const lost = await events.waitFor('the lost task', 'taskExited', (e) => e.taskId === 'left-running');
    expect(lost).toMatchObject({
      reason: 'nodeLost',
      jobId: 'job-1',
      attempt: 1,
      message: 'The node agent restarted while the task ran (its process was stopped).',
    });
    expect(isAlive(taskPid)).toBe(false);
    // The one without its pid is found by the node's mark on its environment, and stopped all the same.
    const unjournaled = await events.waitFor(
      'the task without a pid',
      'taskExited',
      (e) => e.taskId === 'unjournaled',
    );
    expect(unjournaled).toMatchObject({
      reason: 'nodeLost',
      message: 'The node agent restarted while the task ran.',
    });
    expect(isAlive(unjournaledPid)).toBe(false);

    // The finished task's message again (a lifecycle taken up sends it again): its first exit, not a second run.
    await sendTask(runTask('ran-once', `echo ran >> ${ranFile}`), node.nodeId);
    await waitFor('ran-once reported again', async () => {
      await events.drain();
      return exitsOf('ran-once').length >= 2 ? true : undefined;
    });
    expect(exitsOf('ran-once')[1]).toMatchObject({ reason: 'exited', exitCode: 0 });
    expect(fs.readFileSync(ranFile, 'utf8')).toBe('ran\n');
    expect(exitsOf('left-running')).toHaveLength(1);
  } finally {
    process.kill(-restarted.pid!, 'SIGKILL');
    await pool.deleteNodes(clusterKey, [node.nodeId]);
  }
});

test('a restarted agent keeps a kill that overtook its run message, and gives up on messages delivered too often', async () => {
  const { node, nodeDir, agentPid, configPath } = await secondNode('setupCompleted');
  const queue = queues.getQueueClient(nodeTaskQueueName(clusterKey, node.nodeId));
  const journal = path.join(nodeDir, 'state', 'tasks.ndjson');

  await sendTask(
    {
      kind: 'killTask',
      taskId: 'killed-then-restarted',
      signal: 'SIGTERM',
      reason: 'job terminated',
      nodeRemoval: 'terminate',
    },
    node.nodeId,
  );
  await waitFor('the kill handled', async () =>
    fs.readFileSync(journal, 'utf8').includes('killed-then-restarted') &&
    (await queue.getProperties()).approximateMessagesCount === 0
      ? true
      : undefined,
  );
  process.kill(-agentPid, 'SIGKILL');
  await waitFor('the agent to be gone', async () => (isAlive(agentPid) ? undefined : true));

  // Messages every earlier delivery of which failed (here: received and let go 5 times while no agent ran).
  const givenUpMarker = path.join(tempDir, 'given-up-ran.txt');
  await sendTask(runTask('given-up', `touch ${givenUpMarker}`), node.nodeId);
  await queue.sendMessage('never readable');
  for (let delivery = 0; delivery < 5; delivery++) {
    const received = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 30 });
    expect(received.receivedMessageItems).toHaveLength(2);
    for (const item of received.receivedMessageItems)
      await queue.updateMessage(item.messageId, item.popReceipt, item.messageText, 0);
  }
  const killedMarker = path.join(tempDir, 'killed-then-restarted-ran.txt');
  await sendTask(runTask('killed-then-restarted', `touch ${killedMarker}; sleep 600`), node.nodeId);

  const restarted = spawn(process.execPath, [agentMain, '--config', configPath], {
    cwd: nodeDir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? nodeDir },
    detached: true,
    stdio: 'ignore',
  });
  try {
    const killed = await events.waitFor(
      'the exit of killed-then-restarted',
      'taskExited',
      (e) => e.taskId === 'killed-then-restarted',
    );
    expect(killed).toMatchObject({ reason: 'killed', message: 'job terminated', nodeRemoval: 'terminate' });
    expect(killed.exitCode).toBeUndefined();
    expect(fs.existsSync(killedMarker)).toBe(false);

    const givenUp = await events.waitFor(
      'the exit of given-up',
      'taskExited',
      (e) => e.taskId === 'given-up',
    );
    expect(givenUp).toMatchObject({
      reason: 'failedToStart',
      jobId: 'job-1',
      attempt: 1,
      message: 'The node agent gave up on the task message after 6 deliveries.',
    });
    expect(fs.existsSync(givenUpMarker)).toBe(false);
    const poison = queues.getQueueClient(`${nodeTaskQueueName(clusterKey, node.nodeId)}-poison`);
    const setAside = await waitFor('the unreadable message set aside', async () => {
      const peeked = await poison.peekMessages({ numberOfMessages: 32 });
      return peeked.peekedMessageItems
        .map((m) => decodeQueueMessage(m.messageText) as { reason: string; messageText: string })
        .find((m) => m.messageText === 'never readable');
    });
    expect(setAside.reason).toBe('The node agent gave up on the task message after 6 deliveries.');
    await waitFor('the task queue emptied', async () =>
      (await queue.getProperties()).approximateMessagesCount === 0 ? true : undefined,
    );
  } finally {
    process.kill(-restarted.pid!, 'SIGKILL');
    await pool.deleteNodes(clusterKey, [node.nodeId]);
  }
});

test('an exit whose report failed is sent again once the node events queue takes messages again', async () => {
  const eventsQueue = queues.getQueueClient(nodeEventsQueue);
  await sendTask(runTask('report-later', 'sleep 1; echo done'));
  await events.waitFor('the start of report-later', 'taskStarted', (e) => e.taskId === 'report-later');
  // The queue is gone while the task ends: its exit report fails, and so do heartbeats.
  await eventsQueue.delete();
  await new Promise((r) => setTimeout(r, 2_500));
  await eventsQueue.create();
  const exited = await events.waitFor(
    'the exit sent again',
    'taskExited',
    (e) => e.taskId === 'report-later',
  );
  expect(exited).toMatchObject({ reason: 'exited', exitCode: 0 });
  expect(events.events.filter((e) => e.kind === 'taskExited' && e.taskId === 'report-later')).toHaveLength(1);
});

// Last: the evicted node takes no more work.
test('a Preempt scheduled event reaches the running process as SIGTERM and is acknowledged; the node then starts no task', async () => {
  await events.waitFor('setup result', 'setupCompleted', (e) => e.nodeId === nodeId);
  const script = "trap 'echo got SIGTERM; exit 143' TERM; echo ready; while true; do sleep 0.1; done";
  await sendTask(runTask('spot', script));
  // A task being ended for a terminate scale-down that checkpoints on the first SIGTERM and exits on the second.
  const slow =
    "n=0; trap 'n=$((n+1)); echo got SIGTERM $n; [ $n -ge 2 ] && exit 143' TERM; echo ready; while true; do sleep 0.1; done";
  await sendTask(runTask('removed', slow));
  await waitFor('the jobs to be ready', async () =>
    (await blobText('joblogs', 'spot/stdout.txt')).includes('ready') &&
    (await blobText('joblogs', 'removed/stdout.txt')).includes('ready')
      ? true
      : undefined,
  );
  await sendTask({
    kind: 'killTask',
    taskId: 'removed',
    signal: 'SIGTERM',
    reason: 'The node is removed (scale down).',
    nodeRemoval: 'terminate',
  });
  await waitFor('the first SIGTERM', async () =>
    (await blobText('joblogs', 'removed/stdout.txt')).includes('got SIGTERM 1') ? true : undefined,
  );
  const eventId = imds.schedule('Preempt', [nodeId], 20_000);
  const notice = await events.waitFor('eviction notice', 'evictionNotice', (e) => e.eventId === eventId);
  expect(notice).toMatchObject({ eventType: 'Preempt', nodeId });
  const exited = await events.waitFor('exit of spot', 'taskExited', (e) => e.taskId === 'spot');
  expect(exited).toMatchObject({
    exitCode: 143,
    reason: 'evicted',
    message: 'The node was evicted (Preempt).',
  });
  expect(await blobText('joblogs', 'spot/stdout.txt')).toBe('ready\ngot SIGTERM\n');
  // The eviction's SIGTERM ended it, but it was being ended for the removal first: that reason is kept.
  const removed = await events.waitFor('exit of removed', 'taskExited', (e) => e.taskId === 'removed');
  expect(removed).toMatchObject({
    exitCode: 143,
    reason: 'killed',
    message: 'The node is removed (scale down).',
    nodeRemoval: 'terminate',
  });
  await waitFor('the acknowledgement', async () =>
    imds.acknowledged().includes(eventId) ? true : undefined,
  );
  // A task sent to the node while it goes away (a grant made before its record said leaving) is reported evicted at
  // once, so its job is requeued elsewhere, and never runs here.
  const marker = path.join(tempDir, 'ran-after-eviction.txt');
  await sendTask(runTask('after-eviction', `touch ${marker}`));
  const refused = await events.waitFor('the refusal', 'taskExited', (e) => e.taskId === 'after-eviction');
  expect(refused).toMatchObject({
    reason: 'evicted',
    message: 'The node was evicted (Preempt). The task was not started.',
  });
  expect(refused.exitCode).toBeUndefined();
  expect(fs.existsSync(marker)).toBe(false);
});
