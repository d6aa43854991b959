// The local Azurite's queue put notifications: a message put by any process shows up as a line on
// LOCAL_QUEUE_EVENTS_URL, and the host's watcher of that stream reconnects after restartAzurite().
import { QueueClient, QueueServiceClient } from '@azure/storage-queue';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { onQueueMessageSent, watchQueueEventsStream } from '../../runtime/host/queueSendWatcher';
import { LocalStack, startLocalStack } from '../../runtime/stack/localStack';
import { putQueueName } from '../../runtime/stack/queueEventsServer';
import { killProcessesMentioning } from './stackProcesses';

let dataDir: string;
let stack: LocalStack;
let queue: QueueClient;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'queue-events-'));
  stack = await startLocalStack({ dataDir, provision: false });
  queue = QueueServiceClient.fromConnectionString(stack.storageConnectionString).getQueueClient(
    'events-test',
  );
  await queue.createIfNotExists();
});

afterAll(async () => {
  await stack?.stop();
  const leaked = killProcessesMentioning(dataDir);
  fs.rmSync(dataDir, { recursive: true, force: true });
  expect(leaked).toEqual([]);
});

/** Puts a message every half second until `seen()` holds (a put made before a subscriber connects is not told). */
async function putUntil(what: string, seen: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!seen()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await queue.sendMessage('hello');
    for (let i = 0; i < 10 && !seen(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('only a 201 to POST .../<queue>/messages is a put', () => {
  expect(putQueueName('POST', '/devstoreaccount1/node-events/messages?timeout=30', 201)).toBe('node-events');
  expect(putQueueName('POST', '/node-events/messages', 201)).toBe('node-events');
  expect(putQueueName('GET', '/devstoreaccount1/node-events/messages?numofmessages=16', 200)).toBeUndefined();
  expect(putQueueName('POST', '/devstoreaccount1/node-events/messages', 403)).toBeUndefined();
  expect(
    putQueueName('DELETE', '/devstoreaccount1/node-events/messages/id?popreceipt=x', 204),
  ).toBeUndefined();
});

test('a message put on a queue appears as a line on LOCAL_QUEUE_EVENTS_URL; other paths are 404', async () => {
  const url = stack.appSettings().LOCAL_QUEUE_EVENTS_URL;
  expect(url).toBe(stack.queueEventsUrl);
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/queue-messages$/);

  let received = '';
  const request = http.get(url, { agent: false });
  try {
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      request.once('response', resolve).once('error', reject);
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => (received += chunk));
    response.on('error', () => undefined);
    await putUntil('a line on the stream', () => received.split('\n').includes('events-test'));
    expect(received).toMatch(/^(events-test\n)+$/);
  } finally {
    request.destroy();
  }

  const other = await new Promise<number | undefined>((resolve, reject) => {
    http
      .get(url.replace('/queue-messages', '/other'), { agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode);
      })
      .once('error', reject);
  });
  expect(other).toBe(404);
});

test('the host watcher reports puts from the stream and reconnects after restartAzurite()', async () => {
  const fromStream: string[] = [];
  const unsubscribe = onQueueMessageSent((queueName, source) => {
    if (source === 'queue-events') fromStream.push(queueName);
  });
  const log = { info: jest.fn(), warn: jest.fn() };
  const stop = watchQueueEventsStream(stack.queueEventsUrl, log);
  try {
    await putUntil('a put reported by the watcher', () => fromStream.includes('events-test'));

    await stack.restartAzurite();
    fromStream.length = 0;
    await putUntil('a put reported after the restart', () => fromStream.includes('events-test'));
    expect(new Set(fromStream)).toEqual(new Set(['events-test']));
    expect(log.warn).toHaveBeenCalled(); // the connection was lost with the old Azurite...
    expect(log.info).toHaveBeenCalled(); // ...and made again to the new one
  } finally {
    stop();
    unsubscribe();
  }
});
