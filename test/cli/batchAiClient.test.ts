// Unit tests of the typed client against a scripted fetch: what it sends (URL, api-version, headers, body), how it
// pages, how the poller reads Retry-After and operation failures, and the errors it raises.
import { BatchAiClient } from '../../shared/client/batchAiClient';
import { BatchAiRestError } from '../../shared/client/batchAiRestError';
import { replyResponse, type ScriptedReply } from './support/scriptedIo';

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

type Reply = ScriptedReply;

/** A fetch that answers from a queue of replies and records every request. */
function scriptedFetch(replies: Reply[]) {
  const sent: Sent[] = [];
  const fetchFn = async (url: string, init?: RequestInit): Promise<Response> => {
    sent.push({
      method: init?.method ?? 'GET',
      url,
      headers: (init?.headers ?? {}) as Record<string, string>,
      body: init?.body as string | undefined,
    });
    const reply = replies.shift();
    if (!reply) throw new Error(`unexpected request ${init?.method} ${url}`);
    return replyResponse(reply);
  };
  return { sent, fetchFn };
}

const endpoint = 'http://batchai.test/api';
const sub = '11111111-1111-1111-1111-111111111111';
const P = `${endpoint}/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.BatchAI`;
const opUrl = `${endpoint}/subscriptions/${sub}/providers/Microsoft.BatchAI/locations/eastus/operationstatuses/op1?api-version=2018-05-01`;

function client(replies: Reply[], extra: Partial<ConstructorParameters<typeof BatchAiClient>[0]> = {}) {
  const script = scriptedFetch(replies);
  const sleeps: number[] = [];
  const c = new BatchAiClient({
    endpoint: `${endpoint}/`,
    subscriptionId: sub,
    fetch: script.fetchFn,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...extra,
  });
  return { c, sent: script.sent, sleeps };
}

test('requests carry api-version, encoded names, JSON bodies, custom headers and the bearer token', async () => {
  const { c, sent } = client([{ status: 200, body: { name: 'a b' } }], {
    headers: { 'x-functions-key': 'k' },
    tokenProvider: async () => 'tok',
  });
  await c.workspaces.update('rg', 'a b', { tags: { t: '1' } });
  expect(sent[0]).toMatchObject({
    method: 'PATCH',
    url: `${P}/workspaces/a%20b?api-version=2018-05-01`,
    body: '{"tags":{"t":"1"}}',
    headers: { 'x-functions-key': 'k', authorization: 'Bearer tok', 'content-type': 'application/json' },
  });
});

test('the poller waits Retry-After between polls, then GETs the created resource', async () => {
  const { c, sent, sleeps } = client([
    { status: 202, headers: { 'Azure-AsyncOperation': opUrl, Location: 'http://x/r', 'Retry-After': '2' } },
    { status: 200, body: { status: 'InProgress' }, headers: { 'Retry-After': '3' } },
    { status: 200, body: { status: 'Succeeded' } },
    { status: 200, body: { name: 'exp', properties: { provisioningState: 'succeeded' } } },
  ]);
  const poller = await c.experiments.beginCreate('rg', 'ws', 'exp');
  expect(poller.isDone()).toBe(false);
  expect(poller.operationUrl).toBe(opUrl);
  await expect(poller.pollUntilDone()).resolves.toMatchObject({ name: 'exp' });
  expect(sleeps).toEqual([2000, 3000]);
  expect(sent.map((s) => `${s.method} ${s.url}`)).toEqual([
    `PUT ${P}/workspaces/ws/experiments/exp?api-version=2018-05-01`,
    `GET ${opUrl}`,
    `GET ${opUrl}`,
    `GET ${P}/workspaces/ws/experiments/exp?api-version=2018-05-01`,
  ]);
});

test('pollIntervalMs overrides Retry-After', async () => {
  const { c, sleeps } = client(
    [
      { status: 202, headers: { 'Azure-AsyncOperation': opUrl, 'Retry-After': '10' } },
      { status: 200, body: { status: 'Succeeded' } },
    ],
    { pollIntervalMs: 5 },
  );
  await (await c.jobs.beginTerminate('rg', 'ws', 'e', 'j')).pollUntilDone();
  expect(sleeps).toEqual([5]);
});

test('a Failed operation throws its error with code, message and target', async () => {
  const { c } = client([
    { status: 202, headers: { 'Azure-AsyncOperation': opUrl } },
    {
      status: 200,
      body: { status: 'Failed', error: { code: 'NodeDied', message: 'boom', target: 'nodes[0]' } },
    },
  ]);
  const poller = await c.workspaces.beginDelete('rg', 'ws');
  const error = await poller.pollUntilDone().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(BatchAiRestError);
  expect((error as BatchAiRestError).describe()).toBe('NodeDied: boom (nodes[0])');
  expect(poller.status).toBe('Failed');
});

