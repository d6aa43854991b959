// The node data key on Azure: the control plane publishes it as a Key Vault secret with its identity (Secrets
// Officer), a VM agent reads it with the node identity (Secrets User) through IMDS tokens, against the local HTTPS
// fake of the Key Vault secrets REST API; the scale set's custom data names the secret but never holds the key.
import { gunzipSync } from 'zlib';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { agentConfigSchema, parseAgentConfig, type AgentConfig } from '../../shared/contracts/agentConfig';
import {
  createSecretClient,
  KeyVaultNodeKeys,
  nodeKeySecretName,
} from '../../shared/adapters/compute/keyVaultNodeKeys';
import { createComputeClient } from '../../shared/adapters/compute/computeClientFactory';
import { VmssComputePool } from '../../shared/adapters/compute/vmssComputePool';
import { generateNodeDataKey } from '../../shared/crypto/nodeSecretSealing';
import { MetadataServiceClient } from '../../shared/adapters/identity/metadataServiceClient';
import { loadNodeDataKey } from '../../agent/nodeDataKeyLoader';
import { startImdsFake, type ImdsFake } from '../../runtime/fakes/imdsFake';
import { startKeyVaultFake, type KeyVaultFake } from '../../runtime/fakes/keyVaultFake';

const clusterKey = '/subscriptions/s/resourcegroups/rg/providers/microsoft.batchai/workspaces/w/clusters/gpu';
const nodeClientId = '11111111-2222-3333-4444-555555555555';

