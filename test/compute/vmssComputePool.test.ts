// The scale set adapter against the local HTTPS fake of Azure Resource Manager, through the real
// @azure/arm-compute client and its long-running-operation pollers.
import { execFileSync } from 'child_process';
import { gunzipSync } from 'zlib';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { parseAgentConfig } from '../../shared/contracts/agentConfig';
import { createComputeClient } from '../../shared/adapters/compute/computeClientFactory';
import { VmssComputePool } from '../../shared/adapters/compute/vmssComputePool';
import { ComputePoolError, type PoolDefinition } from '../../shared/ports/computePool';
import { vmssAgentSettings } from './support/vmssAgentSettings';
import { startArmFake, type ArmFake } from '../../runtime/fakes/armFake';
import { waitFor } from '../support/testEnvironment';

// The fake's wire bodies are untyped JSON (the ARM shape with 'properties'); tests read them as such.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type WireJson = any;

const credential: TokenCredential = {
  getToken: async (): Promise<AccessToken> => ({
    token: 'fake-token',
    expiresOnTimestamp: Date.now() + 3_600_000,
  }),
};
const clusterKey = '/subscriptions/s/resourcegroups/rg/providers/microsoft.batchai/workspaces/w/clusters/gpu';
const identityId =
  '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/nodes';

let arm: ArmFake;
let pool: VmssComputePool;

function definition(overrides: Partial<PoolDefinition> = {}): PoolDefinition {
  return {
    clusterKey,
    vmSize: 'STANDARD_NC6',
    vmPriority: 'lowpriority',
    image: {
      kind: 'custom',
      imageId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/images/dl',
    },
    subnetId:
      '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/nodes',
    adminUserName: 'me',
    adminSshPublicKey: 'ssh-rsa AAAAB3Nza me@host',
    agent: {
      ...vmssAgentSettings(clusterKey, 'STANDARD_NC6'),
      setupTask: { commandLine: 'nvidia-smi' },
      mountVolumes: [{ kind: 'nfs', relativeMountPath: 'nfs', server: '10.0.0.4', sourceDirectory: '/data' }],
    },
    ...overrides,
  };
}

function vmssPool(): VmssComputePool {
  return new VmssComputePool(vmssPoolOptions());
}

function vmssPoolOptions(): ConstructorParameters<typeof VmssComputePool>[0] {
  return {
    client: createComputeClient({
      subscriptionId: 's',
      credential,
      endpoint: arm.endpoint,
      trustedCertificate: arm.certificate,
    }),
    resourceGroup: 'rg',
    location: 'eastus',
    managedIdentityId: identityId,
    managedIdentityClientId: '11111111-2222-3333-4444-555555555555',
    storage: {
      blobEndpoint: 'https://acct.blob.core.windows.net',
      queueEndpoint: 'https://acct.queue.core.windows.net',
    },
    agentInstallation: { packageUrl: 'https://acct.blob.core.windows.net/agent/batchai-agent.tgz' },
    pollIntervalMs: 20,
  };
}

beforeEach(async () => {
  arm = await startArmFake({ operationDelayMs: 50 });
  pool = vmssPool();
});

afterEach(async () => {
  await arm.stop();
});

