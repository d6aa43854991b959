// File servers on the Azure path, through the real app on the local host with the vmss backend: its managed
// identity signs in at the IMDS fake (DefaultAzureCredential), Resource Manager is the HTTPS ARM fake. A file server
// without a subnet fails and its create operation says why; one with a subnet is `creating` (not mountable yet)
// until its network interface, VM and NFS setup extension are done, then reports its private address; a cluster
// mounting it gets a scale set whose node agents mount that address; its delete removes the VM and the interface.
// Needs `npx tsc -p tsconfig.json` first.
import { gunzipSync } from 'zlib';
import { randomBytes } from 'crypto';
import { loadLoopbackCertificate } from '../../runtime/fakes/loopbackCertificate';
import { startArmFake, type ArmFake } from '../../runtime/fakes/armFake';
import { startImdsFake, type ImdsFake } from '../../runtime/fakes/imdsFake';
import { parseAgentConfig } from '../../shared/contracts/agentConfig';
import { clusterTag } from '../../shared/contracts/nodeQueueNames';
import { startTestEnvironment, waitFor, type TestEnvironment } from '../support/testEnvironment';
import { ApiClient, workspacePath } from '../api/apiClient';

const nodesGroup = 'batchai-nodes';
const appClientId = '0a1b2c3d-4e5f-4061-8273-94a5b6c7d8e9';
const subnet =
  '/subscriptions/s/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/nodes';
const workspace = workspacePath('fsrg', 'ws');

let arm: ArmFake;
let imds: ImdsFake;
let env: TestEnvironment;
let api: ApiClient;

beforeAll(async () => {
  // Slow enough operations that a file server is seen `creating`.
  [arm, imds] = await Promise.all([
    startArmFake({ operationDelayMs: 1_500 }),
    startImdsFake({ identityTokens: { [appClientId]: 'app-token' } }),
  ]);
  // A size the subscription may not use in the compute location (Resource SKUs says so).
  arm.setVmSize('eastus', {
    name: 'Standard_NC6s_v3',
    vCpus: 6,
    gpus: 1,
    restriction: 'NotAvailableForSubscription',
  });
  env = await startTestEnvironment({
    settings: {
      SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      COMPUTE_BACKEND: 'vmss',
      COMPUTE_SUBSCRIPTION_ID: 's',
      COMPUTE_RESOURCE_GROUP: nodesGroup,
      COMPUTE_LOCATION: 'eastus',
      COMPUTE_IDENTITY_ID:
        '/subscriptions/s/resourceGroups/id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/nodes',
      COMPUTE_IDENTITY_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
      COMPUTE_STORAGE_BLOB_ENDPOINT: 'https://acct.blob.core.windows.net',
      COMPUTE_STORAGE_QUEUE_ENDPOINT: 'https://acct.queue.core.windows.net',
      COMPUTE_AGENT_PACKAGE_URL: 'https://acct.blob.core.windows.net/agent/batchai-agent.tgz',
      COMPUTE_ARM_ENDPOINT: arm.endpoint,
      COMPUTE_MONITOR_INTERVAL_SECONDS: '1',
      COMPUTE_HEARTBEAT_SECONDS: '1',
      COMPUTE_NODE_LOST_AFTER_SECONDS: '10',
      // The app's identity (DefaultAzureCredential -> managed identity at this IMDS), and trust in the ARM fake.
      AZURE_CLIENT_ID: appClientId,
      AZURE_POD_IDENTITY_AUTHORITY_HOST: imds.baseUrl.replace(/\/+$/, ''),
      NODE_EXTRA_CA_CERTS: loadLoopbackCertificate().certificateFile,
    },
  });
  api = new ApiClient(env.baseUrl);
  await api.put(workspace, { location: 'eastus' });
}, 120_000);

afterAll(async () => {
  await env?.stop();
  await Promise.all([arm?.stop(), imds?.stop()]);
});

function fileServerBody(withSubnet: boolean): Record<string, unknown> {
  return {
    properties: {
      vmSize: 'Standard_D4s_v3',
      sshConfiguration: {
        userAccountSettings: { adminUserName: 'nfsadmin', adminUserPassword: 'Fs-Passw0rd!' },
      },
      dataDisks: {
        diskSizeInGB: 128,
        diskCount: 2,
        storageAccountType: 'Premium_LRS',
        cachingType: 'readonly',
      },
      ...(withSubnet ? { subnet: { id: subnet } } : {}),
    },
  };
}