function staticCredential(token: string): TokenCredential {
  return {
    getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
}

let vault: KeyVaultFake;
let imds: ImdsFake;

beforeEach(async () => {
  vault = await startKeyVaultFake({
    tokens: { 'control-plane': 'secretsOfficer', 'node-identity': 'secretsUser' },
  });
  imds = await startImdsFake({
    computeName: 'batchai-gpu_0',
    identityTokens: { [nodeClientId]: 'node-identity' },
  });
});

afterEach(async () => {
  await vault?.stop();
  await imds?.stop();
});

function controlPlaneKeys(token = 'control-plane'): KeyVaultNodeKeys {
  const client = createSecretClient({
    vaultUrl: vault.vaultUrl,
    credential: staticCredential(token),
    trustedCertificate: vault.certificate,
  });
  return new KeyVaultNodeKeys(client, vault.vaultUrl);
}

function vmConfig(): AgentConfig {
  return parseAgentConfig({
    schema: agentConfigSchema,
    version: 2,
    mode: 'vm',
    clusterKey,
    vmSize: 'STANDARD_NC6',
    cpuCount: 6,
    gpuCount: 1,
    workRoot: '/mnt/batch/tasks',
    storage: { blobEndpoint: 'https://b', queueEndpoint: 'https://q', managedIdentityClientId: nodeClientId },
    nodeEventsQueue: 'node-events',
    setupOutputContainer: 'node-setup-output',
    heartbeatIntervalMs: 1000,
    taskPollIntervalMs: 1000,
    scheduledEventsPollIntervalMs: 1000,
    metadataServiceUrl: imds.baseUrl,
    nodeDataKeySource: { keyVaultUrl: vault.vaultUrl, secretName: nodeKeySecretName(clusterKey) },
  });
}

test('the control plane publishes the node data key and a VM agent reads it with its own identity', async () => {
  const key = generateNodeDataKey();
  await controlPlaneKeys().publish(clusterKey, key);
  expect(vault.secretValue(nodeKeySecretName(clusterKey))).toBe(key.toString('base64'));
  // Publishing again with the same key writes no new version.
  await controlPlaneKeys().publish(clusterKey, key);
  expect(vault.requests.filter((r) => r.method === 'PUT' && r.status === 200)).toHaveLength(1);
  // The first request of each client carried no token (and no body): the vault's challenge named the resource.
  expect(vault.requests[0]).toMatchObject({ status: 401, body: '' });

  const loaded = await loadNodeDataKey(vmConfig(), {
    imds: new MetadataServiceClient(imds.baseUrl),
    trustedCertificate: vault.certificate,
  });
  expect(loaded?.equals(key)).toBe(true);
});

test('the node identity may read the key but not write it; a missing key fails the node with a clear error', async () => {
  await expect(
    controlPlaneKeys('node-identity').publish(clusterKey, generateNodeDataKey()),
  ).rejects.toMatchObject({
    statusCode: 403,
  });
  await expect(
    loadNodeDataKey(vmConfig(), {
      imds: new MetadataServiceClient(imds.baseUrl),
      trustedCertificate: vault.certificate,
      attempts: 2,
      retryDelayMs: 10,
    }),
  ).rejects.toThrow(`The node data key could not be read from ${vault.vaultUrl}`);
});

test('releasing the pool deletes the key; the scale set custom data names the secret, never the key', async () => {
  const key = generateNodeDataKey();
  const keys = controlPlaneKeys();
  const pool = new VmssComputePool({
    client: createComputeClient({
      subscriptionId: 's',
      credential: staticCredential('arm'),
      endpoint: 'https://127.0.0.1:1',
    }),
    resourceGroup: 'rg',
    location: 'eastus',
    managedIdentityId:
      '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-nodes',
    managedIdentityClientId: nodeClientId,
    storage: { blobEndpoint: 'https://b', queueEndpoint: 'https://q' },
    agentInstallation: { packageUrl: 'https://b/agent/agent.tgz' },
    nodeKeys: keys,
  });
  const model = pool.scaleSetModel(
    {
      clusterKey,
      vmSize: 'STANDARD_NC6',
      vmPriority: 'dedicated',
      image: {
        kind: 'marketplace',
        publisher: 'Canonical',
        offer: 'UbuntuServer',
        sku: '16.04-LTS',
        version: 'latest',
      },
      agent: {
        clusterKey,
        vmSize: 'STANDARD_NC6',
        cpuCount: 6,
        gpuCount: 1,
        nodeEventsQueue: 'node-events',
        setupOutputContainer: 'node-setup-output',
        heartbeatIntervalMs: 1000,
        taskPollIntervalMs: 500,
        scheduledEventsPollIntervalMs: 1000,
        mountVolumes: [],
      },
    },
    1,
  );
  const customData = gunzipSync(
    Buffer.from(model.virtualMachineProfile?.osProfile?.customData ?? '', 'base64'),
  ).toString('utf8');
  const configB64 = /content: (\S+)/.exec(customData)?.[1] ?? '';
  const config = parseAgentConfig(JSON.parse(Buffer.from(configB64, 'base64').toString('utf8')) as unknown);
  expect(config.nodeDataKeySource).toEqual({
    keyVaultUrl: vault.vaultUrl,
    secretName: nodeKeySecretName(clusterKey),
  });
  expect(customData).not.toContain(key.toString('base64'));

  await keys.publish(clusterKey, key);
  await keys.remove(clusterKey);
  expect(vault.secretValue(nodeKeySecretName(clusterKey))).toBeUndefined();
});

test('a cluster made again under the name of one deleted days ago recovers its soft-deleted secret and gets its own key', async () => {
  const again = `${clusterKey}-again`;
  const keys = controlPlaneKeys();
  await keys.publish(again, generateNodeDataKey());
  await keys.remove(again);
  expect(vault.secretValue(nodeKeySecretName(again))).toBeUndefined(); // deleted but recoverable
  const newKey = generateNodeDataKey();
  await keys.publish(again, newKey);
  expect(vault.secretValue(nodeKeySecretName(again))).toBe(newKey.toString('base64'));
  const loaded = await loadNodeDataKey(
    {
      ...vmConfig(),
      clusterKey: again,
      nodeDataKeySource: { keyVaultUrl: vault.vaultUrl, secretName: nodeKeySecretName(again) },
    },
    { imds: new MetadataServiceClient(imds.baseUrl), trustedCertificate: vault.certificate },
  );
  expect(loaded?.equals(newKey)).toBe(true);
});
