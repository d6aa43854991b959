// The Azure file server host against the local HTTPS fake of Azure Resource Manager, through the real
// @azure/arm-compute and @azure/arm-network clients: one step per ensure() until ready or failed, and removal.
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { execFileSync } from 'child_process';
import { startArmFake, type ArmFake } from '../../../runtime/fakes/armFake';
import type { FileServerHostSpec, FileServerHostState } from '../../ports/fileServerHosts';
import { createComputeClient } from '../compute/computeClientFactory';
import { createNetworkClient } from './networkClientFactory';
import {
  fileServerExportsLine,
  fileServerSetupExtensionName,
  fileServerSetupScript,
  VmFileServerHosts,
} from './vmFileServerHosts';

// The fake's wire bodies are untyped JSON (the ARM shape with 'properties'); tests read them as such.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type WireJson = any;

const credential: TokenCredential = {
  getToken: async (): Promise<AccessToken> => ({
    token: 'fake-token',
    expiresOnTimestamp: Date.now() + 3_600_000,
  }),
};
const key = '/subscriptions/s/resourcegroups/rg/providers/microsoft.batchai/workspaces/w/fileservers/data';
const subnetId =
  '/subscriptions/s/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/v/subnets/fs';

let arm: ArmFake;

function spec(overrides: Partial<FileServerHostSpec> = {}): FileServerHostSpec {
  return {
    key,
    vmSize: 'Standard_D4_v3',
    dataDisks: {
      diskCount: 2,
      diskSizeInGB: 128,
      storageAccountType: 'Premium_LRS',
      cachingType: 'readonly',
    },
    adminUserName: 'me',
    adminSshPublicKey: 'ssh-rsa AAAAB3Nza me@host',
    subnetId,
    ...overrides,
  };
}

