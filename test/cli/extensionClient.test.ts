// Unit tests of the typed client's extension operation groups against a scripted fetch: sweeps (create, get,
// paged list, cancel, delete outcomes), scoring rules, job schedules and role assignments (paths, verbs, bodies).
import { BatchAiClient } from '../../shared/client/batchAiClient';
import { BatchAiRestError } from '../../shared/client/batchAiRestError';

type Reply = { status: number; body?: unknown };

function client(replies: Reply[]) {
  const sent: { method: string; url: string; body?: string }[] = [];
  const c = new BatchAiClient({
    endpoint: 'http://batchai.test/api',
    subscriptionId: 'sub',
    fetch: async (url: string, init?: RequestInit) => {
      sent.push({ method: init?.method ?? 'GET', url, body: init?.body as string | undefined });
      const reply = replies.shift();
      if (!reply) throw new Error(`unexpected request ${init?.method} ${url}`);
      const text = reply.body === undefined ? null : JSON.stringify(reply.body);
      return new Response(text, { status: reply.status });
    },
    sleep: async () => undefined,
  });
  return { c, sent };
}

const P =
  'http://batchai.test/api/subscriptions/sub/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/ws';
const V = 'api-version=2018-05-01';

test('sweeps: createOrUpdate PUTs the body, get and cancel address the sweep, list walks every page', async () => {
  const sweep = { name: 's 1', properties: { executionState: 'running' } };
  const { c, sent } = client([
    { status: 201, body: sweep },
    { status: 200, body: sweep },
    { status: 200, body: { value: [sweep], nextLink: `${P}/experiments/exp/sweeps?${V}&$skiptoken=2` } },
    { status: 200, body: { value: [{ name: 'other' }] } },
    { status: 200, body: { ...sweep, properties: { executionState: 'running', cancelRequested: true } } },
  ]);
  const body = {
    properties: {
      jobTemplate: { nodeCount: 1, cluster: { id: 'c' }, stdOutErrPathPrefix: '/x' },
      parameters: { lr: { type: 'choice' as const, values: [0.1] } },
    },
  };
  expect(await c.sweeps.createOrUpdate('rg', 'ws', 'exp', 's 1', body)).toEqual(sweep);
  expect(sent[0]).toMatchObject({ method: 'PUT', url: `${P}/experiments/exp/sweeps/s%201?${V}` });
  expect(JSON.parse(sent[0].body ?? '')).toEqual(body);
  await c.sweeps.get('rg', 'ws', 'exp', 's 1');
  expect(sent[1]).toMatchObject({ method: 'GET', url: `${P}/experiments/exp/sweeps/s%201?${V}` });
  const names = [];
  for await (const s of c.sweeps.list('rg', 'ws', 'exp')) names.push(s.name);
  expect(names).toEqual(['s 1', 'other']);
  const cancelled = await c.sweeps.cancel('rg', 'ws', 'exp', 's 1');
  expect(sent[4]).toMatchObject({ method: 'POST', url: `${P}/experiments/exp/sweeps/s%201/cancel?${V}` });
  expect(cancelled.properties?.cancelRequested).toBe(true);
});

test('sweeps.delete tells deleted, deleting (202, running) and notFound (204) apart', async () => {
  const { c, sent } = client([{ status: 200 }, { status: 202 }, { status: 204 }]);
  expect(await c.sweeps.delete('rg', 'ws', 'exp', 'a')).toBe('deleted');
  expect(await c.sweeps.delete('rg', 'ws', 'exp', 'a')).toBe('deleting');
  expect(await c.sweeps.delete('rg', 'ws', 'exp', 'a')).toBe('notFound');
  expect(sent.map((s) => s.method)).toEqual(['DELETE', 'DELETE', 'DELETE']);
});

test('scoring rules, job schedules and role assignments live under the workspace', async () => {
  const { c, sent } = client([
    { status: 201, body: { name: 'r' } },
    { status: 200, body: { value: [{ name: 'nightly' }] } },
    { status: 200, body: { name: 'p', properties: { role: 'owner' } } },
    { status: 204 },
    { status: 200 },
  ]);
  await c.scoringRules.createOrUpdate('rg', 'ws', 'r', {
    properties: {
      source: { container: 'in' },
      experimentName: 'exp',
      jobTemplate: { properties: { nodeCount: 1, cluster: { id: 'c' }, stdOutErrPathPrefix: '/x' } },
    },
  });
  expect(sent[0]).toMatchObject({ method: 'PUT', url: `${P}/scoringRules/r?${V}` });
  expect((await c.jobSchedules.list('rg', 'ws').toArray()).map((s) => s.name)).toEqual(['nightly']);
  expect(sent[1]).toMatchObject({ method: 'GET', url: `${P}/jobSchedules?${V}` });
  expect((await c.roleAssignments.get('rg', 'ws', 'p')).properties?.role).toBe('owner');
  expect(sent[2].url).toBe(`${P}/roleAssignments/p?${V}`);
  expect(await c.roleAssignments.delete('rg', 'ws', 'p')).toBe(false);
  expect(await c.jobSchedules.delete('rg', 'ws', 'nightly')).toBe(true);
  expect(sent[4]).toMatchObject({ method: 'DELETE', url: `${P}/jobSchedules/nightly?${V}` });
});

test('a CloudError from an extension endpoint becomes a BatchAiRestError naming the field', async () => {
  const { c } = client([
    {
      status: 400,
      body: { error: { code: 'InvalidRequestContent', message: 'bad', target: 'properties.maxTrials' } },
    },
  ]);
  const error = await c.sweeps
    .createOrUpdate('rg', 'ws', 'exp', 's', { properties: { jobTemplate: {} as never, parameters: {} } })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(BatchAiRestError);
  expect(error).toMatchObject({
    statusCode: 400,
    code: 'InvalidRequestContent',
    target: 'properties.maxTrials',
  });
});
