// The scale set adapter against the ARM fake where Azure refuses or decides for the client: the custom data limit,
// the subnet a Uniform set needs, concurrent capacity changes (ETags), a resize while instances are being deleted
// (a scale-in would let the platform pick the VMs), instance ids reused after a delete.
import { randomBytes } from 'crypto';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { ComputeManagementClient, VirtualMachineScaleSet } from '@azure/arm-compute';
import { createComputeClient } from '../../shared/adapters/compute/computeClientFactory';
import { customDataMaxLength, VmssComputePool } from '../../shared/adapters/compute/vmssComputePool';
import { ComputePoolError, type PoolDefinition } from '../../shared/ports/computePool';
import { vmssAgentSettings } from './support/vmssAgentSettings';
import { startArmFake, type ArmFake } from '../../runtime/fakes/armFake';
import { waitFor } from '../support/testEnvironment';

const credential: TokenCredential = {
  getToken: async (): Promise<AccessToken> => ({ token: 't', expiresOnTimestamp: Date.now() + 3_600_000 }),
};
const clusterKey = '/subscriptions/s/resourcegroups/rg/providers/microsoft.batchai/workspaces/w/clusters/c';
const subnetId =
  '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/nodes';

let arm: ArmFake;
let pool: VmssComputePool;

function definition(
  overrides: Partial<PoolDefinition> = {},
  agent: Partial<PoolDefinition['agent']> = {},
): PoolDefinition {
  return {
    clusterKey,
    vmSize: 'Standard_NC6s_v3',
    vmPriority: 'dedicated',
    image: {
      kind: 'marketplace',
      publisher: 'microsoft-dsvm',
      offer: 'ubuntu-hpc',
      sku: '2204',
      version: 'latest',
    },
    subnetId,
    adminUserName: 'me',
    adminSshPublicKey: 'ssh-rsa AAAAB3Nza me@host',
    agent: { ...vmssAgentSettings(clusterKey, 'Standard_NC6s_v3'), ...agent },
    ...overrides,
  } as PoolDefinition;
}

function client(): ComputeManagementClient {
  return createComputeClient({
    subscriptionId: 's',
    credential,
    endpoint: arm.endpoint,
    trustedCertificate: arm.certificate,
  });
}

/** What the ARM fake answers a scale set `model` PUT straight through the SDK (the error, when it refuses it). */
function refusal(name: string, model: VirtualMachineScaleSet): Promise<unknown> {
  return client()
    .virtualMachineScaleSets.createOrUpdate('rg', name, model, { updateIntervalInMs: 20 })
    .catch((e: unknown) => e);
}

function poolOf(computeClient: ComputeManagementClient, defaultSubnetId?: string): VmssComputePool {
  return new VmssComputePool({
    client: computeClient,
    resourceGroup: 'rg',
    location: 'eastus',
    managedIdentityId:
      '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/n',
    managedIdentityClientId: '11111111-2222-3333-4444-555555555555',
    storage: {
      blobEndpoint: 'https://a.blob.core.windows.net',
      queueEndpoint: 'https://a.queue.core.windows.net',
    },
    agentInstallation: { packageUrl: 'https://a.blob.core.windows.net/node-agent/batchai-agent.tgz' },
    defaultSubnetId,
    pollIntervalMs: 20,
  });
}

const scaleSetPuts = (): number =>
  arm.requests.filter((r) => r.method === 'PUT' && r.path.includes('/virtualMachineScaleSets/')).length;

beforeEach(async () => {
  arm = await startArmFake({ operationDelayMs: 50 });
  pool = poolOf(client());
});
afterEach(async () => arm.stop());

describe('custom data (Azure: at most 87,380 base64 characters)', () => {
  test('a setup task with 48 environment variables of 1 KB fits (the document is gzip-compressed)', async () => {
    const environment: Record<string, string> = {};
    for (let i = 0; i < 48; i++) environment[`VAR_${i}`] = 'x'.repeat(1024);
    const def = definition({}, { setupTask: { commandLine: 'echo hi', environment } });
    await pool.ensurePool(def);
    const sent = (arm.scaleSet('rg', pool.scaleSetName(clusterKey)) as { properties: VirtualMachineScaleSet })
      .properties as { virtualMachineProfile: { osProfile: { customData: string } } };
    expect(sent.virtualMachineProfile.osProfile.customData.length).toBeLessThan(customDataMaxLength);
  });

  test('setup settings too large even compressed are refused before Azure is asked, naming the setting', async () => {
    const environment: Record<string, string> = {};
    // Random values do not compress.
    for (let i = 0; i < 96; i++) environment[`VAR_${i}`] = randomBytes(768).toString('base64');
    const def = definition({}, { setupTask: { commandLine: 'echo hi', environment } });
    const error = await pool.ensurePool(def).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ComputePoolError);
    expect((error as ComputePoolError).code).toBe('CustomDataTooLarge');
    expect((error as ComputePoolError).message).toContain('properties.nodeSetup.setupTask');
    expect(scaleSetPuts()).toBe(0);
  });

  test('the fake refuses custom data over the limit, as Azure does (InvalidParameter)', async () => {
    const model = pool.scaleSetModel(definition(), 0);
    model.virtualMachineProfile!.osProfile!.customData = 'A'.repeat(customDataMaxLength + 4);
    expect(await refusal('too-large', model)).toMatchObject({ statusCode: 400, code: 'InvalidParameter' });
  });
});