test('a low-priority cluster becomes a Spot scale set (eviction Delete) with identity, subnet, custom image and agent custom data', async () => {
  await pool.ensurePool(definition());
  const name = pool.scaleSetName(clusterKey);
  const put = arm.requests.find((r) => r.method === 'PUT');
  expect(put?.path).toBe(
    `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`,
  );
  const body = arm.scaleSet('rg', name) as WireJson;
  expect(body.properties.provisioningState).toBe('Succeeded');
  expect(body.sku).toEqual({ name: 'STANDARD_NC6', tier: 'Standard', capacity: 0 });
  expect(body.identity).toEqual({ type: 'UserAssigned', userAssignedIdentities: { [identityId]: {} } });
  const profile = body.properties.virtualMachineProfile;
  expect(profile.priority).toBe('Spot');
  expect(profile.evictionPolicy).toBe('Delete');
  // Terminate notifications cannot be enabled on Spot instances (the fake refuses them, as Azure does).
  expect(profile.scheduledEventsProfile).toBeUndefined();
  expect(profile.storageProfile.imageReference).toEqual({
    id:
      definition().image.kind === 'custom'
        ? '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/images/dl'
        : '',
  });
  expect(
    profile.networkProfile.networkInterfaceConfigurations[0].properties.ipConfigurations[0].properties.subnet
      .id,
  ).toBe(definition().subnetId);
  // gzip-compressed (cloud-init takes it so), base64 for Resource Manager.
  const customData = gunzipSync(Buffer.from(profile.osProfile.customData as string, 'base64')).toString(
    'utf8',
  );
  expect(customData.startsWith('#cloud-config\n')).toBe(true);
  expect(customData).toContain(
    'ExecStart=/usr/bin/env node /opt/batchai/dist/agent/main.js --config /etc/batchai/agent.json',
  );
  const configB64 = /path: \/etc\/batchai\/agent\.json\n.*\n.*\n\s+content: (\S+)/.exec(customData)?.[1];
  const config = parseAgentConfig(JSON.parse(Buffer.from(configB64 ?? '', 'base64').toString('utf8')));
  expect(config).toMatchObject({ mode: 'vm', clusterKey, gpuCount: 1, nodeId: undefined });
  expect(config.storage).toEqual({
    blobEndpoint: 'https://acct.blob.core.windows.net',
    queueEndpoint: 'https://acct.queue.core.windows.net',
    managedIdentityClientId: '11111111-2222-3333-4444-555555555555',
    connectionString: undefined,
  });
  expect(customData).not.toMatch(/AccountKey|SharedAccessSignature|sig=/);
  // The install script is valid shell; it installs Docker only on an image without it, and goes on without it.
  const script = /path: \/opt\/batchai\/install\.sh\n.*\n\s+content: \|\n((?: {6}.*\n)+)/
    .exec(customData)?.[1]
    .replace(/^ {6}/gm, '');
  expect(script).toContain('if ! command -v docker >/dev/null; then');
  expect(() => execFileSync('bash', ['-n'], { input: script })).not.toThrow();
});

test("a cluster's performance counters are signed in with the node identity on its VMs", async () => {
  const base = definition();
  const counters = {
    ingestionEndpoint: 'https://eastus-8.in.applicationinsights.azure.com/',
    sealedInstrumentationKey: 'aesgcm1:AAAA:BBBB:CCCC',
    intervalMs: 60_000,
  };
  const model = pool.scaleSetModel({ ...base, agent: { ...base.agent, performanceCounters: counters } }, 1);
  const customData = gunzipSync(
    Buffer.from(model.virtualMachineProfile!.osProfile!.customData!, 'base64'),
  ).toString('utf8');
  const configB64 = /path: \/etc\/batchai\/agent\.json\n.*\n.*\n\s+content: (\S+)/.exec(customData)?.[1];
  const config = parseAgentConfig(JSON.parse(Buffer.from(configB64 ?? '', 'base64').toString('utf8')));
  expect(config.performanceCounters).toEqual({
    ...counters,
    ingestionCertificate: undefined,
    managedIdentityClientId: '11111111-2222-3333-4444-555555555555',
  });
  // Without performance counters, none are configured.
  const plain = Buffer.from(
    pool.scaleSetModel(base, 1).virtualMachineProfile!.osProfile!.customData!,
    'base64',
  );
  expect(plain.toString('utf8')).not.toContain('performanceCounters');
});

