import { blobServiceClient, queueServiceClient } from '../adapters/storage/storageClients';
import { ConfigurationError } from './appConfig';
import { readComputeConfig } from './computeConfig';
import { readStorageAccess } from './storageAccess';

const azurite =
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;';

test('locally the host connection is a connection string', () => {
  expect(readStorageAccess({ AzureWebJobsStorage: azurite })).toEqual({
    kind: 'connectionString',
    connectionString: azurite,
  });
  expect(queueServiceClient(readStorageAccess({ AzureWebJobsStorage: azurite })).url).toBe(
    'http://127.0.0.1:10001/devstoreaccount1',
  );
});

test("on Azure the host's identity-based connection gives the account's endpoints and the identity", () => {
  const env = {
    AzureWebJobsStorage__accountName: 'stabc123',
    AzureWebJobsStorage__credential: 'managedidentity',
    AzureWebJobsStorage__clientId: '11111111-2222-3333-4444-555555555555',
  };
  const access = readStorageAccess(env);
  expect(access).toEqual({
    kind: 'identity',
    blobEndpoint: 'https://stabc123.blob.core.windows.net',
    queueEndpoint: 'https://stabc123.queue.core.windows.net',
    clientId: '11111111-2222-3333-4444-555555555555',
  });
  expect(queueServiceClient(access).url).toBe('https://stabc123.queue.core.windows.net');
  expect(blobServiceClient(access).url).toBe('https://stabc123.blob.core.windows.net/');
  // Service URIs (other clouds, private endpoints) win over the account name.
  expect(
    readStorageAccess({
      ...env,
      AzureWebJobsStorage__blobServiceUri: 'https://b.example',
      AzureWebJobsStorage__queueServiceUri: 'https://q.example',
    }),
  ).toMatchObject({ blobEndpoint: 'https://b.example', queueEndpoint: 'https://q.example' });
  // The compute settings take it too: the scale set backend needs no connection string.
  expect(
    readComputeConfig({
      ...env,
      COMPUTE_BACKEND: 'vmss',
      COMPUTE_SUBSCRIPTION_ID: 's',
      COMPUTE_RESOURCE_GROUP: 'rg',
      COMPUTE_LOCATION: 'eastus',
      COMPUTE_IDENTITY_ID: '/subscriptions/s/id',
      COMPUTE_IDENTITY_CLIENT_ID: 'c',
      COMPUTE_STORAGE_BLOB_ENDPOINT: 'https://stabc123.blob.core.windows.net',
      COMPUTE_STORAGE_QUEUE_ENDPOINT: 'https://stabc123.queue.core.windows.net',
      COMPUTE_AGENT_PACKAGE_URL: 'https://stabc123.blob.core.windows.net/node-agent/batchai-agent.tgz',
    }).storage,
  ).toEqual(access);
});

test('no connection at all, or an identity with local nodes, is an error naming the setting', () => {
  expect(() => readStorageAccess({})).toThrow(ConfigurationError);
  expect(() => readStorageAccess({})).toThrow(/AzureWebJobsStorage.*__accountName/);
  expect(() =>
    readComputeConfig({
      AzureWebJobsStorage__accountName: 'stabc123',
      COMPUTE_BACKEND: 'local',
      DATA_DIR: '/tmp/x',
    }),
  ).toThrow('must be a connection string for local compute');
});