describe('a subnet (Azure refuses a Uniform set without one)', () => {
  test('a cluster without a subnet and no COMPUTE_SUBNET_ID fails SubnetRequired, nothing sent', async () => {
    const error = await pool.ensurePool(definition({ subnetId: undefined })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ComputePoolError);
    expect((error as ComputePoolError).code).toBe('SubnetRequired');
    expect((error as ComputePoolError).message).toContain('COMPUTE_SUBNET_ID');
    expect(scaleSetPuts()).toBe(0);
    // COMPUTE_SUBNET_ID stands in for the cluster's.
    await poolOf(client(), subnetId).ensurePool(definition({ subnetId: undefined }));
    expect(arm.scaleSet('rg', pool.scaleSetName(clusterKey))).toBeDefined();
  });

  test('the fake refuses a scale set whose IP configuration names no subnet', async () => {
    const model = pool.scaleSetModel(definition(), 0);
    const nic = model.virtualMachineProfile!.networkProfile!.networkInterfaceConfigurations![0];
    delete nic.ipConfigurations![0].subnet;
    expect(await refusal('no-subnet', model)).toMatchObject({ statusCode: 400, code: 'InvalidParameter' });
  });
});

describe('capacity', () => {
  test('ensurePool does not undo a resize made between its read and its PUT (If-Match, retried on 412)', async () => {
    await pool.ensurePool(definition());
    await pool.resize(clusterKey, 1);
    // Another writer (a resize of another pass) grows the set right after this pool read it.
    const racing = client();
    const other = poolOf(client());
    const get = racing.virtualMachineScaleSets.get.bind(racing.virtualMachineScaleSets);
    let raced = false;
    racing.virtualMachineScaleSets.get = async (...args: Parameters<typeof get>) => {
      const read = await get(...args);
      if (!raced) {
        raced = true;
        await other.resize(clusterKey, 3);
      }
      return read;
    };
    await poolOf(racing).ensurePool(definition({}, { heartbeatIntervalMs: 10_000 }));
    expect(raced).toBe(true);
    expect(arm.instances('rg', pool.scaleSetName(clusterKey))).toHaveLength(3);
    const sent = arm.requests.filter((r) => r.method === 'PUT').at(-1)?.body as { sku: { capacity: number } };
    expect(sent.sku.capacity).toBe(3);
  });

  test('a resize while instances are being deleted never shrinks the set (the platform would pick running VMs)', async () => {
    arm.stop();
    arm = await startArmFake({ operationDelayMs: 400 });
    pool = poolOf(client());
    await pool.ensurePool(definition());
    await pool.resize(clusterKey, 3);
    const name = pool.scaleSetName(clusterKey);
    // A pass deletes two nodes and wants one more: growTo = 1 remaining + 1 = 2, while Azure still counts the two.
    await pool.deleteNodes(clusterKey, [`${name}_0`, `${name}_1`]);
    await pool.resize(clusterKey, 2);
    await waitFor('the deleted instances gone', async () =>
      arm.instances('rg', name).every((i) => i.provisioningState !== 'Deleting') ? true : undefined,
    );
    // Node 2 (running a job, say) is still there; the growth comes on a later pass.
    expect(arm.instances('rg', name).map((i) => i.instanceId)).toContain('2');
    await pool.resize(clusterKey, 2);
    expect(arm.instances('rg', name)).toHaveLength(2);
  });
});

test('the fake reuses the lowest free instance id after a delete, as Uniform sets may', async () => {
  await pool.ensurePool(definition());
  await pool.resize(clusterKey, 3);
  const name = pool.scaleSetName(clusterKey);
  await pool.deleteNodes(clusterKey, [`${name}_0`]);
  await waitFor('the instance gone', async () =>
    (await pool.listNodes(clusterKey)).length === 2 ? true : undefined,
  );
  await pool.resize(clusterKey, 3);
  expect((await pool.listNodes(clusterKey)).map((n) => n.nodeId).sort()).toEqual([
    `${name}_0`,
    `${name}_1`,
    `${name}_2`,
  ]);
});
