// The in-process queue send watcher reports a queue name only for an answered `201` to POST .../<queue>/messages.
import * as http from 'http';
import type { AddressInfo } from 'net';
import { onQueueMessageSent } from './queueSendWatcher';

let server: http.Server;
let port: number;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    res.statusCode = req.method === 'POST' && req.url?.includes('/messages') ? 201 : 404;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function request(method: string, path: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end(method === 'POST' ? '<QueueMessage/>' : undefined);
  });
}

test('a message put on a queue is reported with the queue name; other requests are not', async () => {
  const seen: string[] = [];
  const unsubscribe = onQueueMessageSent((queue) => seen.push(queue));
  try {
    await request('POST', '/devstoreaccount1/job-commands/messages?timeout=30');
    await request('POST', '/node-events/messages');
    await request('GET', '/devstoreaccount1/job-commands/messages?numofmessages=16');
    await request('POST', '/devstoreaccount1/job-commands'); // 404 here
  } finally {
    unsubscribe();
  }
  await request('POST', '/devstoreaccount1/after-unsubscribe/messages');
  expect(seen).toEqual(['job-commands', 'node-events']);
});