test('an admin password reaches the scale set model only (password SSH allowed); without one, keys only', async () => {
  await pool.ensurePool(definition({ adminPassword: 'S3cret-admin!' }));
  const name = pool.scaleSetName(clusterKey);
  const osProfile = (arm.scaleSet('rg', name) as WireJson).properties.virtualMachineProfile.osProfile;
  expect(osProfile.adminPassword).toBe('S3cret-admin!');
  expect(osProfile.linuxConfiguration.disablePasswordAuthentication).toBe(false);
  const customData = Buffer.from(osProfile.customData as string, 'base64').toString('utf8');
  expect(customData).not.toContain('S3cret-admin!');
  // An existing scale set keeps the sign-in it was created with: the password is not sent again.
  await pool.ensurePool(definition({ adminPassword: 'S3cret-admin!' }));
  const again = arm.requests.filter((r) => r.method === 'PUT').at(-1);
  expect(JSON.stringify(again)).not.toContain('S3cret-admin!');
  await arm.stop();
  arm = await startArmFake({ operationDelayMs: 50 });
  pool = vmssPool();
  await pool.ensurePool(definition());
  const keysOnly = (arm.scaleSet('rg', name) as WireJson).properties.virtualMachineProfile.osProfile;
  expect(keysOnly.adminPassword).toBeUndefined();
  expect(keysOnly.linuxConfiguration.disablePasswordAuthentication).toBe(true);
});

test('a dedicated cluster with a marketplace image is a Regular scale set', async () => {
  await pool.ensurePool(
    definition({
      vmPriority: 'dedicated',
      image: {
        kind: 'marketplace',
        publisher: 'Canonical',
        offer: 'UbuntuServer',
        sku: '16.04-LTS',
        version: 'latest',
      },
    }),
  );
  const profile = (arm.scaleSet('rg', pool.scaleSetName(clusterKey)) as WireJson).properties
    .virtualMachineProfile;
  expect(profile.priority).toBe('Regular');
  expect(profile.evictionPolicy).toBeUndefined();
  expect(profile.scheduledEventsProfile).toEqual({
    terminateNotificationProfile: { enable: true, notBeforeTimeout: 'PT5M' },
  });
  expect(profile.storageProfile.imageReference).toEqual({
    publisher: 'Canonical',
    offer: 'UbuntuServer',
    sku: '16.04-LTS',
    version: 'latest',
  });
  // Not an InfiniBand size: the set may span placement groups (past 100 VMs).
  expect(
    (arm.scaleSet('rg', pool.scaleSetName(clusterKey)) as WireJson).properties.singlePlacementGroup,
  ).toBe(false);
});

test('deleting a scale set whose resource group is gone (404) is done, not a failure the release retries forever', async () => {
  const gone = Object.assign(new Error('Resource group rg could not be found.'), {
    statusCode: 404,
    code: 'ResourceGroupNotFound',
  });
  const client = createComputeClient({ subscriptionId: 's', credential, endpoint: arm.endpoint });
  client.virtualMachineScaleSets.delete = () => Promise.reject(gone) as never;
  const orphan = new VmssComputePool({ ...vmssPoolOptions(), client });
  await expect(orphan.deletePool(clusterKey)).resolves.toBeUndefined();
  // Any other refusal still fails the release.
  client.virtualMachineScaleSets.delete = () =>
    Promise.reject(
      Object.assign(new Error('Denied.'), { statusCode: 403, code: 'AuthorizationFailed' }),
    ) as never;
  await expect(orphan.deletePool(clusterKey)).rejects.toMatchObject({ code: 'AuthorizationFailed' });
});

test('an InfiniBand size keeps its VMs in one placement group, so they reach each other over RDMA', async () => {
  await pool.ensurePool(definition({ vmSize: 'Standard_HB120rs_v3' }));
  const model = arm.scaleSet('rg', pool.scaleSetName(clusterKey)) as WireJson;
  expect(model.sku.name).toBe('Standard_HB120rs_v3');
  expect(model.properties.singlePlacementGroup).toBe(true);
});