function vmHosts(defaultSubnetId?: string): VmFileServerHosts {
  const clientSettings = {
    subscriptionId: 's',
    credential,
    endpoint: arm.endpoint,
    trustedCertificate: arm.certificate,
  };
  return new VmFileServerHosts({
    compute: createComputeClient(clientSettings),
    network: createNetworkClient(clientSettings),
    resourceGroup: 'rg',
    location: 'eastus',
    defaultSubnetId,
    pollIntervalMs: 10,
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls ensure() as the monitor does until the server is ready or failed; the distinct steps on the way. */
async function settle(
  hosts: VmFileServerHosts,
  server: FileServerHostSpec,
): Promise<{ final: FileServerHostState; steps: string[] }> {
  const steps: string[] = [];
  for (let call = 0; call < 200; call++) {
    const state = await hosts.ensure(server);
    if (state.state !== 'creating') return { final: state, steps };
    if (steps.at(-1) !== state.detail) steps.push(state.detail);
    await sleep(10);
  }
  throw new Error(`the file server never settled (steps: ${steps.join(', ')})`);
}

beforeEach(async () => {
  arm = await startArmFake({ operationDelayMs: 30 });
});

afterEach(async () => {
  await arm.stop();
});

test('repeated ensure goes network interface -> VM -> NFS setup -> ready at the private IP, one step per call', async () => {
  const hosts = vmHosts();
  const { vm, nic } = hosts.namesOf(key);

  expect(await hosts.ensure(spec())).toEqual({ state: 'creating', detail: 'created the network interface' });
  expect(arm.virtualMachine('rg', vm)).toBeUndefined();
  const { final, steps } = await settle(hosts, spec());
  expect(steps).toEqual(['creating the VM', 'setting up NFS']);

  const privateIP = (arm.networkInterface('rg', nic) as WireJson).properties.ipConfigurations[0].properties
    .privateIPAddress;
  expect(privateIP).toMatch(/^10\.0\.0\.\d+$/);
  expect(final).toEqual({
    state: 'ready',
    mountSettings: { mountPoint: '/mnt/data', fileServerInternalIP: privateIP },
  });
  // Ready stays ready, without another create.
  const puts = arm.requests.filter((r) => r.method === 'PUT').length;
  expect(await hosts.ensure(spec())).toEqual(final);
  expect(arm.requests.filter((r) => r.method === 'PUT')).toHaveLength(puts);
  // The VM and its extension were only requested: nothing polled their operations.
  expect(arm.requests.some((r) => r.path.includes('/providers/Microsoft.Compute/locations/'))).toBe(false);
});

test('the VM has the size, data disks, admin and network interface of the file server, and no public IP', async () => {
  const hosts = vmHosts();
  const { vm, nic } = hosts.namesOf(key);
  expect(vm).toMatch(/^batchai-fs-data-[0-9a-f]{10}$/);
  await settle(hosts, spec());

  const body = arm.virtualMachine('rg', vm) as WireJson;
  expect(body.location).toBe('eastus');
  expect(body.tags).toEqual({ 'batchai-fileserver': key });
  const props = body.properties;
  expect(props.hardwareProfile).toEqual({ vmSize: 'Standard_D4_v3' });
  expect(props.storageProfile.imageReference).toEqual({
    publisher: 'Canonical',
    offer: '0001-com-ubuntu-server-jammy',
    sku: '22_04-lts', // D4_v3 boots generation 1 only
    version: 'latest',
  });
  expect(props.storageProfile.osDisk).toMatchObject({
    createOption: 'FromImage',
    managedDisk: { storageAccountType: 'Standard_LRS' },
    deleteOption: 'Delete',
  });
  expect(props.storageProfile.dataDisks).toEqual(
    [0, 1].map((lun) => ({
      lun,
      name: `${vm}-data-${lun}`,
      createOption: 'Empty',
      diskSizeGB: 128,
      caching: 'ReadOnly',
      managedDisk: { storageAccountType: 'Premium_LRS' },
      deleteOption: 'Delete',
    })),
  );
  expect(props.osProfile).toEqual({
    computerName: vm,
    adminUsername: 'me',
    linuxConfiguration: {
      disablePasswordAuthentication: true,
      ssh: { publicKeys: [{ path: '/home/me/.ssh/authorized_keys', keyData: 'ssh-rsa AAAAB3Nza me@host' }] },
    },
  });
  const nicWire = arm.networkInterface('rg', nic) as WireJson;
  expect(props.networkProfile).toEqual({
    networkInterfaces: [{ id: nicWire.id, properties: { primary: true, deleteOption: 'Delete' } }],
  });
  expect(props.networkProfile.networkInterfaceConfigurations).toBeUndefined();
  const ipConfiguration = nicWire.properties.ipConfigurations[0].properties;
  expect(ipConfiguration.subnet.id).toBe(subnetId);
  expect(ipConfiguration.privateIPAllocationMethod).toBe('Dynamic');
  expect(ipConfiguration.publicIPAddress).toBeUndefined();

  const extension = arm.virtualMachineExtension('rg', vm, fileServerSetupExtensionName) as WireJson;
  expect(extension.properties).toMatchObject({
    publisher: 'Microsoft.Azure.Extensions',
    type: 'CustomScript',
    typeHandlerVersion: '2.1',
  });
  expect(extension.properties.settings).toBeUndefined();
  const script = Buffer.from(extension.properties.protectedSettings.script as string, 'base64').toString(
    'utf8',
  );
  expect(script).toBe(fileServerSetupScript(2));
});

test('a size that boots generation 2 gets the generation 2 Ubuntu image, as the newest sizes require', async () => {
  const hosts = vmHosts();
  const premium = { ...spec({ vmSize: 'Standard_D4s_v5' }), key: `${key}-s` };
  await settle(hosts, premium);
  const body = arm.virtualMachine('rg', hosts.namesOf(premium.key).vm) as WireJson;
  expect(body.properties.storageProfile.imageReference.sku).toBe('22_04-lts-gen2');
});

test('an admin password goes to the VM only (password sign-in allowed), never into the setup script', async () => {
  const hosts = vmHosts();
  const { vm } = hosts.namesOf(key);
  await settle(hosts, spec({ adminSshPublicKey: undefined, adminPassword: 'S3cret-admin!' }));
  const osProfile = (arm.virtualMachine('rg', vm) as WireJson).properties.osProfile;
  expect(osProfile.adminPassword).toBe('S3cret-admin!');
  expect(osProfile.linuxConfiguration).toEqual({ disablePasswordAuthentication: false });
  const extension = arm.virtualMachineExtension('rg', vm, fileServerSetupExtensionName);
  expect(JSON.stringify(extension)).not.toContain('S3cret-admin!');
  const script = (extension as WireJson).properties.protectedSettings.script as string;
  expect(Buffer.from(script, 'base64').toString('utf8')).not.toContain('S3cret-admin!');
});

test('without a subnet of its own or a deployment default a file server fails SubnetRequired without calling ARM', async () => {
  const state = await vmHosts().ensure(spec({ subnetId: undefined }));
  expect(state).toEqual({
    state: 'failed',
    code: 'SubnetRequired',
    message:
      'A file server needs a subnet: give properties.subnet, or set COMPUTE_SUBNET_ID for the deployment.',
  });
  expect(arm.requests).toEqual([]);
  // The deployment's default subnet serves a file server that names none.
  const hosts = vmHosts(subnetId);
  await hosts.ensure(spec({ subnetId: undefined }));
  const nicWire = arm.networkInterface('rg', hosts.namesOf(key).nic) as WireJson;
  expect(nicWire.properties.ipConfigurations[0].properties.subnet.id).toBe(subnetId);
});

test('a subnet Resource Manager refuses fails the file server with its error, not a retry', async () => {
  const state = await vmHosts().ensure(spec({ subnetId: 'not-a-subnet' }));
  expect(state).toMatchObject({ state: 'failed', code: 'InvalidResourceReference' });
  expect((state as { message: string }).message).toContain('not-a-subnet');
});

test('exceeding the core quota fails the file server with QuotaExceeded', async () => {
  arm.setCoreQuota(2);
  const { final, steps } = await settle(vmHosts(), spec());
  expect(steps).toEqual(['created the network interface', 'creating the VM']);
  expect(final).toMatchObject({ state: 'failed', code: 'QuotaExceeded' });
  expect((final as { message: string }).message).toContain('exceeding approved Total Regional Cores quota');
});

test('a failed NFS setup fails the file server with FileServerSetupFailed and the script output', async () => {
  const hosts = vmHosts();
  const output =
    'Enable failed: command terminated with exit status=1\n[stderr]\nmdadm: cannot open /dev/sdc';
  arm.failExtension('rg', hosts.namesOf(key).vm, fileServerSetupExtensionName, output);
  const { final, steps } = await settle(hosts, spec());
  expect(steps).toEqual(['created the network interface', 'creating the VM', 'setting up NFS']);
  expect(final).toEqual({ state: 'failed', code: 'FileServerSetupFailed', message: output });
});

test('remove deletes the VM (its network interface and disks with it) until nothing remains', async () => {
  const hosts = vmHosts();
  const { vm, nic } = hosts.namesOf(key);
  await settle(hosts, spec());
  let calls = 0;
  while (!(await hosts.remove(key))) {
    expect(++calls).toBeLessThan(100);
    await sleep(10);
  }
  expect(calls).toBeGreaterThan(0);
  expect(arm.virtualMachine('rg', vm)).toBeUndefined();
  expect(arm.networkInterface('rg', nic)).toBeUndefined();
  expect(arm.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual([
    `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/${vm}`,
  ]);
  expect(await hosts.remove(key)).toBe(true);
});

test('remove deletes a network interface left without its VM, and is true when nothing was made', async () => {
  const hosts = vmHosts();
  const { nic } = hosts.namesOf(key);
  expect(await hosts.remove(key)).toBe(true);
  await hosts.ensure(spec());
  expect(arm.networkInterface('rg', nic)).toBeDefined();
  expect(await hosts.remove(key)).toBe(true);
  expect(arm.networkInterface('rg', nic)).toBeUndefined();
});

test('the setup script builds a RAID 0 array only for several disks, and exports /mnt/data to private ranges', () => {
  const single = fileServerSetupScript(1);
  const striped = fileServerSetupScript(4);
  for (const script of [single, striped]) {
    execFileSync('bash', ['-n'], { input: script }); // valid bash
    expect(script.startsWith('#!/bin/bash\n')).toBe(true);
    expect(script).toContain('set -euo pipefail');
    expect(script).toContain('/dev/disk/azure/scsi1');
    expect(script).toContain('mkfs.ext4');
    expect(script).toContain('ext4 defaults,nofail');
    expect(script).toContain('apt_install nfs-kernel-server');
    expect(script).toContain('systemctl enable --now nfs-kernel-server');
    expect(script).toContain('exportfs -ra');
    expect(script).toContain('chmod 777 "$MOUNT_POINT"');
    expect(script).toContain(`EXPORT_LINE='${fileServerExportsLine}'`);
  }
  expect(fileServerExportsLine).toBe(
    '/mnt/data 10.0.0.0/8(rw,sync,no_root_squash,no_subtree_check) 172.16.0.0/12(rw,sync,no_root_squash,no_subtree_check) 192.168.0.0/16(rw,sync,no_root_squash,no_subtree_check)',
  );
  expect(single).not.toContain('mdadm');
  expect(single).toContain('DISK_COUNT=1');
  expect(striped).toContain('mdadm --create "$device" --run --level=0 --raid-devices="$DISK_COUNT"');
  expect(striped).toContain('device=/dev/md0');
  expect(striped).toContain('DISK_COUNT=4');
});
