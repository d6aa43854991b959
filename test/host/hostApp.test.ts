// Acceptance tests of the local Functions host: a fixture app served by the real host process over real HTTP, with
// real Azurite behind queue, blob, timer and Event Grid features.
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import * as fs from 'fs';
import * as path from 'path';
import { repoRoot, startTestEnvironment, waitFor, type TestEnvironment } from '../support/testEnvironment';

const appRoot = path.join(repoRoot, 'test', 'fixtures', 'apps', 'hostApp');
let env: TestEnvironment;
let queues: QueueServiceClient;

beforeAll(async () => {
  env = await startTestEnvironment({ appRoot, settings: { TICK_SCHEDULE: '*/2 * * * * *' } });
  queues = QueueServiceClient.fromConnectionString(env.stack.storageConnectionString);
});

afterAll(async () => {
  await env?.stop();
});

/** Decoded texts of all messages on a queue (received and deleted, so each call sees new ones only). */
async function drainQueue(name: string): Promise<string[]> {
  const q = queues.getQueueClient(name);
  if (!(await q.exists())) return [];
  const out: string[] = [];
  for (;;) {
    const { receivedMessageItems } = await q.receiveMessages({ numberOfMessages: 32 });
    if (receivedMessageItems.length === 0) return out;
    for (const m of receivedMessageItems) {
      out.push(Buffer.from(m.messageText, 'base64').toString('utf8'));
      await q.deleteMessage(m.messageId, m.popReceipt);
    }
  }
}

/** Collects messages of a queue until `enough` says so. */
async function collect(
  name: string,
  enough: (all: string[]) => boolean,
  timeoutMs = 30_000,
): Promise<string[]> {
  const all: string[] = [];
  return waitFor(
    `messages on queue ${name}`,
    async () => {
      all.push(...(await drainQueue(name)));
      return enough(all) ? all : undefined;
    },
    timeoutMs,
  );
}

