// Operations are answered OPERATION_RETENTION_DAYS (default 7) after they ended. A stored one (it waited for
// something) is then deleted by the hourly operationsPurge timer; one that completed within its request is not
// stored, and its sealed id answers until the retention and the hour to the next purge have passed. Either way its
// status URL then answers 404, as Resource Manager's do once expired; one still in progress is never deleted.
// Through the real host, Cosmos emulator and API. Needs `npx tsc -p tsconfig.json` first.
import { randomBytes, randomUUID } from 'crypto';
import { ApiClient, SUB, workspacePath } from './apiClient';
import { startTestEnvironment, type TestEnvironment } from '../support/testEnvironment';
import { CosmosResourceStore } from '../../shared/adapters/cosmos/cosmosResourceStore';
import { AesGcmSecretProtector } from '../../shared/crypto/aesGcmSecretProtector';
import { completedOperationId } from '../../shared/domain/services/completedOperationId';
import { createCosmosClient } from '../../runtime/stack/cosmosClient';
import { armIdOf, type ResourceRef } from '../../shared/domain/resourceId';

const key = randomBytes(32);
let env: TestEnvironment;

beforeAll(async () => {
  env = await startTestEnvironment({ settings: { SECRETS_ENCRYPTION_KEY: key.toString('base64') } });
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

test('an ended operation is answered for the retention, then its status URL answers 404', async () => {
  const api = new ApiClient(() => env.baseUrl);
  const created = await api.send('PUT', workspacePath('rg_ops', 'ws'), { location: 'eastus' });
  expect(created.status).toBe(202);
  expect((await api.waitForOperation(created)).status).toBe('Succeeded');
  const statusOf = (id: string): Promise<number> =>
    api
      .send(
        'GET',
        `/subscriptions/${SUB}/providers/Microsoft.BatchAI/locations/eastus/operationstatuses/${id}`,
      )
      .then((r) => r.status);
  const createdId = new URL(created.headers.get('azure-asyncoperation')!).pathname.split('/').at(-1)!;
  // A stored operation that ended (one that waited: written here as the service writes it).
  const store = new CosmosResourceStore(
    createCosmosClient(env.settings.COSMOS_ENDPOINT, env.settings.COSMOS_KEY),
    env.settings.COSMOS_DATABASE,
  );
  const resource: ResourceRef = {
    kind: 'workspace',
    subscriptionId: SUB,
    resourceGroup: 'rg_ops',
    workspace: 'ws',
    name: 'ws',
  };
  const storedId = randomUUID();
  const ended = new Date(Date.now() - 60_000).toISOString();
  await store.createOperation({
    id: storedId,
    subscriptionId: resource.subscriptionId,
    location: 'eastus',
    action: 'delete',
    resource,
    resourceId: armIdOf(resource),
    status: 'Succeeded',
    startTime: ended,
    endTime: ended,
  });
  // A completed one of 8 days ago, sealed with the service's key.
  const oldId = completedOperationId(new AesGcmSecretProtector(key), {
    action: 'create',
    startTime: new Date(Date.now() - 8 * 86_400_000).toISOString(),
    location: 'eastus',
    resource,
  });
  // The default retention keeps both recent ones; the one of 8 days ago is past it.
  expect((await env.invokeFunction('operationsPurge')).status).toBe(202);
  expect(await statusOf(storedId)).toBe(200);
  expect(await statusOf(createdId)).toBe(200);
  expect(await statusOf(oldId)).toBe(404);
  // With none, the next purge deletes the stored one; the sealed one is answered until the hour of that purge.
  await env.restartHost({ OPERATION_RETENTION_DAYS: '0' });
  expect((await env.invokeFunction('operationsPurge')).status).toBe(202);
  const deadline = Date.now() + 30_000;
  while ((await statusOf(storedId)) !== 404 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 200));
  expect(await statusOf(storedId)).toBe(404);
  expect(await statusOf(createdId)).toBe(200);
  // The workspace itself stays.
  expect((await api.send('GET', workspacePath('rg_ops', 'ws'))).status).toBe(200);
}, 120_000);