function clusterBody(fileServer: string, sourceDirectory?: string): Record<string, unknown> {
  return {
    properties: {
      vmSize: 'Standard_D2s_v3',
      scaleSettings: { manual: { targetNodeCount: 0 } },
      userAccountSettings: { adminUserName: 'me', adminUserSshPublicKey: 'ssh-rsa AAAAB3NzaC1yc2E me' },
      subnet: { id: subnet },
      nodeSetup: {
        mountVolumes: {
          fileServers: [
            {
              fileServer: { id: `${workspace}/fileServers/${fileServer}` },
              relativeMountPath: 'nfs',
              ...(sourceDirectory ? { sourceDirectory } : {}),
              mountOptions: 'rw,hard',
            },
          ],
        },
      },
    },
  };
}

const mountField = 'properties.nodeSetup.mountVolumes.fileServers[0].fileServer.id';

test('without a subnet a file server fails, its operation says why, and it cannot be mounted', async () => {
  const put = await api.send('PUT', `${workspace}/fileServers/nosubnet`, fileServerBody(false));
  expect(put.status).toBe(202);
  const operation = await api.waitForOperation(put);
  expect(operation).toMatchObject({ status: 'Failed', error: { code: 'SubnetRequired' } });
  expect(String((operation.error as { message: string }).message)).toContain('properties.subnet');
  const got = await api.send('GET', `${workspace}/fileServers/nosubnet`);
  expect(got.body.properties).toMatchObject({
    provisioningState: 'failed',
    errors: [{ code: 'SubnetRequired', message: (operation.error as { message: string }).message }],
  });
  const refused = await api.send('PUT', `${workspace}/clusters/onfailed`, clusterBody('nosubnet'));
  expect(refused.status).toBe(400);
  expect(refused.body.error).toMatchObject({ target: mountField });
  expect(JSON.stringify(refused.body)).toContain('failed to provision');
  // Nothing was asked of Resource Manager for it.
  expect(arm.requests.some((r) => r.path.includes('batchai-fs-'))).toBe(false);
}, 60_000);

