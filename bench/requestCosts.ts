// Benchmark: what one request to the local emulators costs this machine, through the real SDKs, one at a time as a
// job's path makes them: the client's CPU (this process) and the emulator's (its process, from /proc), per request.
// A job's path is a chain of such requests (queue messages to and from its node, log blobs, Cosmos reads and
// writes), so these figures bound what a local job can cost at least. Figures only.
import { BlobServiceClient } from '@azure/storage-blob';
import type { Container } from '@azure/cosmos';
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createCosmosClient } from '../runtime/stack/cosmosClient';
import { startLocalStack, type LocalStack } from '../runtime/stack/localStack';

const requests = Number(process.env.BENCH_REQUESTS ?? 400);

/** CPU milliseconds used so far by process `pid` (user + system), from /proc; 10 ms resolution. */
function processCpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

interface Cost {
  name: string;
  clientMs: number;
  emulatorMs: number;
}

async function measure(
  name: string,
  emulatorPid: number,
  count: number,
  request: (i: number) => Promise<unknown>,
): Promise<Cost> {
  const client = process.cpuUsage();
  const emulator = processCpuMs(emulatorPid);
  for (let i = 0; i < count; i++) await request(i);
  const used = process.cpuUsage(client);
  return {
    name,
    clientMs: (used.user + used.system) / 1000 / count,
    emulatorMs: (processCpuMs(emulatorPid) - emulator) / count,
  };
}

async function storageCosts(stack: LocalStack, round: string): Promise<Cost[]> {
  const pid = stack.pids().azurite;
  const queues = QueueServiceClient.fromConnectionString(stack.storageConnectionString);
  const queue: QueueClient = queues.getQueueClient(`bench-${round}`);
  await queue.createIfNotExists();
  const container = BlobServiceClient.fromConnectionString(stack.storageConnectionString).getContainerClient(
    `bench-${round}`,
  );
  await container.createIfNotExists();
  const message = Buffer.from(JSON.stringify({ kind: 'runTask', padding: 'x'.repeat(1500) })).toString(
    'base64',
  );
  const costs: Cost[] = [];
  costs.push(await measure('queue: send a message', pid, requests, () => queue.sendMessage(message)));
  const received: { messageId: string; popReceipt: string }[] = [];
  costs.push(
    await measure('queue: receive one message', pid, requests, async () => {
      const response = await queue.receiveMessages({ numberOfMessages: 1 });
      received.push(...response.receivedMessageItems);
    }),
  );
  costs.push(
    await measure('queue: delete a message', pid, received.length, (i) =>
      queue.deleteMessage(received[i].messageId, received[i].popReceipt),
    ),
  );
  costs.push(
    await measure('queue: receive from an empty queue', pid, requests, () =>
      queue.receiveMessages({ numberOfMessages: 1 }),
    ),
  );
  costs.push(
    await measure('blob: create an append blob', pid, requests, (i) =>
      container.getAppendBlobClient(`task-${i}/stdout.txt`).create(),
    ),
  );
  costs.push(
    await measure('blob: append a block', pid, requests, (i) =>
      container.getAppendBlobClient(`task-${i}/stdout.txt`).appendBlock('epoch 1 loss 0.5\n', 17),
    ),
  );
  return costs;
}

async function cosmosCosts(stack: LocalStack, round: string): Promise<Cost[]> {
  const pid = stack.pids().cosmos;
  const client = createCosmosClient(stack.cosmosEndpoint, stack.cosmosKey);
  const { database } = await client.databases.createIfNotExists({ id: 'bench' });
  const { container }: { container: Container } = await database.containers.createIfNotExists({
    id: `requests-${round}`,
    partitionKey: { paths: ['/pk'] },
  });
  const document = (i: number, state: string): Record<string, unknown> => ({
    id: `job-${i}`,
    pk: 'experiment',
    state,
    spec: { commandLine: 'python train.py', padding: 'x'.repeat(1500) },
  });
  const costs: Cost[] = [];
  costs.push(
    await measure('cosmos: create a document', pid, requests, (i) =>
      container.items.create(document(i, 'queued')),
    ),
  );
  costs.push(
    await measure('cosmos: point read', pid, requests, (i) =>
      container.item(`job-${i}`, 'experiment').read(),
    ),
  );
  costs.push(
    await measure('cosmos: replace', pid, requests, (i) =>
      container.item(`job-${i}`, 'experiment').replace(document(i, 'running')),
    ),
  );
  costs.push(
    await measure(
      `cosmos: query, TOP 10 of ${requests} documents (query plan + query)`,
      pid,
      Math.ceil(requests / 4),
      () =>
        container.items
          .query("SELECT TOP 10 c.id FROM c WHERE c.state = 'running'", { partitionKey: 'experiment' })
          .fetchAll(),
    ),
  );
  return costs;
}

export async function run(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'batchai-bench-requests-'));
  const stack = await startLocalStack({ dataDir });
  try {
    // A first round warms both sides up (JIT, connections); the second is printed.
    await storageCosts(stack, 'warmup');
    await cosmosCosts(stack, 'warmup');
    const costs = [...(await storageCosts(stack, 'measured')), ...(await cosmosCosts(stack, 'measured'))];
    process.stdout.write(
      `one request at a time, ${requests} of each (client = this process through the SDK, emulator = its process):\n`,
    );
    for (const cost of costs) {
      process.stdout.write(
        `  ${cost.name.padEnd(62)} client ${cost.clientMs.toFixed(2)} ms + emulator ${cost.emulatorMs.toFixed(2)} ms = ${(cost.clientMs + cost.emulatorMs).toFixed(2)} ms\n`,
      );
    }
  } finally {
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
