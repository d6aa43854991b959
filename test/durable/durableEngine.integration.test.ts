// Durable engine through the real local host (child process, real HTTP): the fixture app's HTTP starter uses the
// real durable-functions client; status is read through the management URLs createCheckStatusResponse returns.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { repoRoot, startTestEnvironment, waitFor, type TestEnvironment } from '../support/testEnvironment';

const appRoot = path.join(repoRoot, 'test', 'fixtures', 'apps', 'durableApp');
let env: TestEnvironment;
let executionLog: string;

beforeAll(async () => {
  executionLog = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'durable-it-')), 'executions.log');
  env = await startTestEnvironment({ appRoot, settings: { DURABLE_FIXTURE_LOG: executionLog } });
}, 120_000);

afterAll(async () => {
  await env?.stop();
  fs.rmSync(path.dirname(executionLog), { recursive: true, force: true });
});

interface CheckStatus {
  id: string;
  statusQueryGetUri: string;
  sendEventPostUri: string;
  terminatePostUri: string;
  purgeHistoryDeleteUri: string;
  suspendPostUri: string;
  resumePostUri: string;
}

interface Status {
  runtimeStatus: string;
  output: unknown;
  customStatus: unknown;
  input: unknown;
  historyEvents?: { EventType: string }[];
}

async function start(name: string, input?: unknown, instanceId?: string): Promise<CheckStatus> {
  const query = instanceId ? `?instanceId=${encodeURIComponent(instanceId)}` : '';
  const res = await fetch(`${env.baseUrl}/api/start/${name}${query}`, {
    method: 'POST',
    body: input === undefined ? '' : JSON.stringify(input),
  });
  if (res.status !== 202) throw new Error(`start ${name}: ${res.status} ${await res.text()}`);
  return (await res.json()) as CheckStatus;
}

async function status(links: CheckStatus, extra = ''): Promise<Status> {
  const res = await fetch(links.statusQueryGetUri + extra);
  return (await res.json()) as Status;
}

function completion(links: CheckStatus, timeoutMs = 30_000): Promise<Status> {
  return waitFor(
    `${links.id} to finish`,
    async () => {
      const s = await status(links);
      return ['Completed', 'Failed', 'Terminated'].includes(s.runtimeStatus) ? s : undefined;
    },
    timeoutMs,
  );
}

async function client(op: string, args: Record<string, unknown>): Promise<Response> {
  return fetch(`${env.baseUrl}/api/client/${op}`, { method: 'POST', body: JSON.stringify(args) });
}

test('an activity sequence completes with the activities outputs chained', async () => {
  const links = await start('Sequence', 'Ada');
  expect((await completion(links)).output).toBe('Hello Hello Ada!');
});

test('startNew with an explicit instance id uses it and a duplicate running id is refused', async () => {
  const links = await start('WaitForever', undefined, 'explicit-id-1');
  expect(links.id).toBe('explicit-id-1');
  const duplicate = await env.durableApi('orchestrators/WaitForever/explicit-id-1', { method: 'POST' });
  expect(duplicate.status).toBe(409);
  expect(await duplicate.text()).toContain('explicit-id-1');
  await fetch(links.terminatePostUri.replace('{text}', 'cleanup'), { method: 'POST' });
  expect((await completion(links)).runtimeStatus).toBe('Terminated');
});

test('fan-out/fan-in of 50 activities returns the sum of squares', async () => {
  const links = await start('FanOut', 50);
  expect((await completion(links)).output).toBe(
    Array.from({ length: 50 }, (_, i) => i * i).reduce((a, b) => a + b),
  );
});

test('an activity with retry succeeds on its third attempt', async () => {
  const links = await start('Retry', 'retry-key-1');
  expect((await completion(links)).output).toBe('succeeded on attempt 3');
});

test('an activity whose retries are exhausted throws into the orchestrator', async () => {
  const links = await start('RetryExhausted');
  expect((await completion(links)).output).toMatch(/^caught: .*always fails/);
});

test('sub-orchestrations (explicit id, and with retry) return their outputs', async () => {
  const links = await start('Parent', undefined, 'parent-1');
  expect((await completion(links)).output).toEqual(['Hello Hello child!', 'Hello Hello retried!']);
  const child = await status({
    ...links,
    statusQueryGetUri: links.statusQueryGetUri.replace('parent-1', 'parent-1-child'),
  });
  expect(child.runtimeStatus).toBe('Completed');
});

test('timers, including one longer than maximumShortTimerDuration, fire in order', async () => {
  const links = await start('Timers');
  const done = await completion(links);
  expect(done.output).toBe('timers done');
  const history = (await status(links, '&showHistory=true')).historyEvents ?? [];
  expect(history.filter((e) => e.EventType === 'TimerFired').length).toBeGreaterThanOrEqual(3);
});

