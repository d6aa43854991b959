// AUTH_MODE=none (the one-machine default) through the real local host: no token needed, the single local user
// may do everything, a token that is sent is ignored, and the role assignment endpoints still validate and store.
// Needs `npx tsc -p tsconfig.json` first (the host runs dist/).
import { randomBytes, randomUUID } from 'crypto';
import { startTestEnvironment, type TestEnvironment } from '../support/testEnvironment';
import { ApiClient, SUB, workspacePath } from '../api/apiClient';

let env: TestEnvironment;
let api: ApiClient;

beforeAll(async () => {
  env = await startTestEnvironment({
    settings: { SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64') },
  });
  api = new ApiClient(env.baseUrl);
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

test('without any token, workspaces are created, listed, read and deleted', async () => {
  const ws = workspacePath('rg_none', 'open_ws');
  await api.put(ws, { location: 'eastus' });
  expect((await api.send('GET', ws)).status).toBe(200);
  const list = await api.send(
    'GET',
    `/subscriptions/${SUB}/resourceGroups/rg_none/providers/Microsoft.BatchAI/workspaces`,
  );
  expect((list.body.value as { name: string }[]).map((w) => w.name)).toEqual(['open_ws']);
  // Nothing is recorded for the local user: it owns every workspace anyway.
  expect((await api.send('GET', `${ws}/roleAssignments`)).body.value).toEqual([]);
  const deleted = await api.send('DELETE', ws);
  expect(deleted.status).toBe(202);
  expect((await api.waitForOperation(deleted)).status).toBe('Succeeded');
});

test('a bearer token, even a malformed one, is ignored', async () => {
  const ws = workspacePath('rg_none', 'token_ws');
  const reply = await api.send('PUT', ws, { location: 'eastus' }, { authorization: 'Bearer not-a-jwt' });
  expect(reply.status).toBe(202);
});

test('role assignments are validated and stored (they take effect once AUTH_MODE=entra)', async () => {
  const ws = workspacePath('rg_none', 'roles_ws');
  await api.put(ws, { location: 'eastus' });
  const principal = randomUUID();
  const put = await api.send('PUT', `${ws}/roleAssignments/${principal}`, { properties: { role: 'owner' } });
  expect(put.status).toBe(201);
  expect((await api.send('GET', `${ws}/roleAssignments/${principal}`)).body).toMatchObject({
    name: principal,
    properties: { role: 'owner', principalType: 'User' },
  });
  const bad = await api.send('PUT', `${ws}/roleAssignments/${principal}`, { properties: {} });
  expect([bad.status, (bad.body.error as { target: string }).target]).toEqual([400, 'properties.role']);
  expect((await api.send('GET', `${workspacePath('rg_none', 'missing')}/roleAssignments`)).status).toBe(404);
});