test('an existing scale set keeps its placement group setting (Resource Manager refuses changing it to one)', async () => {
  await pool.ensurePool(definition({ vmSize: 'Standard_D4s_v3' }));
  await pool.ensurePool(definition({ vmSize: 'Standard_HB120rs_v3' }));
  const model = arm.scaleSet('rg', pool.scaleSetName(clusterKey)) as WireJson;
  expect(model.properties.singlePlacementGroup).toBe(false);
  expect(model.properties.orchestrationMode).toBe('Uniform');
});

test('resize, list and delete chosen instances go through PATCH and POST .../delete long-running operations', async () => {
  await pool.ensurePool(definition());
  await pool.resize(clusterKey, 3);
  const name = pool.scaleSetName(clusterKey);
  const nodes = await pool.listNodes(clusterKey);
  expect(nodes.map((n) => n.nodeId)).toEqual([`${name}_0`, `${name}_1`, `${name}_2`]);
  expect(nodes.every((n) => n.state === 'running')).toBe(true);
  await pool.deleteNodes(clusterKey, [`${name}_1`, 'not-a-node-of-this-set']);
  // Started, not waited for: the instance is deleting, then gone.
  expect((await pool.listNodes(clusterKey)).find((n) => n.nodeId === `${name}_1`)?.state).toBe('deleting');
  await waitFor('the instance gone', async () =>
    (await pool.listNodes(clusterKey)).length === 2 ? true : undefined,
  );
  expect((await pool.listNodes(clusterKey)).map((n) => n.nodeId)).toEqual([`${name}_0`, `${name}_2`]);
  expect(arm.requests.find((r) => r.method === 'POST')?.body).toEqual({ instanceIds: ['1'] });
  // An instance no longer active makes Resource Manager refuse the request: asked again for the active ones.
  await pool.deleteNodes(clusterKey, [`${name}_0`, `${name}_1`]);
  const deletes = arm.requests.filter((r) => r.method === 'POST').map((r) => r.body);
  expect(deletes.slice(-2)).toEqual([{ instanceIds: ['0', '1'] }, { instanceIds: ['0'] }]);
  await waitFor('the other instance gone', async () =>
    (await pool.listNodes(clusterKey)).length === 1 ? true : undefined,
  );
  arm.failInstance('rg', name, '2');
  expect((await pool.listNodes(clusterKey)).find((n) => n.nodeId === `${name}_2`)?.state).toBe('failed');
  // ensurePool again (settings re-applied) keeps the current capacity.
  await pool.ensurePool(definition());
  expect(arm.instances('rg', name)).toHaveLength(1);
  await pool.deletePool(clusterKey);
  expect(await pool.listNodes(clusterKey)).toEqual([]);
  // Deleting again (a retried release) finds nothing to delete: Resource Manager answers 204, done.
  await expect(pool.deletePool(clusterKey)).resolves.toBeUndefined();
  // The model says which orchestration mode its node ids and instance operations assume.
  expect(
    arm.requests.find((r) => r.method === 'PUT' && (r.body as WireJson)?.properties?.orchestrationMode)?.body,
  ).toMatchObject({ properties: { orchestrationMode: 'Uniform' } });
});

test('exceeding the core quota fails the resize with a ComputePoolError QuotaExceeded, not a crash', async () => {
  arm.setCoreQuota(12);
  await pool.ensurePool(definition());
  await pool.resize(clusterKey, 2);
  const error = await pool.resize(clusterKey, 3).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ComputePoolError);
  expect((error as ComputePoolError).code).toBe('QuotaExceeded');
  expect((error as ComputePoolError).message).toContain('exceeding approved Total Regional Cores quota');
  expect(await pool.listNodes(clusterKey)).toHaveLength(2);
});

test('listing the nodes of a cluster without a scale set is empty', async () => {
  expect(await pool.listNodes(clusterKey)).toEqual([]);
});