describe('local Functions host', () => {
  it('routes HTTP requests with route parameters and enforces function keys', async () => {
    const url = `${env.baseUrl}/api/items/42/widget?q=find`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { 'x-functions-key': 'wrong' } })).status).toBe(401);
    const ok = await fetch(url, { headers: { 'x-functions-key': env.functionKey, 'x-test': 'hdr' } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ id: '42', name: 'widget', q: 'find', hdr: 'hdr' });
    expect(ok.headers.get('x-function')).toBe('itemById');
    expect(ok.headers.get('set-cookie')).toMatch(/^session=abc; Path=\/; HttpOnly/);
    const viaCode = await fetch(`${env.baseUrl}/api/items/7?code=${env.masterKey}`);
    expect(await viaCode.json()).toMatchObject({ id: '7', name: null });
    // The int constraint rejects a non-number: no route matches.
    expect((await fetch(`${env.baseUrl}/api/items/abc?code=${env.functionKey}`)).status).toBe(404);
  });

  it('requires the master key for admin functions', async () => {
    const url = `${env.baseUrl}/api/admin-only`;
    expect((await fetch(url, { headers: { 'x-functions-key': env.functionKey } })).status).toBe(401);
    const ok = await fetch(url, { headers: { 'x-functions-key': env.masterKey } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('admin ok');
  });

  it('answers 404 for unknown routes and wrong methods (as Azure) and 500 when the function throws', async () => {
    expect((await fetch(`${env.baseUrl}/api/nothing-here`)).status).toBe(404);
    const wrong = await fetch(`${env.baseUrl}/api/echo`, { method: 'DELETE' });
    expect(wrong.status).toBe(404);
    expect(wrong.headers.get('allow')).toBeNull();
    // HEAD is not implied by GET.
    expect((await fetch(`${env.baseUrl}/api/hooks`, { method: 'HEAD' })).status).toBe(404);
    expect((await fetch(`${env.baseUrl}/api/boom`)).status).toBe(500);
  });

  it('passes binary request and response bodies through unchanged', async () => {
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 256));
    const res = await fetch(`${env.baseUrl}/api/echo`, {
      method: 'POST',
      body: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(res.status).toBe(201);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('runs appStart hooks before serving', async () => {
    expect(await (await fetch(`${env.baseUrl}/api/hooks`)).json()).toEqual({ appStarted: true });
  });

  it('matches the route prefix case-insensitively, like the route segments (as Azure)', async () => {
    expect((await fetch(`${env.baseUrl}/API/hooks`)).status).toBe(200);
    expect((await fetch(`${env.baseUrl}/Api/HOOKS`)).status).toBe(200);
    const status = await fetch(`${env.baseUrl}/Admin/Host/Status`, {
      headers: { 'x-functions-key': env.masterKey },
    });
    expect(status.status).toBe(200);
  });

  it('processes a queue message and writes the return value to an output queue', async () => {
    await queues
      .getQueueClient('work-items')
      .sendMessage(Buffer.from(JSON.stringify({ job: 'j1' })).toString('base64'));
    const [done] = await collect('work-done', (all) => all.length >= 1);
    expect(JSON.parse(done)).toMatchObject({ received: { job: 'j1' }, dequeueCount: 1 });
  });

  it('retries a failing queue message and moves it to the poison queue with its content intact', async () => {
    const original = Buffer.from('{"job":"bad"}').toString('base64');
    await queues.getQueueClient('fail-items').sendMessage(original);
    const poison = queues.getQueueClient('fail-items-poison');
    const msg = await waitFor(
      'the poison message',
      async () => {
        if (!(await poison.exists())) return undefined;
        return (await poison.peekMessages()).peekedMessageItems[0];
      },
      60_000,
    );
    expect(msg.messageText).toBe(original);
    expect((await queues.getQueueClient('fail-items').peekMessages()).peekedMessageItems).toHaveLength(0);
    // maxDequeueCount 3 in the fixture's host.json: three attempts, no more.
    expect(env.hostOutput().match(/failing on purpose \(dequeue \d\)/g)).toEqual([
      'failing on purpose (dequeue 1)',
      'failing on purpose (dequeue 2)',
      'failing on purpose (dequeue 3)',
    ]);
  });

  it('writes an array to a queue output binding as one message per element', async () => {
    const res = await fetch(`${env.baseUrl}/api/enqueue`, {
      method: 'POST',
      body: JSON.stringify(['a', { b: 1 }]),
    });
    expect(res.status).toBe(202);
    const got = await collect('outbox', (all) => all.length >= 2);
    expect(got.sort()).toEqual(['a', '{"b":1}']);
  });

  it('uploads a blob output binding to the path with the route parameter resolved', async () => {
    const content = Buffer.from('binary\u0000payload');
    const res = await fetch(`${env.baseUrl}/api/blobs/report.bin`, { method: 'PUT', body: content });
    expect(res.status).toBe(201);
    const blobs = BlobServiceClient.fromConnectionString(env.stack.storageConnectionString);
    const downloaded = await blobs
      .getContainerClient('uploads')
      .getBlobClient('report.bin')
      .downloadToBuffer();
    expect(downloaded.equals(content)).toBe(true);
  });

  it('fires a timer on its schedule', async () => {
    const ticks = await collect(
      'timer-ticks',
      (all) => all.filter((t) => JSON.parse(t).fn === 'tick').length >= 2,
    );
    const times = ticks
      .map((t) => JSON.parse(t) as { fn: string; isPastDue: boolean; at: string })
      .filter((t) => t.fn === 'tick');
    expect(times.every((t) => t.isPastDue === false)).toBe(true);
    // Schedule */2: fires on even seconds.
    expect(times.every((t) => new Date(t.at).getUTCSeconds() % 2 === 0)).toBe(true);
  });

  it('delivers Event Grid events (Event Grid schema) once per event, behind the system key', async () => {
    const url = `${env.baseUrl}/runtime/webhooks/eventgrid?functionName=gridSink`;
    const events = [1, 2].map((i) => ({
      id: `eg-${i}`,
      topic: '/subscriptions/x',
      subject: `/blobs/${i}`,
      eventType: 'Microsoft.Storage.BlobCreated',
      eventTime: new Date().toISOString(),
      data: { n: i },
      dataVersion: '1',
    }));
    const noKey = await fetch(url, {
      method: 'POST',
      body: JSON.stringify(events),
      headers: { 'aeg-event-type': 'Notification' },
    });
    expect(noKey.status).toBe(401);
    const res = await fetch(`${url}&code=${env.masterKey}`, {
      method: 'POST',
      body: JSON.stringify(events),
      headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
    });
    expect(res.status).toBe(200);
    const got = await collect('grid-events', (all) => all.filter((e) => e.includes('eg-')).length >= 2);
    expect(
      got
        .map((e) => JSON.parse(e).id)
        .filter((id: string) => id.startsWith('eg-'))
        .sort(),
    ).toEqual(['eg-1', 'eg-2']);
  });

  it('answers the Event Grid subscription validation handshake', async () => {
    const res = await fetch(
      `${env.baseUrl}/runtime/webhooks/eventgrid?functionName=gridSink&code=${env.masterKey}`,
      {
        method: 'POST',
        headers: { 'aeg-event-type': 'SubscriptionValidation', 'content-type': 'application/json' },
        body: JSON.stringify([
          {
            id: 'v1',
            subject: '',
            eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
            data: { validationCode: 'code-123' },
            eventTime: new Date().toISOString(),
            dataVersion: '1',
          },
        ]),
      },
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ validationResponse: 'code-123' });
  });

  it('accepts CloudEvents 1.0 (single, batch) and the OPTIONS abuse-protection handshake', async () => {
    const url = `${env.baseUrl}/runtime/webhooks/eventgrid?functionName=gridSink&code=${env.masterKey}`;
    const options = await fetch(url, {
      method: 'OPTIONS',
      headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' },
    });
    expect(options.status).toBe(200);
    expect(options.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
    const ce = (id: string): Record<string, unknown> => ({
      specversion: '1.0',
      id,
      source: '/test',
      type: 'test.created',
      time: new Date().toISOString(),
      data: { id },
    });
    const single = await fetch(url, {
      method: 'POST',
      body: JSON.stringify(ce('ce-1')),
      headers: { 'content-type': 'application/cloudevents+json' },
    });
    expect(single.status).toBe(200);
    const batch = await fetch(url, {
      method: 'POST',
      body: JSON.stringify([ce('ce-2'), ce('ce-3')]),
      headers: { 'content-type': 'application/cloudevents-batch+json' },
    });
    expect(batch.status).toBe(200);
    const got = await collect('grid-events', (all) => all.filter((e) => e.includes('"ce-')).length >= 3);
    expect(
      got
        .map((e) => JSON.parse(e).id)
        .filter((id: string) => id.startsWith('ce-'))
        .sort(),
    ).toEqual(['ce-1', 'ce-2', 'ce-3']);
  });

  it('ignores a function retry policy for Event Grid (as Azure): a failure fails the delivery for Event Grid to redeliver', async () => {
    expect(env.hostOutput()).toContain(
      'Function "gridFlaky": a retry policy is not supported for eventGridTrigger',
    );
    const deliver = (): Promise<Response> =>
      fetch(`${env.baseUrl}/runtime/webhooks/eventgrid?functionName=gridFlaky&code=${env.masterKey}`, {
        method: 'POST',
        body: JSON.stringify([
          { id: 'flaky-1', subject: 's', eventType: 'x', eventTime: new Date().toISOString(), data: {} },
        ]),
      });
    expect((await deliver()).status).toBe(500);
    // Event Grid's redelivery.
    expect((await deliver()).status).toBe(200);
    const [attempt] = await collect('grid-attempts', (all) => all.length >= 1);
    expect(JSON.parse(attempt)).toEqual({ id: 'flaky-1', succeededOnDelivery: 2, retryCount: null });
  });

  it('reports a timer run missed while the host was down as past due, once', async () => {
    expect(await env.killHost('SIGTERM')).toBe(0);
    const statusFile = path.join(env.hostDataDir, 'timers', 'yearly', 'status.json');
    const status = JSON.parse(fs.readFileSync(statusFile, 'utf8')) as { Next: string };
    expect(new Date(status.Next).getTime()).toBeGreaterThan(Date.now());
    // Pretend the host was down across the scheduled time.
    const missed = new Date(Date.now() - 3600_000).toISOString();
    fs.writeFileSync(statusFile, JSON.stringify({ Last: '', Next: missed, LastUpdated: missed }));
    await drainQueue('timer-ticks');
    await env.restartHost();
    const ticks = await collect('timer-ticks', (all) => all.some((t) => JSON.parse(t).fn === 'yearly'));
    const yearly = ticks.map((t) => JSON.parse(t)).filter((t: { fn: string }) => t.fn === 'yearly');
    expect(yearly).toHaveLength(1);
    expect(yearly[0]).toMatchObject({ fn: 'yearly', isPastDue: true });
    const after = JSON.parse(fs.readFileSync(statusFile, 'utf8')) as { Next: string };
    expect(new Date(after.Next).getTime()).toBeGreaterThan(Date.now());
  });
});