test('a file server is made (interface, VM, NFS setup), mounted by a cluster by its address, and removed', async () => {
  const key = `${workspace}/fileServers/nfs`.toLowerCase();
  const vm = `batchai-fs-${clusterTag(key)}`;
  const put = await api.send('PUT', `${workspace}/fileServers/nfs`, fileServerBody(true));
  expect(put.status).toBe(202);
  // While it is being made it is `creating`, and a cluster cannot mount it yet.
  expect((await api.send('GET', `${workspace}/fileServers/nfs`)).body.properties).toMatchObject({
    provisioningState: 'creating',
  });
  // The same PUT again answers the file server as it is (and asks for it to be made again: idempotent).
  const again = await api.send('PUT', `${workspace}/fileServers/nfs`, fileServerBody(true));
  expect(again.status).toBe(200);
  expect(again.body.properties).toMatchObject({ provisioningState: 'creating' });
  const early = await api.send('PUT', `${workspace}/clusters/early`, clusterBody('nfs'));
  expect(early.status).toBe(400);
  expect(early.body.error).toMatchObject({ target: mountField });
  expect(JSON.stringify(early.body)).toContain('is creating');

  expect((await api.waitForOperation(put)).status).toBe('Succeeded');
  const got = await api.send('GET', `${workspace}/fileServers/nfs`);
  const properties = got.body.properties as Record<string, unknown>;
  expect(properties.provisioningState).toBe('succeeded');
  const mountSettings = properties.mountSettings as Record<string, string>;
  expect(mountSettings.mountPoint).toBe('/mnt/data');
  expect(mountSettings.fileServerInternalIP).toMatch(/^10\.0\.0\.\d+$/);
  expect(mountSettings.fileServerPublicIP).toBeUndefined();
  expect(got.text).not.toContain('Fs-Passw0rd!');
  // What Resource Manager was asked for: the VM with its disks in the subnet, and the setup extension.
  const body = arm.virtualMachine(nodesGroup, vm) as { properties: Record<string, Record<string, unknown>> };
  expect(body.properties.hardwareProfile).toEqual({ vmSize: 'Standard_D4s_v3' });
  const disks = body.properties.storageProfile.dataDisks as Record<string, unknown>[];
  expect(disks.map((d) => [d.lun, d.diskSizeGB, d.caching])).toEqual([
    [0, 128, 'ReadOnly'],
    [1, 128, 'ReadOnly'],
  ]);
  expect(arm.networkInterface(nodesGroup, `${vm}-nic`)).toBeDefined();

  // A cluster mounting it: the scale set's node agents mount the server's address and export path.
  await api.put(`${workspace}/clusters/withnfs`, clusterBody('nfs', 'runs/'));
  const scaleSetName = `batchai-${clusterTag(`${workspace}/clusters/withnfs`.toLowerCase())}`;
  const scaleSet = await waitFor('the cluster scale set', async () => arm.scaleSet(nodesGroup, scaleSetName));
  const profile = (scaleSet.properties as Record<string, Record<string, Record<string, unknown>>>)
    .virtualMachineProfile;
  // Named no image: GET shows Batch AI's default, its VMs boot today's node image (that one cannot run the agent).
  const cluster = await api.send('GET', `${workspace}/clusters/withnfs`);
  expect((cluster.body.properties as Record<string, unknown>).virtualMachineConfiguration).toEqual({
    imageReference: { publisher: 'Canonical', offer: 'UbuntuServer', sku: '16.04-LTS', version: 'latest' },
  });
  expect(profile.storageProfile.imageReference).toEqual({
    publisher: 'microsoft-dsvm',
    offer: 'ubuntu-hpc',
    sku: '2204',
    version: 'latest',
  });
  const customData = gunzipSync(Buffer.from(String(profile.osProfile.customData), 'base64')).toString('utf8');
  const configB64 = /path: \/etc\/batchai\/agent\.json\n.*\n.*\n\s+content: (\S+)/.exec(customData)?.[1];
  const config = parseAgentConfig(JSON.parse(Buffer.from(configB64 ?? '', 'base64').toString('utf8')));
  expect(config.mountVolumes).toEqual([
    {
      kind: 'nfs',
      relativeMountPath: 'nfs',
      server: mountSettings.fileServerInternalIP,
      sourceDirectory: '/mnt/data/runs',
      mountOptions: 'rw,hard',
    },
  ]);

  const deleted = await api.send('DELETE', `${workspace}/fileServers/nfs`);
  expect(deleted.status).toBe(202);
  expect((await api.waitForOperation(deleted)).status).toBe('Succeeded');
  expect((await api.send('GET', `${workspace}/fileServers/nfs`)).status).toBe(404);
  expect(arm.virtualMachine(nodesGroup, vm)).toBeUndefined();
  expect(arm.networkInterface(nodesGroup, `${vm}-nic`)).toBeUndefined();
}, 120_000);

test("VM sizes are checked against the compute location's Resource SKUs: a size Azure restricts there is a 400 with its reason", async () => {
  arm.setVmSize('eastus', {
    name: 'Standard_NC6s_v3',
    vCpus: 6,
    gpus: 1,
    restriction: 'NotAvailableForSubscription',
  });
  const restricted = await api.send('PUT', `${workspace}/clusters/restricted`, {
    properties: {
      ...(clusterBody('none').properties as object),
      vmSize: 'Standard_NC6s_v3',
      nodeSetup: undefined,
    },
  });
  expect(restricted.status).toBe(400);
  expect(restricted.body.error).toMatchObject({ code: 'SkuNotAvailable', target: 'properties.vmSize' });
  expect(String((restricted.body.error as { message: string }).message)).toContain(
    'NotAvailableForSubscription',
  );
  const misspelt = await api.send('PUT', `${workspace}/fileServers/typo`, {
    properties: { ...(fileServerBody(true).properties as object), vmSize: 'Standard_D4s_v33' },
  });
  expect(misspelt.status).toBe(400);
  expect(misspelt.body.error).toMatchObject({ code: 'InvalidVmSize', target: 'properties.vmSize' });
  expect(String((misspelt.body.error as { message: string }).message)).toContain(
    "Did you mean 'Standard_D4s_v3'",
  );
  // Read from Resource Manager (the host keeps the list for an hour).
  expect(
    arm.requests.filter((r) => r.path.endsWith('/providers/Microsoft.Compute/skus')).length,
  ).toBeGreaterThan(0);
}, 60_000);