test('an operation known only by Location is polled until it stops answering 202', async () => {
  const { c, sent } = client([
    { status: 202, headers: { Location: 'http://batchai.test/api/result/1' } },
    { status: 202 },
    { status: 204 },
  ]);
  await expect((await c.clusters.beginDelete('rg', 'ws', 'c')).pollUntilDone()).resolves.toBeUndefined();
  expect(sent.slice(1).map((s) => s.url)).toEqual([
    'http://batchai.test/api/result/1',
    'http://batchai.test/api/result/1',
  ]);
});

test('a create answered 200 at once is done without polling', async () => {
  const { c, sent } = client([{ status: 200, body: { name: 'ws', location: 'eastus' } }]);
  const poller = await c.workspaces.beginCreate('rg', 'ws', { location: 'eastus' });
  expect(poller.isDone()).toBe(true);
  await expect(poller.pollUntilDone()).resolves.toEqual({ name: 'ws', location: 'eastus' });
  expect(sent).toHaveLength(1);
});

test('lists follow nextLink as given; the first request carries maxresults', async () => {
  const next = `${P}/workspaces/ws/clusters?api-version=2018-05-01&maxresults=1&%24skiptoken=abc`;
  const { c, sent } = client([
    { status: 200, body: { value: [{ name: 'c1' }], nextLink: next } },
    { status: 200, body: { value: [{ name: 'c2' }] } },
  ]);
  const names: string[] = [];
  for await (const cluster of c.clusters.listByWorkspace('rg', 'ws', { maxResults: 1 }))
    names.push(cluster.name as string);
  expect(names).toEqual(['c1', 'c2']);
  expect(sent.map((s) => s.url)).toEqual([
    `${P}/workspaces/ws/clusters?api-version=2018-05-01&maxresults=1`,
    next,
  ]);
});

test('listOutputFiles is a POST with the directory options in the query', async () => {
  const { c, sent } = client([{ status: 200, body: { value: [] } }]);
  await c.jobs
    .listOutputFiles('rg', 'ws', 'e', 'j', {
      outputDirectoryId: 'stdouterr',
      directory: 'logs',
      linkExpiryInMinutes: 5,
    })
    .toArray();
  expect(sent[0].method).toBe('POST');
  expect(new URL(sent[0].url).search).toBe(
    '?api-version=2018-05-01&outputdirectoryid=stdouterr&directory=logs&linkexpiryinminutes=5',
  );
});

test('a server repeating a nextLink is reported instead of looping', async () => {
  const loop = `${P}/workspaces?api-version=2018-05-01&%24skiptoken=same`;
  const { c } = client([
    { status: 200, body: { value: [], nextLink: loop } },
    { status: 200, body: { value: [], nextLink: loop } },
  ]);
  await expect(c.workspaces.listByResourceGroup('rg').toArray()).rejects.toThrow('same nextLink twice');
});

test('errors: CloudError bodies, other bodies and unreachable endpoints', async () => {
  const { c } = client([
    {
      status: 404,
      body: { error: { code: 'ResourceNotFound', message: 'no ws' } },
      headers: { 'x-ms-request-id': 'req-1' },
    },
    { status: 502, body: '<html>bad gateway</html>' },
  ]);
  await expect(c.workspaces.get('rg', 'ws')).rejects.toMatchObject({
    statusCode: 404,
    code: 'ResourceNotFound',
    message: 'no ws',
    requestId: 'req-1',
  });
  await expect(c.workspaces.get('rg', 'ws')).rejects.toMatchObject({
    statusCode: 502,
    code: 'Http502',
    message: 'The server answered 502: <html>bad gateway</html>',
  });
  const down = new BatchAiClient({
    endpoint,
    subscriptionId: sub,
    fetch: async () => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') });
    },
  });
  await expect(down.workspaces.get('rg', 'ws')).rejects.toMatchObject({
    code: 'EndpointUnreachable',
    message: 'Cannot reach http://batchai.test: connect ECONNREFUSED 127.0.0.1:9',
  });
});

test('bad options are rejected naming the option', () => {
  expect(() => new BatchAiClient({ endpoint: 'not a url', subscriptionId: sub })).toThrow(
    "'endpoint' is not a URL",
  );
  expect(() => new BatchAiClient({ endpoint, subscriptionId: '' })).toThrow("'subscriptionId' is required");
});
