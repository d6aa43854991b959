// AUTH_MODE=none (the one-machine default) through the real local host: no token needed, the single local user
// may do everything, a token that is sent is ignored, and the role assignment endpoints still validate and store;
// but a page of another site in the user's browser is not that user (DNS rebinding, cross-site POSTs).
// Needs `npx tsc -p tsconfig.json` first (the host runs dist/).
import { randomBytes, randomUUID } from 'crypto';
import * as http from 'http';
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

/** A request with exactly these headers (fetch would set Host itself). */
function raw(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = new URL(`${env.baseUrl}/api${path}?api-version=2018-05-01`);
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method, headers: { 'content-type': 'application/json', ...headers } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: response.statusCode ?? 0,
            body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
          });
        });
      },
    );
    request.on('error', reject);
    request.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

test("another site's page is not the local user: a rebound host name or a cross-site write is refused", async () => {
  const ws = workspacePath('rg_none', 'rebound_ws');
  const port = new URL(env.baseUrl).port;
  // DNS rebinding: attacker.example resolves to 127.0.0.1, so the browser sends the page's host name.
  const rebound = await raw('PUT', ws, { host: `attacker.example:${port}` }, { location: 'eastus' });
  expect([rebound.status, (rebound.body.error as { code: string }).code]).toEqual([
    403,
    'LocalRequestRefused',
  ]);
  expect((await raw('GET', ws, { host: `attacker.example:${port}` })).status).toBe(403);
  // A cross-site form POST or fetch (no preflight for a simple request) to the API's own address.
  const own = `127.0.0.1:${port}`;
  for (const headers of <Record<string, string>[]>[
    { host: own, origin: 'https://evil.example' },
    { host: own, origin: 'null' },
    { host: own, 'sec-fetch-site': 'cross-site' },
  ]) {
    const write = await raw('PUT', ws, headers, { location: 'eastus' });
    expect([write.status, (write.body.error as { code: string }).code]).toEqual([403, 'LocalRequestRefused']);
  }
  expect((await api.send('GET', ws)).status).toBe(404); // nothing was created
  // The dashboard (the API's own origin), the CLI and SDKs (no Origin) are the local user.
  const dashboard = await raw(
    'PUT',
    ws,
    { host: own, origin: `http://${own}`, 'sec-fetch-site': 'same-origin' },
    {
      location: 'eastus',
    },
  );
  expect(dashboard.status).toBe(202);
  expect((await raw('GET', ws, { host: `localhost:${port}` })).status).toBe(200);
});
