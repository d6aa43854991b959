// The product's first promise: clients written for Batch AI work with only the endpoint changed. This test drives
// the whole resource model through Microsoft's own generated SDK for Batch AI 2018-05-01 (`@azure/arm-batchai`
// 2.2.1, the last release, on its ms-rest-azure-js pipeline: its serializers, its long-running operation poller,
// its paging and its CloudError parsing) against the real local stack, with a job that really runs on a local node.
// Needs `npx tsc -p tsconfig.json` first.
import type { BatchAIManagementClient } from '@azure/arm-batchai';
import type { BatchAIManagementModels } from '@azure/arm-batchai';
import { startJobTestBed, type JobTestBed } from '../jobs/support/jobTestBed';
import { workspacePath } from './apiClient';
import { officialSdkClient, waitForIdleClusterNodes } from './officialSdkClient';

const rg = 'sdkrg';
const ws = 'sdkws';
const exp = 'sdkexp';
const clusterId = `${workspacePath(rg, ws)}/clusters/c1`;

let bed: JobTestBed;
let client: BatchAIManagementClient;

beforeAll(async () => {
  bed = await startJobTestBed({ JOB_NODE_CHECK_SECONDS: '1' });
  client = officialSdkClient(bed.env.baseUrl);
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

/** The SDK's error for a refused call: its CloudError code and HTTP status. */
async function refusal(
  call: Promise<unknown>,
): Promise<{ code?: string; statusCode?: number; message: string }> {
  try {
    await call;
  } catch (error: unknown) {
    const e = error as { code?: string; statusCode?: number; message: string };
    return { code: e.code, statusCode: e.statusCode, message: e.message };
  }
  throw new Error('the call succeeded');
}

const shareMount: BatchAIManagementModels.MountVolumes = {
  azureFileShares: [
    {
      accountName: 'storageacct',
      azureFileUrl: 'https://storageacct.file.core.windows.net/logs',
      relativeMountPath: 'afs',
      credentials: { accountKey: 'c2VjcmV0LWtleQ==' },
    },
  ],
};

test('workspace, experiment and cluster: create (long-running), get, list, update, usages, operations', async () => {
  const workspace = await client.workspaces.create(rg, ws, { location: 'eastus', tags: { team: 'vision' } });
  expect(workspace.id).toBe(workspacePath(rg, ws));
  expect(workspace.provisioningState).toBe('succeeded');
  expect(workspace.creationTime).toBeInstanceOf(Date);

  const updated = await client.workspaces.update(rg, ws, { tags: { team: 'speech' } });
  expect(updated.tags).toEqual({ team: 'speech' });
  // update() without options sends no tags: a PATCH changes only what it names, so the tags stay.
  expect((await client.workspaces.update(rg, ws)).tags).toEqual({ team: 'speech' });
  expect((await client.workspaces.get(rg, ws)).tags).toEqual({ team: 'speech' });
  const inGroup = await client.workspaces.listByResourceGroup(rg);
  expect(inGroup.map((w) => w.name)).toEqual([ws]);
  expect((await client.workspaces.get(rg, ws)).location).toBe('eastus');
  const all = await client.workspaces.list();
  expect(all.map((w) => w.name)).toContain(ws);
  // Pages of one, followed by the SDK's listNext.
  await client.workspaces.create(rg, 'second', { location: 'eastus' });
  const first = await client.workspaces.listByResourceGroup(rg, {
    workspacesListByResourceGroupOptions: { maxResults: 1 },
  });
  expect(first).toHaveLength(1);
  expect(first.nextLink).toEqual(expect.any(String));
  const rest = await client.workspaces.listByResourceGroupNext(first.nextLink!);
  expect([...first, ...rest].map((w) => w.name).sort()).toEqual([ws, 'second']);
  expect(rest.nextLink).toBeUndefined();
  await client.workspaces.deleteMethod(rg, 'second');

  const experiment = await client.experiments.create(rg, ws, exp);
  expect(experiment.name).toBe(exp);
  expect(experiment.provisioningState).toBe('succeeded');
  expect((await client.experiments.listByWorkspace(rg, ws)).map((e) => e.name)).toEqual([exp]);

  const cluster = await client.clusters.create(rg, ws, 'c1', {
    vmSize: 'STANDARD_D1_V2',
    scaleSettings: { manual: { targetNodeCount: 1 } },
    userAccountSettings: { adminUserName: 'me', adminUserPassword: 'Passw0rd!' },
  });
  expect(cluster.vmSize).toBe('STANDARD_D1_V2');
  expect(cluster.scaleSettings?.manual?.targetNodeCount).toBe(1);
  // Never returned: the password the cluster was created with.
  expect(cluster.userAccountSettings?.adminUserPassword).toBeUndefined();
  await waitForIdleNodes('c1', 1);

  const byWorkspace = await client.clusters.listByWorkspace(rg, ws);
  expect(byWorkspace.map((c) => c.name)).toEqual(['c1']);
  // A local node has no SSH endpoint (a VM lists its address and port 22): the list is empty, and pages.
  expect(await client.clusters.listRemoteLoginInformation(rg, ws, 'c1')).toEqual([]);

  const usages = await client.usages.list('eastus');
  expect(usages.length).toBeGreaterThan(0);
  expect(usages[0].name?.value).toEqual(expect.any(String));
  const operations = await client.operations.list();
  expect(operations.map((o) => o.name)).toContain('Microsoft.BatchAI/workspaces/clusters/write');
  expect(await client.fileServers.listByWorkspace(rg, ws)).toHaveLength(0);
});

/** Waits until the cluster has `count` idle nodes. */
function waitForIdleNodes(cluster: string, count: number): Promise<void> {
  return waitForIdleClusterNodes(client, rg, ws, cluster, count);
}

/** Waits until `count` nodes finished their setup (idle, or unusable when the setup task failed). */
async function waitForSetNodes(
  cluster: string,
  count: number,
): Promise<BatchAIManagementModels.ClustersGetResponse> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const got = await client.clusters.get(rg, ws, cluster);
    const counts = got.nodeStateCounts;
    if ((counts?.idleNodeCount ?? 0) + (counts?.unusableNodeCount ?? 0) === count) return got;
    if (Date.now() > deadline) throw new Error(`cluster ${cluster}: ${JSON.stringify(counts)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function waitForJobState(job: string, states: string[]): Promise<BatchAIManagementModels.Job> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const got = await client.jobs.get(rg, ws, exp, job);
    if (states.includes(got.executionState ?? '')) return got;
    if (Date.now() > deadline) throw new Error(`job ${job}: ${got.executionState}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('a job created through the SDK runs; its files are listed page by page and download by their links', async () => {
  const created = await client.jobs.create(rg, ws, exp, 'hello', {
    cluster: { id: clusterId },
    nodeCount: 1,
    stdOutErrPathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/afs',
    mountVolumes: shareMount,
    outputDirectories: [{ id: 'MODEL', pathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/afs', pathSuffix: 'model' }],
    environmentVariables: [{ name: 'GREETING', value: 'hello from the SDK' }],
    constraints: { maxWallClockTime: 'PT1H' },
    jobPreparation: { commandLine: 'echo prepared > "$AZ_BATCHAI_JOB_TEMP/prepared"' },
    secrets: [{ name: 'TOKEN', value: 's3cr3t-t0ken' }],
    customToolkitSettings: {
      commandLine:
        'echo "$GREETING"; for i in 1 2 3 4 5; do echo part $i > "$AZ_BATCHAI_OUTPUT_MODEL/part-$i.txt"; done',
    },
  });
  expect(created.name).toBe('hello');
  expect(created.toolType).toBe('custom');
  expect(created.constraints?.maxWallClockTime).toBe('PT1H');
  expect(created.jobOutputDirectoryPathSegment).toEqual(expect.any(String));
  expect(created.schedulingPriority).toBe('normal');
  // Secrets are never returned.
  expect(created.secrets?.[0]).toEqual({ name: 'TOKEN' });

  const done = await waitForJobState('hello', ['succeeded', 'failed']);
  expect(done.executionState).toBe('succeeded');
  expect(done.executionInfo?.exitCode).toBe(0);
  expect(done.executionInfo?.startTime).toBeInstanceOf(Date);
  expect(done.executionInfo?.endTime).toBeInstanceOf(Date);

  const stdouterr = await client.jobs.listOutputFiles(rg, ws, exp, 'hello', {
    outputdirectoryid: 'stdouterr',
  });
  const stdout = stdouterr.find((f) => f.name === 'stdout.txt');
  expect(stdout?.fileType).toBe('file');
  expect(await (await fetch(stdout!.downloadUrl!)).text()).toBe('hello from the SDK\n');

  // Two files a page: the SDK follows nextLink.
  const firstPage = await client.jobs.listOutputFiles(rg, ws, exp, 'hello', {
    outputdirectoryid: 'MODEL',
    maxResults: 2,
  });
  expect(firstPage).toHaveLength(2);
  const names = firstPage.map((f) => f.name);
  let link = firstPage.nextLink;
  while (link) {
    const page = await client.jobs.listOutputFilesNext(link);
    names.push(...page.map((f) => f.name));
    link = page.nextLink;
  }
  expect(names.sort()).toEqual([1, 2, 3, 4, 5].map((i) => `part-${i}.txt`));

  const listed = await client.jobs.listByExperiment(rg, ws, exp);
  expect(listed.map((j) => j.name)).toEqual(['hello']);
  expect(listed[0].executionState).toBe('succeeded');
  const logins = await client.jobs.listRemoteLoginInformation(rg, ws, exp, 'hello');
  expect(Array.isArray(logins)).toBe(true);
});

test('terminate and delete through the SDK (long-running POST and DELETE)', async () => {
  await client.jobs.create(rg, ws, exp, 'long', {
    cluster: { id: clusterId },
    nodeCount: 1,
    stdOutErrPathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/afs',
    mountVolumes: shareMount,
    customToolkitSettings: { commandLine: 'sleep 600' },
  });
  await waitForJobState('long', ['running']);
  await client.jobs.terminate(rg, ws, exp, 'long');
  const ended = await client.jobs.get(rg, ws, exp, 'long');
  expect(ended.executionState).toBe('failed');
  await client.jobs.deleteMethod(rg, ws, exp, 'long');
  const gone = await refusal(client.jobs.get(rg, ws, exp, 'long'));
  expect(gone.statusCode).toBe(404);
  expect(gone.code).toBe('ResourceNotFound');
});

test('bad input is refused with a CloudError the SDK reads: code, and a message naming the field', async () => {
  const bad = await refusal(
    client.jobs.create(rg, ws, exp, 'bad', {
      cluster: { id: clusterId },
      nodeCount: 0,
      stdOutErrPathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/afs',
      customToolkitSettings: { commandLine: 'true' },
    }),
  );
  expect(bad.statusCode).toBe(400);
  expect(bad.message).toMatch(/nodeCount/);
  const missing = await refusal(client.clusters.get(rg, ws, 'nope'));
  expect(missing.statusCode).toBe(404);
});

const subnetId =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/nodes';
const sshKey =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7lZ3gVNoXb9hlJtfxxbVvlvgJ2IkBLjjMbUHt8x3ifSkWyW+8vg1Yph1 me@laptop';

test('a cluster with autoscale, node setup, image, SSH key and subnet round-trips; update changes its autoscale', async () => {
  const autoScale = { minimumNodeCount: 1, maximumNodeCount: 2, initialNodeCount: 1 };
  const imageReference = {
    publisher: 'microsoft-dsvm',
    offer: 'ubuntu-hpc',
    sku: '2204',
    version: 'latest',
  };
  const setupTask: BatchAIManagementModels.SetupTask = {
    // Fails, and leaves the node unusable, unless the node got the variable and the secret.
    commandLine: 'test "$SETUP_GREETING" = "set up" && test "${SETUP_KEY#setup-}" = s3cret',
    stdOutErrPathPrefix: '$AZ_BATCHAI_MOUNT_ROOT/afs',
    environmentVariables: [{ name: 'SETUP_GREETING', value: 'set up' }],
    secrets: [{ name: 'SETUP_KEY', value: 'setup-s3cret' }],
  };
  const created = await client.clusters.create(rg, ws, 'auto', {
    vmSize: 'STANDARD_D1_V2',
    vmPriority: 'dedicated',
    scaleSettings: { autoScale },
    virtualMachineConfiguration: { imageReference },
    nodeSetup: { setupTask, mountVolumes: shareMount },
    userAccountSettings: { adminUserName: 'me', adminUserSshPublicKey: sshKey },
    subnet: { id: subnetId },
  });
  const got = await waitForSetNodes('auto', 1);
  for (const cluster of [created, got]) {
    expect(cluster.vmSize).toBe('STANDARD_D1_V2');
    expect(cluster.vmPriority).toBe('dedicated');
    expect(cluster.scaleSettings).toEqual({ autoScale });
    expect(cluster.virtualMachineConfiguration).toEqual({ imageReference });
    expect(cluster.userAccountSettings).toEqual({ adminUserName: 'me', adminUserSshPublicKey: sshKey });
    expect(cluster.subnet).toEqual({ id: subnetId });
    expect(cluster.nodeSetup?.setupTask).toEqual({
      commandLine: setupTask.commandLine,
      stdOutErrPathPrefix: '$AZ_BATCHAI_MOUNT_ROOT/afs',
      environmentVariables: [{ name: 'SETUP_GREETING', value: 'set up' }],
      // Secrets come back with their names only; Batch AI adds where the setup task's output goes.
      secrets: [{ name: 'SETUP_KEY' }],
      stdOutErrPathSuffix: expect.stringMatching(/workspaces\/sdkws\/clusters\/auto\//),
    });
    // The storage account key is never returned.
    expect(cluster.nodeSetup?.mountVolumes?.azureFileShares?.[0]).toEqual({
      accountName: 'storageacct',
      azureFileUrl: 'https://storageacct.file.core.windows.net/logs',
      relativeMountPath: 'afs',
      credentials: {},
      fileMode: '0777',
      directoryMode: '0777',
    });
    expect(cluster.provisioningState).toBe('succeeded');
    expect(cluster.creationTime).toBeInstanceOf(Date);
    expect(cluster.provisioningStateTransitionTime).toBeInstanceOf(Date);
    expect(cluster.allocationStateTransitionTime).toBeInstanceOf(Date);
  }
  expect(got.allocationState).toBe('steady');
  expect(got.currentNodeCount).toBe(1);
  expect(got.nodeStateCounts).toEqual({
    idleNodeCount: 1,
    runningNodeCount: 0,
    preparingNodeCount: 0,
    unusableNodeCount: 0,
    leavingNodeCount: 0,
  });
  expect(JSON.stringify(got._response.parsedBody)).not.toMatch(/setup-s3cret|c2VjcmV0LWtleQ/);

  const updated = await client.clusters.update(rg, ws, 'auto', {
    scaleSettings: { autoScale: { minimumNodeCount: 0, maximumNodeCount: 3 } },
  });
  expect(updated.scaleSettings).toEqual({
    autoScale: { minimumNodeCount: 0, maximumNodeCount: 3, initialNodeCount: 0 },
  });
  expect((await client.clusters.get(rg, ws, 'auto')).scaleSettings?.autoScale?.maximumNodeCount).toBe(3);
  // update() without scale settings (the spec does not require them) changes nothing.
  expect((await client.clusters.update(rg, ws, 'auto')).scaleSettings).toEqual(updated.scaleSettings);
  expect(updated.subnet).toEqual({ id: subnetId });
  await client.clusters.deleteMethod(rg, ws, 'auto');
  expect((await refusal(client.clusters.get(rg, ws, 'auto'))).statusCode).toBe(404);
});

test("a setup task that fails leaves its node unusable and says so in the cluster's errors, per node", async () => {
  await client.clusters.create(rg, ws, 'broken', {
    vmSize: 'STANDARD_D1_V2',
    scaleSettings: { manual: { targetNodeCount: 1 } },
    nodeSetup: {
      setupTask: { commandLine: 'exit 7', stdOutErrPathPrefix: '$AZ_BATCHAI_MOUNT_ROOT/afs' },
      mountVolumes: shareMount,
    },
    userAccountSettings: { adminUserName: 'me', adminUserPassword: 'Passw0rd!' },
  });
  const deadline = Date.now() + 60_000;
  let got = await client.clusters.get(rg, ws, 'broken');
  while (!got.errors?.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    got = await client.clusters.get(rg, ws, 'broken');
  }
  expect(got.nodeStateCounts?.unusableNodeCount).toBe(1);
  expect(got.errors).toEqual([
    {
      code: 'NodeSetupTaskFailed',
      message: expect.stringContaining('failed on 1 node(s)'),
      details: [{ name: expect.any(String), value: expect.stringMatching(/^exit code 7/) }],
    },
  ]);
  await client.clusters.deleteMethod(rg, ws, 'broken');
});

test('a file server is created, read, listed and deleted through the SDK', async () => {
  const created = await client.fileServers.create(rg, ws, 'nfs', {
    vmSize: 'STANDARD_D2_V2',
    sshConfiguration: {
      publicIPsToAllow: ['10.0.0.0/8'],
      userAccountSettings: { adminUserName: 'nfsadmin', adminUserPassword: 'Fs-Passw0rd!' },
    },
    dataDisks: {
      diskSizeInGB: 10,
      diskCount: 2,
      storageAccountType: 'Standard_LRS',
      cachingType: 'readwrite',
    },
  });
  const got = await client.fileServers.get(rg, ws, 'nfs');
  for (const server of [created, got]) {
    expect(server.name).toBe('nfs');
    expect(server.type).toBe('Microsoft.BatchAI/FileServers');
    expect(server.vmSize).toBe('STANDARD_D2_V2');
    expect(server.sshConfiguration).toEqual({
      publicIPsToAllow: ['10.0.0.0/8'],
      userAccountSettings: { adminUserName: 'nfsadmin' },
    });
    expect(server.dataDisks).toEqual({
      diskSizeInGB: 10,
      diskCount: 2,
      storageAccountType: 'Standard_LRS',
      cachingType: 'readwrite',
    });
    expect(server.provisioningState).toBe('succeeded');
    expect(server.mountSettings?.mountPoint).toBe('/mnt/data');
    expect(server.mountSettings?.fileServerInternalIP).toEqual(expect.any(String));
    expect(server.creationTime).toBeInstanceOf(Date);
    expect(server.provisioningStateTransitionTime).toBeInstanceOf(Date);
  }
  expect(JSON.stringify(got._response.parsedBody)).not.toContain('Fs-Passw0rd!');
  expect((await client.fileServers.listByWorkspace(rg, ws)).map((f) => f.name)).toEqual(['nfs']);

  // Every kind of mount volume and performance counters, on a cluster without nodes: round trip, keys never shown.
  const appInsights = {
    id: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/mon/providers/Microsoft.Insights/components/ai',
  };
  const mounts = await client.clusters.create(rg, ws, 'mounts', {
    vmSize: 'STANDARD_D1_V2',
    vmPriority: 'lowpriority',
    scaleSettings: { manual: { targetNodeCount: 0, nodeDeallocationOption: 'waitforjobcompletion' } },
    userAccountSettings: { adminUserName: 'me', adminUserPassword: 'Passw0rd!' },
    nodeSetup: {
      mountVolumes: {
        azureBlobFileSystems: [
          {
            accountName: 'storageacct',
            containerName: 'data',
            relativeMountPath: 'blob',
            mountOptions: '-o ro',
            credentials: { accountKey: 'YmxvYi1rZXk=' },
          },
        ],
        fileServers: [
          {
            fileServer: { id: created.id! },
            relativeMountPath: 'nfs',
            sourceDirectory: 'shared',
            mountOptions: 'rw',
          },
        ],
        unmanagedFileSystems: [{ mountCommand: 'mount -t nfs 10.0.0.4:/data', relativeMountPath: 'other' }],
      },
      performanceCountersSettings: {
        appInsightsReference: { component: appInsights, instrumentationKey: 'ikey-0001' },
      },
    },
  });
  const mountsGot = await client.clusters.get(rg, ws, 'mounts');
  for (const cluster of [mounts, mountsGot]) {
    expect(cluster.vmPriority).toBe('lowpriority');
    expect(cluster.scaleSettings).toEqual({
      manual: { targetNodeCount: 0, nodeDeallocationOption: 'waitforjobcompletion' },
    });
    expect(cluster.nodeSetup).toEqual({
      mountVolumes: {
        azureBlobFileSystems: [
          {
            accountName: 'storageacct',
            containerName: 'data',
            relativeMountPath: 'blob',
            mountOptions: '-o ro',
            credentials: {},
          },
        ],
        fileServers: [
          {
            fileServer: { id: created.id },
            relativeMountPath: 'nfs',
            sourceDirectory: 'shared',
            mountOptions: 'rw',
          },
        ],
        unmanagedFileSystems: [{ mountCommand: 'mount -t nfs 10.0.0.4:/data', relativeMountPath: 'other' }],
      },
      performanceCountersSettings: { appInsightsReference: { component: appInsights } },
    });
    expect(cluster.currentNodeCount).toBe(0);
  }
  expect(JSON.stringify(mountsGot._response.parsedBody)).not.toMatch(/YmxvYi1rZXk|ikey-0001|Passw0rd/);
  await client.clusters.deleteMethod(rg, ws, 'mounts');

  await client.fileServers.deleteMethod(rg, ws, 'nfs');
  const gone = await refusal(client.fileServers.get(rg, ws, 'nfs'));
  expect(gone.statusCode).toBe(404);
  expect(await client.fileServers.listByWorkspace(rg, ws)).toHaveLength(0);
});

test('conflicting and invalid requests are CloudErrors with a code and the field; missing parents are 404', async () => {
  // A PUT that changes an immutable property of an existing cluster.
  const changed = await refusal(
    client.clusters.create(rg, ws, 'c1', {
      vmSize: 'STANDARD_NC6',
      scaleSettings: { manual: { targetNodeCount: 1 } },
      userAccountSettings: { adminUserName: 'me', adminUserPassword: 'Passw0rd!' },
    }),
  );
  expect(changed.statusCode).toBe(409);
  expect(changed.code).toBe('PropertyChangeNotAllowed');
  expect(changed.message).toMatch(/vmSize/);

  // The SDK checks enums itself; bounds that contradict each other reach the service.
  const badBounds = await refusal(
    client.clusters.create(rg, ws, 'badscale', {
      vmSize: 'STANDARD_D1_V2',
      scaleSettings: { autoScale: { minimumNodeCount: 3, maximumNodeCount: 2 } },
      userAccountSettings: { adminUserName: 'me', adminUserPassword: 'Passw0rd!' },
    }),
  );
  expect(badBounds.statusCode).toBe(400);
  expect(badBounds.code).toEqual(expect.any(String));
  expect(badBounds.message).toMatch(/scaleSettings\.autoScale\.maximumNodeCount/);

  const twoToolkits = await refusal(
    client.jobs.create(rg, ws, exp, 'two', {
      cluster: { id: clusterId },
      nodeCount: 1,
      stdOutErrPathPrefix: '$AZ_BATCHAI_MOUNT_ROOT/logs',
      customToolkitSettings: { commandLine: 'true' },
      caffe2Settings: { pythonScriptFilePath: 'train.py' },
    }),
  );
  expect(twoToolkits.statusCode).toBe(400);
  expect(twoToolkits.code).toBe('InvalidToolkit');
  expect(twoToolkits.message).toMatch(/customToolkitSettings/);

  // This deployment reads no Key Vault: a secret reference is refused, never dropped, naming the reference.
  const vaultReference = await refusal(
    client.jobs.create(rg, ws, exp, 'vault', {
      cluster: { id: clusterId },
      nodeCount: 1,
      stdOutErrPathPrefix: '$AZ_BATCHAI_MOUNT_ROOT/logs',
      customToolkitSettings: { commandLine: 'true' },
      secrets: [
        {
          name: 'TOKEN',
          valueSecretReference: {
            sourceVault: {
              id: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/kv/providers/Microsoft.KeyVault/vaults/team',
            },
            secretUrl: 'https://team.vault.azure.net/secrets/token',
          },
        },
      ],
    }),
  );
  expect(vaultReference.statusCode).toBe(400);
  expect(vaultReference.code).toEqual(expect.any(String));
  expect(vaultReference.message).toMatch(/secrets\[0\]\.valueSecretReference/);

  const noCluster = await refusal(
    client.jobs.create(rg, ws, exp, 'orphan', {
      cluster: { id: `${workspacePath(rg, ws)}/clusters/nope` },
      nodeCount: 1,
      stdOutErrPathPrefix: '$AZ_BATCHAI_MOUNT_ROOT/logs',
      customToolkitSettings: { commandLine: 'true' },
    }),
  );
  expect(noCluster.statusCode).toBe(400);
  expect(noCluster.code).toBe('InvalidResourceReference');
  expect(noCluster.message).toMatch(/cluster/);

  const noExperiment = await refusal(
    client.jobs.create(rg, ws, 'noexp', 'j', {
      cluster: { id: clusterId },
      nodeCount: 1,
      stdOutErrPathPrefix: '$AZ_BATCHAI_MOUNT_ROOT/logs',
      customToolkitSettings: { commandLine: 'true' },
    }),
  );
  expect(noExperiment.statusCode).toBe(404);
  expect(noExperiment.code).toBe('ParentResourceNotFound');
  expect(noExperiment.message).toMatch(/noexp/);
  // Deleting what does not exist is a 204 the poller accepts; under a missing parent, a 404.
  await client.clusters.deleteMethod(rg, ws, 'never-created');
  const deleteOrphan = await refusal(client.jobs.deleteMethod(rg, ws, 'noexp', 'j'));
  expect(deleteOrphan.statusCode).toBe(404);
  expect(deleteOrphan.code).toBe('ParentResourceNotFound');
  const noWorkspace = await refusal(
    client.clusters.create(rg, 'nows', 'c', {
      vmSize: 'STANDARD_D1_V2',
      userAccountSettings: { adminUserName: 'me', adminUserPassword: 'Passw0rd!' },
    }),
  );
  expect(noWorkspace.statusCode).toBe(404);
  expect((await refusal(client.experiments.listByWorkspace(rg, 'nows'))).statusCode).toBe(404);
  expect((await refusal(client.jobs.listByExperiment(rg, ws, 'noexp'))).statusCode).toBe(404);
  expect((await refusal(client.fileServers.get(rg, 'nows', 'nfs'))).statusCode).toBe(404);
});

test('scale a cluster, then delete everything (workspace delete cascades)', async () => {
  const scaled = await client.clusters.update(rg, ws, 'c1', {
    scaleSettings: { manual: { targetNodeCount: 2 } },
  });
  expect(scaled.scaleSettings?.manual?.targetNodeCount).toBe(2);
  await waitForIdleNodes('c1', 2);
  await client.clusters.deleteMethod(rg, ws, 'c1');
  expect((await refusal(client.clusters.get(rg, ws, 'c1'))).statusCode).toBe(404);
  await client.experiments.deleteMethod(rg, ws, exp);
  await client.workspaces.deleteMethod(rg, ws);
  expect((await refusal(client.workspaces.get(rg, ws))).statusCode).toBe(404);
});