test('an external event sent through sendEventPostUri completes Task.any and sets custom status', async () => {
  const links = await start('Approval');
  await waitFor('custom status', async () =>
    (await status(links)).customStatus === 'waiting' ? true : undefined,
  );
  const res = await fetch(links.sendEventPostUri.replace('{eventName}', 'Approve'), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ by: 'lead' }),
  });
  expect(res.status).toBe(202);
  const done = await completion(links);
  expect(done.output).toEqual({ by: 'lead' });
  expect(done.customStatus).toBe('approved');
});

test('events raised before the orchestrator waits for them are delivered', async () => {
  const links = await start('EventsFirst');
  expect((await client('raise', { instanceId: links.id, name: 'B', data: 2 })).status).toBe(202);
  expect((await client('raise', { instanceId: links.id, name: 'A', data: 1 })).status).toBe(202);
  expect((await completion(links)).output).toEqual([1, 2]);
});

test('continueAsNew restarts with the new input; an event raised to the next execution reaches it', async () => {
  const links = await start('CounterLoop', { count: 0, seen: [] });
  for (const [count, v] of ['a', 'b', 'c'].entries()) {
    // Each tick once the execution that waits for it runs (one raised into a finishing execution is dropped).
    await waitFor(`execution ${count}`, async () => {
      const s = await status(links);
      return (s.input as { count?: number } | undefined)?.count === count ? true : undefined;
    });
    await client('raise', { instanceId: links.id, name: 'Tick', data: v });
  }
  expect((await completion(links)).output).toEqual({ count: 3, seen: ['a', 'b', 'c'] });
});

test('terminate, then purge through the management URLs', async () => {
  const links = await start('WaitForever');
  await waitFor('running', async () =>
    (await status(links)).runtimeStatus === 'Running' ? true : undefined,
  );
  expect((await fetch(links.terminatePostUri.replace('{text}', 'enough'), { method: 'POST' })).status).toBe(
    202,
  );
  const done = await completion(links);
  expect(done.runtimeStatus).toBe('Terminated');
  expect(done.output).toBe('enough');
  expect((await fetch(links.terminatePostUri.replace('{text}', 'again'), { method: 'POST' })).status).toBe(
    410,
  );
  expect((await fetch(links.purgeHistoryDeleteUri, { method: 'DELETE' })).status).toBe(200);
  expect((await fetch(links.statusQueryGetUri)).status).toBe(404);
});

test('a suspended instance holds its events until resumed', async () => {
  const links = await start('Suspendable');
  await waitFor('running', async () =>
    (await status(links)).runtimeStatus === 'Running' ? true : undefined,
  );
  expect((await fetch(links.suspendPostUri.replace('{text}', 'pause'), { method: 'POST' })).status).toBe(202);
  await waitFor('suspended', async () =>
    (await status(links)).runtimeStatus === 'Suspended' ? true : undefined,
  );
  await client('raise', { instanceId: links.id, name: 'Go', data: 'later' });
  await new Promise((r) => setTimeout(r, 300));
  expect((await status(links)).runtimeStatus).toBe('Suspended');
  expect((await fetch(links.resumePostUri.replace('{text}', 'go'), { method: 'POST' })).status).toBe(202);
  expect((await completion(links)).output).toBe('Hello later');
});

test('entities: signal, call and lock from an orchestration, state read by the client', async () => {
  const key = 'counter-1';
  expect((await client('signal', { instanceId: key, op: 'add', input: 10 })).status).toBe(202);
  const links = await start('Entities', key);
  const done = await completion(links);
  expect(done.output).toEqual([16, 16]);
  const read = (await (await client('readEntity', { instanceId: key })).json()) as {
    entityExists: boolean;
    entityState: unknown;
  };
  expect(read).toEqual({ entityExists: true, entityState: 16 });
});

test('a failing orchestrator is Failed with its error as output', async () => {
  const links = await start('Failing');
  const done = await completion(links);
  expect(done.runtimeStatus).toBe('Failed');
  expect(String(done.output)).toContain('orchestrator gave up');
});

test('list with status filter, prefix, time range and continuation; purge by filter', async () => {
  const from = new Date(Date.now() - 1000).toISOString();
  for (const i of [1, 2, 3]) await completion(await start('Sequence', `p${i}`, `listing-${i}`));
  const base = 'instances/';
  const page1 = await env.durableApi(
    `${base}?instanceIdPrefix=listing-&top=2&runtimeStatus=Completed&createdTimeFrom=${from}`,
  );
  const token = page1.headers.get('x-ms-continuation-token');
  expect(((await page1.json()) as unknown[]).length).toBe(2);
  expect(token).toBeTruthy();
  const page2 = await env.durableApi(
    `${base}?instanceIdPrefix=listing-&top=2&runtimeStatus=Completed&createdTimeFrom=${from}`,
    {
      headers: { 'x-ms-continuation-token': token ?? '' },
    },
  );
  expect(((await page2.json()) as { instanceId: string }[]).map((s) => s.instanceId)).toEqual(['listing-3']);
  const viaClient = (await (await client('list', { runtimeStatus: ['Completed'], from })).json()) as {
    instanceId: string;
  }[];
  expect(viaClient.map((s) => s.instanceId)).toEqual(
    expect.arrayContaining(['listing-1', 'listing-2', 'listing-3']),
  );
  const future = new Date(Date.now() + 3_600_000).toISOString();
  const none = await env.durableApi(`${base}?createdTimeFrom=${future}`);
  expect(await none.json()).toEqual([]);
  const purged = await env.durableApi(`${base}?createdTimeFrom=${from}&runtimeStatus=Completed`, {
    method: 'DELETE',
  });
  expect(((await purged.json()) as { instancesDeleted: number }).instancesDeleted).toBeGreaterThanOrEqual(3);
});

