// Operations are kept OPERATION_RETENTION_DAYS (default 7) after they ended, then the hourly operationsPurge timer
// deletes them (their status URL answers 404, as Resource Manager's do once expired); one still in progress is
// never deleted. Through the real host, Cosmos emulator and API. Needs `npx tsc -p tsconfig.json` first.
import { randomBytes } from 'crypto';
import { ApiClient, workspacePath } from './apiClient';
import { startTestEnvironment, type TestEnvironment } from '../support/testEnvironment';

let env: TestEnvironment;

beforeAll(async () => {
  env = await startTestEnvironment({
    settings: { SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64') },
  });
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

test('an ended operation is kept for the retention, then deleted; its status URL then answers 404', async () => {
  const api = new ApiClient(() => env.baseUrl);
  const created = await api.send('PUT', workspacePath('rg_ops', 'ws'), { location: 'eastus' });
  expect(created.status).toBe(202);
  expect((await api.waitForOperation(created)).status).toBe('Succeeded');
  const statusPath = new URL(created.headers.get('azure-asyncoperation')!).pathname.replace(/^\/api/, '');
  const status = (): Promise<number> => api.send('GET', statusPath).then((r) => r.status);
  // The default retention keeps it.
  expect((await env.invokeFunction('operationsPurge')).status).toBe(202);
  expect(await status()).toBe(200);
  // With none, the next purge deletes it.
  await env.restartHost({ OPERATION_RETENTION_DAYS: '0' });
  expect((await env.invokeFunction('operationsPurge')).status).toBe(202);
  const deadline = Date.now() + 30_000;
  while ((await status()) !== 404 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  expect(await status()).toBe(404);
  // The workspace itself stays.
  expect((await api.send('GET', workspacePath('rg_ops', 'ws'))).status).toBe(200);
}, 120_000);
