// The local stack launcher: data survives a graceful stop and start, restarts keep ports, two stacks run side by
// side, a child that cannot start gives a clear error (no hang, no orphan), and no process outlives stop().
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { cosmosDatabaseName } from '../../shared/config/resourceNames';
import { createCosmosClient } from '../../runtime/stack/cosmosClient';
import { LocalStack, startLocalStack } from '../../runtime/stack/localStack';
import { isAlive, killProcessesMentioning, processesMentioning } from './stackProcesses';

const dataDirs: string[] = [];
const stacks: LocalStack[] = [];

function tempDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stack-launcher-'));
  dataDirs.push(dir);
  return dir;
}

async function start(dataDir: string, extra: { cosmosPort?: number } = {}): Promise<LocalStack> {
  const stack = await startLocalStack({ dataDir, ...extra });
  stacks.push(stack);
  return stack;
}

afterAll(async () => {
  await Promise.allSettled(stacks.map((stack) => stack.stop()));
  const leaked = dataDirs.flatMap((dir) => killProcessesMentioning(dir));
  for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
  expect(leaked).toEqual([]);
});

async function writeEverywhere(stack: LocalStack, tag: string): Promise<void> {
  const cosmos = createCosmosClient(stack.cosmosEndpoint, stack.cosmosKey);
  try {
    const { database } = await cosmos.databases.createIfNotExists({ id: cosmosDatabaseName });
    const { container } = await database.containers.createIfNotExists({
      id: 'stackTest',
      partitionKey: { paths: ['/pk'] },
    });
    await container.items.create({ id: tag, pk: tag, tag });
  } finally {
    cosmos.dispose();
  }
  const blobs = BlobServiceClient.fromConnectionString(stack.storageConnectionString).getContainerClient(
    'stack-test',
  );
  await blobs.createIfNotExists();
  await blobs.getBlockBlobClient(`${tag}.txt`).upload(`hello ${tag}`, `hello ${tag}`.length);
  const queue = QueueServiceClient.fromConnectionString(stack.storageConnectionString).getQueueClient(
    'stack-test',
  );
  await queue.createIfNotExists();
  await queue.sendMessage(`message ${tag}`);
}

async function readEverywhere(
  stack: LocalStack,
): Promise<{ docs: string[]; blobs: string[]; messages: string[] }> {
  const cosmos = createCosmosClient(stack.cosmosEndpoint, stack.cosmosKey);
  let docs: string[];
  try {
    const container = cosmos.database(cosmosDatabaseName).container('stackTest');
    const { resources } = await container.items.query<{ tag: string }>('SELECT * FROM c').fetchAll();
    docs = resources.map((d) => d.tag).sort();
  } finally {
    cosmos.dispose();
  }
  const container = BlobServiceClient.fromConnectionString(stack.storageConnectionString).getContainerClient(
    'stack-test',
  );
  const blobs: string[] = [];
  for await (const blob of container.listBlobsFlat()) {
    const body = await container.getBlobClient(blob.name).downloadToBuffer();
    blobs.push(body.toString('utf8'));
  }
  const queue = QueueServiceClient.fromConnectionString(stack.storageConnectionString).getQueueClient(
    'stack-test',
  );
  const peeked = await queue.peekMessages({ numberOfMessages: 32 });
  const messages = peeked.peekedMessageItems.map((m) => m.messageText).sort();
  return { docs, blobs: blobs.sort(), messages };
}

describe('local stack launcher', () => {
  test('a graceful stop and a start on the same data dir keep Cosmos documents, blobs and queue messages', async () => {
    const dataDir = tempDataDir();
    const stack = await start(dataDir);
    expect(stack.appSettings()).toEqual({
      AzureWebJobsStorage: stack.storageConnectionString,
      COSMOS_ENDPOINT: stack.cosmosEndpoint,
      COSMOS_KEY: stack.cosmosKey,
      COSMOS_DATABASE: cosmosDatabaseName,
      COSMOS_ALLOW_SELF_SIGNED: 'true',
      LOCAL_QUEUE_EVENTS_URL: stack.queueEventsUrl,
    });
    expect(stack.cosmosEndpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    await writeEverywhere(stack, 'one');

    // restartAzurite keeps its ports and its data (graceful stop flushes Azurite's metadata).
    const blobEndpoint = stack.blobEndpoint;
    const oldAzurite = stack.pids().azurite;
    await stack.restartAzurite();
    expect(stack.pids().azurite).not.toBe(oldAzurite);
    expect(stack.blobEndpoint).toBe(blobEndpoint);
    await writeEverywhere(stack, 'two');

    const pids = stack.pids();
    await stack.stop();
    expect(isAlive(pids.azurite) || isAlive(pids.cosmos)).toBe(false);
    expect(processesMentioning(dataDir)).toEqual([]);

    const again = await start(dataDir);
    expect(await readEverywhere(again)).toEqual({
      docs: ['one', 'two'],
      blobs: ['hello one', 'hello two'],
      messages: ['message one', 'message two'],
    });
    await again.stop();
  });

  test('two stacks run side by side on free ports without seeing each other', async () => {
    const [left, right] = await Promise.all([start(tempDataDir()), start(tempDataDir())]);
    const ports = (s: LocalStack): string[] =>
      [s.blobEndpoint, s.queueEndpoint, s.tableEndpoint, s.cosmosEndpoint].map((u) => new URL(u).port);
    expect(new Set([...ports(left), ...ports(right)]).size).toBe(8);
    await Promise.all([writeEverywhere(left, 'left'), writeEverywhere(right, 'right')]);
    expect((await readEverywhere(left)).docs).toEqual(['left']);
    expect((await readEverywhere(right)).messages).toEqual(['message right']);
    await Promise.all([left.stop(), right.stop()]);
  });

  test('a Cosmos port already in use fails with a clear error naming the emulator and leaves no process behind', async () => {
    const dataDir = tempDataDir();
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const busyPort = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(start(dataDir, { cosmosPort: busyPort })).rejects.toThrow(
        /cosmos emulator did not start: .*EADDRINUSE/,
      );
      expect(processesMentioning(dataDir)).toEqual([]);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  test('bad options are rejected with the field name', async () => {
    await expect(startLocalStack({ dataDir: '' })).rejects.toThrow(/dataDir/);
    await expect(startLocalStack({ dataDir: tempDataDir(), cosmosPort: 70000 })).rejects.toThrow(
      /cosmosPort/,
    );
  });
});
