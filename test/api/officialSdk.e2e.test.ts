// The product's first promise: clients written for Batch AI work with only the endpoint changed. This test drives
// the whole resource model through Microsoft's own generated SDK for Batch AI 2018-05-01 (`@azure/arm-batchai`
// 2.2.1, the last release, on its ms-rest-azure-js pipeline: its serializers, its long-running operation poller,
// its paging and its CloudError parsing) against the real local stack, with a job that really runs on a local node.
// Needs `npx tsc -p tsconfig.json` first.
import { BatchAIManagementClient } from '@azure/arm-batchai';
import type { BatchAIManagementModels } from '@azure/arm-batchai';
import { TokenCredentials } from '@azure/ms-rest-js';
import { startJobTestBed, type JobTestBed } from '../jobs/support/jobTestBed';
import { SUB, workspacePath } from './apiClient';

const rg = 'sdkrg';
const ws = 'sdkws';
const exp = 'sdkexp';
const clusterId = `${workspacePath(rg, ws)}/clusters/c1`;

let bed: JobTestBed;
let client: BatchAIManagementClient;

beforeAll(async () => {
  bed = await startJobTestBed({ JOB_NODE_CHECK_SECONDS: '1' });
  // Locally AUTH_MODE=none: the token is sent and not checked. Polling every 100 ms instead of the SDK's 30 s.
  client = new BatchAIManagementClient(new TokenCredentials('local'), SUB, {
    baseUri: `${bed.env.baseUrl}/api`,
    longRunningOperationRetryTimeout: 0.1,
  });
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

async function waitForIdleNodes(cluster: string, count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const got = await client.clusters.get(rg, ws, cluster);
    if (got.nodeStateCounts?.idleNodeCount === count) return;
    if (Date.now() > deadline) throw new Error(`cluster ${cluster}: ${JSON.stringify(got.nodeStateCounts)}`);
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