test('getStatus through the client shows input and history with outputs', async () => {
  const links = await start('Sequence', 'hist');
  await completion(links);
  const s = (await (await client('status', { instanceId: links.id })).json()) as Status & {
    history?: { EventType: string; Result?: unknown }[];
  };
  expect(s.input).toBe('hist');
  const completed = (s.history ?? []).filter((e) => e.EventType === 'TaskCompleted').map((e) => e.Result);
  expect(completed).toEqual(['Hello hist', 'Hello Hello hist!']);
});

test('the management API asks for the durabletask_extension system key or the master key (else 401)', async () => {
  const links = await start('WaitForever', undefined, 'keyed-1');
  const api = `${env.baseUrl}/runtime/webhooks/durabletask`;
  const refused: [string, RequestInit][] = [
    [`${api}/instances/`, {}],
    [`${api}/instances/keyed-1?showInput=true`, {}],
    [`${api}/instances/keyed-1/terminate?reason=x`, { method: 'POST' }],
    [`${api}/instances/keyed-1`, { method: 'DELETE' }],
    [`${api}/instances/keyed-1/raiseEvent/Go`, { method: 'POST', body: '1' }],
    [`${api}/orchestrators/Sequence/unkeyed-1`, { method: 'POST', body: '"x"' }],
    [`${api}/entities/Counter/k?op=add`, { method: 'POST', body: '1' }],
    [`${api}/instances/?code=wrong`, {}],
    [`${api}/instances/keyed-1/terminate?reason=x&code=wrong`, { method: 'POST' }],
    [
      `${api}/instances/keyed-1/terminate?reason=x`,
      { method: 'POST', headers: { 'x-functions-key': 'wrong' } },
    ],
    // A function key is not a system key.
    [`${api}/instances/?code=${env.functionKey}`, {}],
  ];
  for (const [url, init] of refused) {
    const res = await fetch(url, init);
    expect([url, res.status]).toEqual([url, 401]);
    expect(await res.text()).toBe('');
  }
  expect((await status(links)).runtimeStatus).toBe('Running');
  expect((await env.durableApi('instances/unkeyed-1')).status).toBe(404);

  const systemKey = (
    JSON.parse(fs.readFileSync(path.join(env.hostDataDir, 'host-keys.json'), 'utf8')) as {
      systemKeys: Record<string, string>;
    }
  ).systemKeys.durabletask_extension;
  expect(systemKey).toBeTruthy();
  expect(systemKey).not.toBe(env.masterKey);
  // The client's links carry the system key, as the extension's do.
  expect(new URL(links.statusQueryGetUri).searchParams.get('code')).toBe(systemKey);

  const list = await fetch(`${api}/instances/?code=${encodeURIComponent(systemKey)}`);
  expect(list.status).toBe(200);
  expect((await list.json()) as { instanceId: string }[]).toEqual(
    expect.arrayContaining([expect.objectContaining({ instanceId: 'keyed-1' })]),
  );
  const bySystemHeader = await fetch(`${api}/instances/keyed-1`, {
    headers: { 'x-functions-key': systemKey },
  });
  expect(bySystemHeader.status).toBe(202);
  expect((await fetch(`${api}/instances/keyed-1?code=${encodeURIComponent(env.masterKey)}`)).status).toBe(
    202,
  );
  expect((await env.durableApi('instances/keyed-1/terminate?reason=done', { method: 'POST' })).status).toBe(
    202,
  );
  expect((await completion(links)).runtimeStatus).toBe('Terminated');
});

test('a bad request names the problem', async () => {
  const res = await env.durableApi('orchestrators/NoSuchOrchestrator', { method: 'POST' });
  expect(res.status).toBe(400);
  expect(await res.text()).toContain('NoSuchOrchestrator');
});

test('an activity the app does not have fails its call once, and a restart does not run it again', async () => {
  const links = await start('MissingActivity');
  expect((await completion(links)).output).toMatch(/^caught: .*NoSuchActivity/);
  await env.restartHost();
  const after = await waitFor('the instance after the restart', async () => {
    const res = await env.durableApi(`instances/${links.id}?showHistory=true`);
    return res.status === 200 ? ((await res.json()) as Status) : undefined;
  });
  expect(after.runtimeStatus).toBe('Completed');
  expect((after.historyEvents ?? []).filter((e) => e.EventType === 'TaskFailed')).toHaveLength(1);
});
