// Acceptance tests of the Batch AI resource API through the real local host over HTTP (the repo's own app, with
// Azurite and the Cosmos emulator): spec examples replayed, recipes submitted, validation, paging, concurrency,
// cascading delete and secrets (a Key Vault reference read from the Key Vault fake with the app's identity through
// the IMDS fake). Needs `npx tsc -p tsconfig.json` first (the host runs dist/).
import { CosmosClient } from '@azure/cosmos';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import https from 'https';
import * as path from 'path';
import type { AccessToken } from '@azure/core-auth';
import { createSecretClient } from '../../shared/adapters/compute/keyVaultNodeKeys';
import { startImdsFake, type ImdsFake } from '../../runtime/fakes/imdsFake';
import { startKeyVaultFake, type KeyVaultFake } from '../../runtime/fakes/keyVaultFake';
import { loadLoopbackCertificate } from '../../runtime/fakes/loopbackCertificate';
import { startTestEnvironment, waitFor, type TestEnvironment } from '../support/testEnvironment';
import { ApiClient, SUB, workspacePath } from './apiClient';

// Versioned copies of the Batch AI spec examples and recipes' job.json files (see test/fixtures/batchai/README.md).
const reference = path.join(__dirname, '..', 'fixtures', 'batchai');
const examplesDir = path.join(reference, 'spec-examples');
const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

let env: TestEnvironment;
let vault: KeyVaultFake;
let imds: ImdsFake;
const appClientId = '6f1d3c2a-0b9e-4f7d-8a55-1c2b3d4e5f60';
/** The value behind the job's Key Vault reference: sealed like the others, never shown. */
const vaultSecret = 'kv-held-v4lue';
let api: ApiClient;

beforeAll(async () => {
  [vault, imds] = await Promise.all([
    startKeyVaultFake({ tokens: { owner: 'secretsOfficer', 'app-identity': 'secretsUser' } }),
    startImdsFake({ identityTokens: { [appClientId]: 'app-identity' } }),
  ]);
  const owner = createSecretClient({
    vaultUrl: vault.vaultUrl,
    credential: {
      getToken: async (): Promise<AccessToken> => ({
        token: 'owner',
        expiresOnTimestamp: Date.now() + 3_600_000,
      }),
    },
    trustedCertificate: vault.certificate,
  });
  await owner.setSecret('job-token', vaultSecret);
  env = await startTestEnvironment({
    settings: {
      SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      KEY_VAULT_REFERENCE_HOSTS: new URL(vault.vaultUrl).host,
      KEY_VAULT_REFERENCE_CA_FILE: loadLoopbackCertificate().certificateFile,
      KEY_VAULT_REFERENCE_IMDS_URL: imds.baseUrl,
      AZURE_CLIENT_ID: appClientId,
    },
  });
  api = new ApiClient(env.baseUrl);
}, 120_000);

afterAll(async () => {
  await env?.stop();
  await Promise.all([vault?.stop(), imds?.stop()]);
});

function example(name: string): {
  parameters: Record<string, unknown>;
  responses: Record<string, { body?: Record<string, unknown> }>;
} {
  return JSON.parse(fs.readFileSync(path.join(examplesDir, `${name}.json`), 'utf8'));
}

/**
 * Compares an example's body with ours: user-given values exactly, server-generated times by shape. `deviations`
 * lists paths where the example shows what only a running system has (nodes allocated, a job running) or where
 * the example contradicts its own request (documented in docs/api.md).
 */
function compareWithExample(
  expected: unknown,
  actual: unknown,
  at: string,
  deviations: Record<string, string>,
): void {
  if (at in deviations) return;
  if (/(creationTime|TransitionTime|startTime)$/.test(at)) {
    expect(typeof actual === 'string' && iso.test(actual) ? 'iso time' : `${at}: ${String(actual)}`).toBe(
      'iso time',
    );
    return;
  }
  // Live values: how far the local nodes and the job lifecycle got when the response was read.
  if (/NodeCount$/.test(at)) {
    expect({ at, count: Number.isInteger(actual) && (actual as number) >= 0 }).toEqual({ at, count: true });
    return;
  }
  if (at.endsWith('properties.allocationState')) {
    expect(['steady', 'resizing']).toContain(actual);
    return;
  }
  if (at.endsWith('properties.executionState')) {
    expect(['queued', 'running', 'terminating', 'succeeded', 'failed']).toContain(actual);
    return;
  }
  if (at.endsWith('jobOutputDirectoryPathSegment')) {
    expect(String(actual)).toMatch(
      /^[^/]+\/[^/]+\/workspaces\/[^/]+\/experiments\/[^/]+\/jobs\/[^/]+\/[0-9a-f-]{36}$/,
    );
    return;
  }
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    expect({ at, type: typeof actual }).toEqual({ at, type: 'object' });
    for (const [key, value] of Object.entries(expected)) {
      compareWithExample(value, (actual as Record<string, unknown>)[key], `${at}.${key}`, deviations);
    }
    return;
  }
  if (Array.isArray(expected)) {
    expect({ at, length: (actual as unknown[]).length }).toEqual({ at, length: expected.length });
    expected.forEach((item, i) =>
      compareWithExample(item, (actual as unknown[])[i], `${at}[${i}]`, deviations),
    );
    return;
  }
  expect({ at, value: actual }).toEqual({ at, value: expected });
}

describe('spec examples replayed', () => {
  const rg = 'demo_resource_group';
  const ws = workspacePath(rg, 'demo_workspace');
  // Honest differences: node counts, allocation and execution states are live (compared by shape above); no file
  // server VM exists to report mount settings; the examples' own inconsistencies (a misspelt name, ids naming other
  // resources) are listed too.
  const deviations: Record<string, string> = {
    'body.name': 'PutWorkspace example answers "demo_worksapce" (typo) for demo_workspace',
    'body.properties.subnet': 'the example response invents a subnet that the request did not give',
    'body.properties.mountSettings': 'no file server VM is provisioned yet',
    'body.properties.executionInfo': 'live: present once the job started on a local node',
    'body.type': 'PutJob example says Microsoft.BatchAI/Job, GetJob Microsoft.BatchAI/Jobs',
    'body.id': 'compared case-insensitively below (examples mix fileservers/fileServers)',
  };

  /**
   * The PutCluster example mounts a file server 'fileservercedd134b' of workspace 'demo_workspaces' (sic): a cluster
   * may mount only its own workspace's file servers, so the example is replayed with its own workspace there.
   */
  const ownWorkspace = <T>(value: T): T =>
    JSON.parse(
      JSON.stringify(value).replaceAll('/workspaces/demo_workspaces/', '/workspaces/demo_workspace/'),
    ) as T;

  const steps: [string, string, string, number][] = [
    ['PutWorkspace', 'PUT', ws, 200],
    ['PatchWorkspace', 'PATCH', ws, 200],
    ['GetWorkspace', 'GET', ws, 200],
    ['PutExperiment', 'PUT', `${ws}/experiments/demo_experiment`, 200],
    ['GetExperiment', 'GET', `${ws}/experiments/demo_experiment`, 200],
    ['PutFileServer', 'PUT', `${ws}/fileServers/demo_nfs`, 200],
    ['GetFileServer', 'GET', `${ws}/fileServers/demo_nfs`, 200],
    ['PutCluster', 'PUT', `${ws}/clusters/demo_cluster`, 200],
    ['GetCluster', 'GET', `${ws}/clusters/demo_cluster`, 200],
    ['PatchCluster', 'PATCH', `${ws}/clusters/demo_cluster`, 200],
    ['PutJob', 'PUT', `${ws}/experiments/demo_experiment/jobs/demo_job`, 200],
    ['GetJob', 'GET', `${ws}/experiments/demo_experiment/jobs/demo_job`, 200],
  ];

  test.each(steps)('%s answers like the example', async (name, method, resourcePath) => {
    const ex = ownWorkspace(example(name));
    if (name === 'PutCluster')
      await api.put(`${ws}/fileServers/fileservercedd134b`, example('PutFileServer').parameters.parameters);
    let response;
    if (method === 'PUT') {
      const first = await api.send('PUT', resourcePath, ex.parameters.parameters);
      expect(first.status).toBe(202);
      expect(first.headers.get('location')).toContain('/operationresults/');
      expect((await api.waitForOperation(first)).status).toBe('Succeeded');
      response = await api.send('GET', resourcePath);
    } else {
      response = await api.send(method, resourcePath, ex.parameters.parameters);
    }
    expect(response.status).toBe(200);
    const expected = ex.responses['200'].body!;
    const dev = { ...deviations };
    if (name === 'PatchCluster')
      dev['body.properties.nodeSetup'] =
        'the example PATCH response drops the fileServers mount it was created with';
    if (name === 'GetJob')
      dev['body.properties.cluster.id'] = 'the GetJob example shows a 2018-03-01 style cluster id';
    if (name === 'GetCluster')
      dev['body.properties.nodeSetup.mountVolumes.fileServers'] =
        'the GetCluster example mounts a file server of another workspace than PutCluster';
    compareWithExample(expected, response.body, 'body', dev);
    // The examples' names contradict their requests in places (demo_worksapce, fileservercedd134b): the request wins.
    expect(String(response.body.name).toLowerCase()).toBe(resourcePath.split('/').pop()!.toLowerCase());
    expect(String(response.body.id).toLowerCase()).toBe(`${resourcePath}`.toLowerCase());
    expect(response.headers.get('x-ms-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  test.each([
    ['ListExperimentByWorkspace', `${ws}/experiments`],
    ['ListFileServerByWorkspace', `${ws}/fileServers`],
    ['ListClusterByWorkspace', `${ws}/clusters`],
    ['ListJobByExperiment', `${ws}/experiments/demo_experiment/jobs`],
    [
      'ListWorkspaceByResourceGroup',
      `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.BatchAI/workspaces`,
    ],
  ])('%s lists the created resources', async (name, listPath) => {
    const response = await api.send('GET', listPath);
    expect(response.status).toBe(200);
    const names = (response.body.value as { name: string; type: string }[]).map((v) => v.name);
    const expected = (example(name).responses['200'].body!.value as { name: string; type: string }[]).map(
      (v) => v.name,
    );
    const notCreatedByTheExamples = [
      'demo_worksapce',
      'demo_workspace2',
      'fileservercedd134b',
      'demo_workspace3',
    ];
    for (const n of expected.filter((n) => !notCreatedByTheExamples.includes(n))) expect(names).toContain(n);
  });

  test('ListOperation, ListUsages and remote login examples', async () => {
    const ops = await api.send('GET', '/providers/Microsoft.BatchAI/operations');
    expect(ops.body.value).toEqual(example('ListOperation').responses['200'].body!.value);
    const usages = await api.send(
      'GET',
      `/subscriptions/${SUB}/providers/Microsoft.BatchAI/locations/eastus/usages`,
    );
    const clusters = (
      usages.body.value as { name: { value: string }; currentValue: number; unit: string }[]
    ).find((u) => u.name.value === 'Clusters');
    expect(clusters).toMatchObject({ unit: 'Count', currentValue: 1 });
    const logins = await api.send('POST', `${ws}/clusters/demo_cluster/listRemoteLoginInformation`);
    expect(logins.status).toBe(200);
    expect(Array.isArray(logins.body.value)).toBe(true); // local nodes have no remote login
    // The example cluster's node may start and run the example job by now, or not yet: either answer is checked.
    const started = Boolean(
      (
        (await api.send('GET', `${ws}/experiments/demo_experiment/jobs/demo_job`)).body.properties as {
          executionInfo?: { startTime?: string };
        }
      ).executionInfo?.startTime,
    );
    const listStdOutErr = async (): Promise<{ body: Record<string, unknown>; names: string[] }> => {
      const files = await api.send(
        'POST',
        api.url(`${ws}/experiments/demo_experiment/jobs/demo_job/listOutputFiles`, {
          outputdirectoryid: 'stdouterr',
        }),
      );
      const value = files.body.value as { name: string; fileType: string; downloadUrl?: string }[];
      return { body: files.body, names: value.map((f) => f.name).sort() };
    };
    const first = await listStdOutErr();
    if (!started && first.names.length === 0) {
      expect(first.body).toEqual({ value: [] });
    } else {
      // Started = granted its node; the node agent creates the log files when it takes the task, a moment later.
      const names = await waitFor('the started job to have its stdout and stderr', async () => {
        const listed = (await listStdOutErr()).names;
        return listed.includes('stdout.txt') && listed.includes('stderr.txt') ? listed : undefined;
      });
      expect(names).toEqual(expect.arrayContaining(['stderr.txt', 'stdout.txt']));
    }
  });

  test('TerminateJob, then the Delete examples with cascades', async () => {
    const job = `${ws}/experiments/demo_experiment/jobs/demo_job`;
    const terminate = await api.send('POST', `${job}/terminate`);
    expect(terminate.status).toBe(202);
    expect((await api.waitForOperation(terminate)).status).toBe('Succeeded');
    const terminated = await api.send('GET', job);
    // Terminated, unless the example job ran to its end first (the example cluster's node may have started it).
    const properties = terminated.body.properties as { executionState: string };
    if (properties.executionState === 'succeeded')
      expect(properties).toMatchObject({ executionInfo: { exitCode: 0 } });
    else {
      expect(properties).toMatchObject({
        executionState: 'failed',
        executionInfo: { errors: [{ code: 'JobTerminated' }] },
      });
    }
    for (const target of [
      job,
      `${ws}/experiments/demo_experiment`,
      `${ws}/clusters/demo_cluster`,
      `${ws}/fileServers/demo_nfs`,
      ws,
    ]) {
      const deleted = await api.send('DELETE', target);
      expect(deleted.status).toBe(202);
      expect((await api.waitForOperation(deleted)).status).toBe('Succeeded');
      expect((await api.send('GET', target)).status).toBe(404);
      expect((await api.send('DELETE', target)).status).toBe(204);
    }
  });
});

describe('behaviour beyond the examples', () => {
  const rg = 'rg_behaviour';
  const ws = workspacePath(rg, 'ws1');
  const cluster = `${ws}/clusters/gpu`;
  const clusterId = `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.BatchAI/workspaces/ws1/clusters/gpu`;
  const secretValues = [
    's3cr3t-env-value',
    'registry-p4ssword',
    'storage-key-AAAA==',
    'admin-p4ssword',
    'nfs-admin-p4ss',
  ];

  beforeAll(async () => {
    await api.put(ws, { location: 'westus2' });
    await api.put(`${ws}/experiments/exp`, undefined);
    await api.put(cluster, {
      properties: {
        vmSize: 'STANDARD_NC6',
        scaleSettings: { manual: { targetNodeCount: 2 } },
        userAccountSettings: { adminUserName: 'me', adminUserPassword: secretValues[3] },
      },
    });
  });

  /** Fills a recipe as `az batchai job create` did: storage account placeholders, credentials, accountName. */
  function recipeJob(file: string): { properties: Record<string, unknown> } {
    const text = fs.readFileSync(file, 'utf8').replace(/<AZURE_BATCHAI_STORAGE_ACCOUNT>/g, 'teststorage');
    const job = JSON.parse(text) as { properties: Record<string, unknown> };
    const volumes = job.properties.mountVolumes as Record<string, Record<string, unknown>[]> | undefined;
    for (const share of volumes?.azureFileShares ?? []) {
      share.accountName ??= 'teststorage';
      share.credentials ??= { accountKey: secretValues[2] };
    }
    for (const blob of volumes?.azureBlobFileSystems ?? [])
      blob.credentials ??= { accountKey: secretValues[2] };
    job.properties.cluster = { id: clusterId };
    return job;
  }

  const recipes = fs
    .readdirSync(path.join(reference, 'recipes'), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('job.json'));

  test.each(recipes)('recipe %s is created with its toolkit and settings preserved', async (file) => {
    const job = recipeJob(path.join(reference, 'recipes', file));
    const name = file
      .split('/')
      .slice(-2, -1)[0]
      .replace(/[^-\w]/g, '_')
      .slice(0, 64);
    await api.put(`${ws}/experiments/exp/jobs/${name}`, job);
    const got = await api.send('GET', `${ws}/experiments/exp/jobs/${name}`);
    const props = got.body.properties as Record<string, unknown>;
    const given = job.properties as Record<string, unknown>;
    const toolkit = Object.keys(given).find((k) => k.endsWith('Settings') && k !== 'containerSettings')!;
    expect(props[toolkit]).toMatchObject(given[toolkit] as object);
    expect(props).toMatchObject({
      nodeCount: given.nodeCount,
      executionState: 'queued',
      stdOutErrPathPrefix: given.stdOutErrPathPrefix,
    });
    if (given.containerSettings) expect(props.containerSettings).toEqual(given.containerSettings);
    if (given.outputDirectories) expect(props.outputDirectories).toEqual(given.outputDirectories);
    expect(got.text).not.toContain(secretValues[2]);
  });

  test.each([
    [
      'a required property',
      {
        properties: { nodeCount: 1, stdOutErrPathPrefix: '/x', customToolkitSettings: { commandLine: 'x' } },
      },
      'properties.cluster',
    ],
    [
      'a wrong type',
      {
        properties: {
          cluster: { id: clusterId },
          nodeCount: 'one',
          stdOutErrPathPrefix: '/x',
          customToolkitSettings: {},
        },
      },
      'properties.nodeCount',
    ],
    [
      'an enum',
      {
        properties: {
          cluster: { id: clusterId },
          nodeCount: 1,
          stdOutErrPathPrefix: '/x',
          customToolkitSettings: {},
          schedulingPriority: 'urgent',
        },
      },
      'properties.schedulingPriority',
    ],
    [
      'two toolkits',
      {
        properties: {
          cluster: { id: clusterId },
          nodeCount: 1,
          stdOutErrPathPrefix: '/x',
          customToolkitSettings: {},
          horovodSettings: { pythonScriptFilePath: 'a.py' },
        },
      },
      'properties',
    ],
    [
      'a missing cluster',
      {
        properties: {
          cluster: { id: clusterId.replace('gpu', 'nope') },
          nodeCount: 1,
          stdOutErrPathPrefix: '/x',
          customToolkitSettings: {},
        },
      },
      'properties.cluster.id',
    ],
    [
      'a secret with value and reference',
      {
        properties: {
          cluster: { id: clusterId },
          nodeCount: 1,
          stdOutErrPathPrefix: '/x',
          customToolkitSettings: {},
          secrets: [
            {
              name: 'A',
              value: 'v',
              valueSecretReference: { sourceVault: { id: 'kv' }, secretUrl: 'https://kv/s' },
            },
          ],
        },
      },
      'properties.secrets[0].value',
    ],
    [
      'a Key Vault reference outside the vaults this deployment reads (never dropped silently)',
      {
        properties: {
          cluster: { id: clusterId },
          nodeCount: 1,
          stdOutErrPathPrefix: '/x',
          customToolkitSettings: {},
          secrets: [
            {
              name: 'A',
              valueSecretReference: {
                sourceVault: {
                  id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv',
                },
                secretUrl: 'https://kv.vault.azure.net/secrets/a',
              },
            },
          ],
        },
      },
      'properties.secrets[0].valueSecretReference',
    ],
    [
      "another workspace's cluster (refused whether it exists or not: roles are per workspace)",
      {
        properties: {
          cluster: { id: clusterId.replace('/workspaces/ws1/', '/workspaces/ws2/') },
          nodeCount: 1,
          stdOutErrPathPrefix: '/x',
          customToolkitSettings: {},
        },
      },
      'properties.cluster.id',
    ],
    [
      "another workspace's file server",
      {
        properties: {
          cluster: { id: clusterId },
          nodeCount: 1,
          stdOutErrPathPrefix: '/x',
          customToolkitSettings: {},
          mountVolumes: {
            fileServers: [
              {
                fileServer: {
                  id: clusterId.replace('/workspaces/ws1/clusters/gpu', '/workspaces/ws2/fileServers/fs'),
                },
                relativeMountPath: 'nfs',
              },
            ],
          },
        },
      },
      'properties.mountVolumes.fileServers[0].fileServer.id',
    ],
    [
      "a '..' in an output directory's suffix (its files would be listed outside the job's folder)",
      {
        properties: {
          cluster: { id: clusterId },
          nodeCount: 1,
          stdOutErrPathPrefix: '/x',
          customToolkitSettings: {},
          outputDirectories: [{ id: 'M', pathPrefix: '/x', pathSuffix: 'model/../../../../other' }],
        },
      },
      'properties.outputDirectories[0].pathSuffix',
    ],
    [
      "a '..' in stdOutErrPathPrefix",
      {
        properties: {
          cluster: { id: clusterId },
          nodeCount: 1,
          stdOutErrPathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/afs/..',
          customToolkitSettings: {},
        },
      },
      'properties.stdOutErrPathPrefix',
    ],
  ])('a job body with %s is a 400 naming the field', async (_label, body, target) => {
    const response = await api.send('PUT', `${ws}/experiments/exp/jobs/invalid`, body);
    expect(response.status).toBe(400);
    expect((response.body.error as { target: string }).target).toBe(target);
  });

  test('names, ranges, api-version and malformed JSON are 400s, never 500s', async () => {
    expect((await api.send('PUT', `${ws}/experiments/bad.name`, undefined)).body.error).toMatchObject({
      target: 'experimentName',
    });
    expect(
      (await api.send('GET', api.url(`${ws}/experiments`, { maxresults: '0' }))).body.error,
    ).toMatchObject({ target: 'maxresults' });
    const files = await api.send(
      'POST',
      api.url(`${ws}/experiments/exp/jobs/x/listOutputFiles`, {
        outputdirectoryid: 'stdouterr',
        linkexpiryinminutes: '601',
      }),
    );
    expect(files.body.error).toMatchObject({ target: 'linkexpiryinminutes' });
    expect(
      (await api.send('GET', api.url(ws, { 'api-version': '2017-09-01-preview' }))).body.error,
    ).toMatchObject({ code: 'InvalidApiVersionParameter' });
    // As Resource Manager reads it: the parameter's name in any case.
    expect((await api.send('GET', `${api.baseUrl}/api${ws}?API-VERSION=2018-05-01`)).status).toBe(200);
    const malformed = await api.send('PUT', `${ws}/clusters/c2`, undefined, {}, '{"properties": {"vmSize": ');
    expect(malformed.status).toBe(400);
    // A body in another media type (curl -d without a content type sends a form) is a 415 naming the header; JSON
    // with a charset, a +json type, or no declared type is read.
    const form = await api.send(
      'PUT',
      `${ws}/experiments/formexp`,
      undefined,
      {
        'content-type': 'application/x-www-form-urlencoded',
      },
      '{}',
    );
    expect(form.status).toBe(415);
    expect(form.body.error).toMatchObject({ code: 'UnsupportedMediaType', target: 'Content-Type' });
    expect((await api.send('GET', `${ws}/experiments/formexp`)).status).toBe(404);
    for (const type of ['application/json; charset=utf-8', 'application/merge-patch+json', 'TEXT/JSON']) {
      const put = await api.send('PUT', `${ws}/experiments/typed`, undefined, { 'content-type': type }, '{}');
      expect(put.status).toBeLessThan(300);
    }
    expect((await api.send('GET', `${workspacePath(rg, 'missing')}/clusters/x`)).body.error).toMatchObject({
      code: 'ParentResourceNotFound',
    });
    // A location is a region's name: it goes into operation URLs and headers.
    const longLocation = await api.send('PUT', workspacePath(rg, 'farfaraway'), {
      location: 'x'.repeat(100_000),
    });
    expect(longLocation.status).toBe(400);
    expect(longLocation.body.error).toMatchObject({ code: 'InvalidLocation', target: 'location' });
    // An operation id that is not a GUID names no operation (never a 500 from the store's refusal).
    for (const id of ['a%23b', 'a%5Cb', 'nope']) {
      const status = await api.send(
        'GET',
        `/subscriptions/${SUB}/providers/Microsoft.BatchAI/locations/eastus/operationstatuses/${id}`,
      );
      expect(status.status).toBe(404);
      expect(status.body.error).toMatchObject({ code: 'ResourceNotFound' });
    }
    // A create answered at once has a sealed id saying what it was: it answers Succeeded and its resource; the
    // same id altered, or made up for another resource, names nothing.
    const created = await api.send('PUT', `${ws}/experiments/sealedop`, {});
    expect(created.status).toBe(202);
    const statusUrl = new URL(created.headers.get('azure-asyncoperation')!);
    const sealedId = statusUrl.pathname.split('/').at(-1)!;
    expect(sealedId).toMatch(/^done1\.[\w-]+\.[\w-]+$/);
    expect((await api.send('GET', statusUrl.href)).body).toMatchObject({
      name: sealedId,
      status: 'Succeeded',
    });
    const resultUrl = new URL(created.headers.get('location')!);
    expect((await api.send('GET', resultUrl.href)).body).toMatchObject({
      name: 'sealedop',
    });
    const [, text, seal] = sealedId.split('.');
    const description = JSON.parse(Buffer.from(text, 'base64url').toString()) as string[];
    description[8] = 'another';
    const forged = `done1.${Buffer.from(JSON.stringify(description)).toString('base64url')}.${seal}`;
    for (const id of [forged, `done1.${text}.${seal.slice(0, -4)}AAAA`]) {
      const status = await api.send(
        'GET',
        `/subscriptions/${SUB}/providers/Microsoft.BatchAI/locations/eastus/operationstatuses/${id}`,
      );
      expect(status.status).toBe(404);
    }
    // A page token the store refuses is the caller's error.
    for (const token of ['abc', '%00', Buffer.from('{"x":1}').toString('base64url')]) {
      const page = await api.send(
        'GET',
        `${api.url(`${ws}/experiments`, { maxresults: '1' })}&$skiptoken=${token}`,
      );
      expect(page.status).toBe(400);
      expect(page.body.error).toMatchObject({ target: '$skiptoken' });
    }
  });

  test("If-Match '*' on PATCH means any existing resource; a stale ETag is still refused", async () => {
    const any = await api.send('PATCH', ws, { tags: { owner: 'me' } }, { 'if-match': '*' });
    expect(any.status).toBe(200);
    const stale = await api.send('PATCH', ws, { tags: { owner: 'you' } }, { 'if-match': '"not-the-etag"' });
    expect(stale.status).toBe(412);
  });

  test('PUT and DELETE honour If-Match and If-None-Match', async () => {
    const exp = `${ws}/experiments/conditional`;
    // If-Match names an existing resource: a PUT that would create is refused, and nothing is created.
    expect((await api.send('PUT', exp, {}, { 'if-match': '*' })).status).toBe(412);
    expect((await api.send('GET', exp)).status).toBe(404);
    // If-None-Match '*' creates only: the first PUT creates, the repeated one is refused.
    const created = await api.send('PUT', exp, {}, { 'if-none-match': '*' });
    expect(created.status).toBeLessThan(300);
    const again = await api.send('PUT', exp, {}, { 'if-none-match': '*' });
    expect(again.status).toBe(412);
    expect(again.body.error).toMatchObject({ code: 'PreconditionFailed' });
    const etag = (await api.send('GET', exp)).headers.get('etag')!;
    expect(etag).toBeTruthy();
    expect((await api.send('PUT', exp, {}, { 'if-match': etag })).status).toBe(200);
    // A DELETE with a stale ETag leaves the resource; with the current one it goes.
    expect((await api.send('DELETE', exp, undefined, { 'if-match': '"stale"' })).status).toBe(412);
    expect((await api.send('GET', exp)).status).toBe(200);
    const deleted = await api.send('DELETE', exp, undefined, { 'if-match': etag });
    expect([200, 202, 204]).toContain(deleted.status);
    if (deleted.status === 202) await api.waitForOperation(deleted);
    expect((await api.send('GET', exp)).status).toBe(404);
    // If-Match on a resource that is gone is refused (If-None-Match is not).
    expect((await api.send('DELETE', exp, undefined, { 'if-match': '*' })).status).toBe(412);
    expect((await api.send('DELETE', exp, undefined, { 'if-none-match': '*' })).status).toBe(204);
  });

  test('a repeated PUT is idempotent and changing an immutable property is a 409', async () => {
    const body = {
      properties: {
        vmSize: 'STANDARD_NC6',
        scaleSettings: { manual: { targetNodeCount: 2 } },
        userAccountSettings: { adminUserName: 'me', adminUserPassword: secretValues[3] },
      },
    };
    const again = await api.send('PUT', cluster, body);
    expect(again.status).toBe(200);
    const changed = await api.send('PUT', cluster, {
      properties: { ...body.properties, vmSize: 'STANDARD_NC12' },
    });
    expect(changed.status).toBe(409);
    expect((changed.body.error as { target: string }).target).toBe('properties.vmSize');
  });

  test('the same job PUT again after its cluster was deleted is confirmed; another body names the cluster', async () => {
    const gone = `${ws}/clusters/gone`;
    await api.put(gone, {
      properties: {
        vmSize: 'STANDARD_NC6',
        scaleSettings: { manual: { targetNodeCount: 0 } },
        userAccountSettings: { adminUserName: 'me', adminUserSshPublicKey: 'ssh-rsa AAAAB3NzaC1yc2E me' },
      },
    });
    const job = `${ws}/experiments/exp/jobs/outlived`;
    const body = {
      properties: {
        cluster: { id: `${clusterId.replace(/\/gpu$/, '/gone').replace('/workspaces/', '/workspace/')}` },
        nodeCount: 1,
        stdOutErrPathPrefix: '$AZ_BATCHAI_JOB_TEMP',
        customToolkitSettings: { commandLine: 'true' },
      },
    };
    expect((await api.send('PUT', job, body)).status).toBeLessThan(300);
    expect((await api.waitForOperation(await api.send('DELETE', gone))).status).toBe('Succeeded');
    const again = await api.send('PUT', job, body);
    expect(again.status).toBe(200);
    const changed = await api.send('PUT', job, {
      properties: { ...body.properties, customToolkitSettings: { commandLine: 'false' } },
    });
    expect(changed.status).toBe(400);
    expect((changed.body.error as { target: string }).target).toBe('properties.cluster.id');
  });

  test('lists page with maxresults and a working nextLink', async () => {
    for (let i = 0; i < 5; i += 1)
      await api.put(`${ws}/fileServers/fs${i}`, {
        properties: {
          vmSize: 'STANDARD_D2_V2',
          dataDisks: { diskSizeInGB: 10, diskCount: 1, storageAccountType: 'Standard_LRS' },
          sshConfiguration: {
            userAccountSettings: { adminUserName: 'u', adminUserPassword: secretValues[4] },
          },
        },
      });
    const seen: string[] = [];
    let next: string | undefined = api.url(`${ws}/fileServers`, { maxresults: '2' });
    let pages = 0;
    while (next) {
      const page = await api.send('GET', next);
      const value = page.body.value as { name: string }[];
      expect(value.length).toBeLessThanOrEqual(2);
      seen.push(...value.map((v) => v.name));
      next = page.body.nextLink as string | undefined;
      pages += 1;
    }
    expect(seen.sort()).toEqual(['fs0', 'fs1', 'fs2', 'fs3', 'fs4']);
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  test('two concurrent updates with the same ETag: one wins, the other gets 412', async () => {
    const patch = (n: number, etag: string) =>
      api.send(
        'PATCH',
        cluster,
        { properties: { scaleSettings: { manual: { targetNodeCount: n } } } },
        { 'If-Match': etag },
      );
    // The cluster's monitor writes its record in the background (allocation state): a write of its between the GET
    // and the two PATCHes fails both (412 twice, never two winners); then the pair is tried again.
    let results: Awaited<ReturnType<typeof patch>>[] = [];
    for (let round = 0; round < 5; round++) {
      const etag = (await api.send('GET', cluster)).headers.get('etag')!;
      results = await Promise.all([patch(3, etag), patch(4, etag)]);
      if (results.some((r) => r.status !== 412)) break;
    }
    expect(results.map((r) => r.status).sort()).toEqual([200, 412]);
    const winner = results.find((r) => r.status === 200)!;
    const after = await api.send('GET', cluster);
    // The cluster's allocation moves on in the background, so only what the update wrote is compared.
    const scaleOf = (body: unknown) =>
      (body as { properties: { scaleSettings: unknown } }).properties.scaleSettings;
    expect(scaleOf(after.body)).toEqual(scaleOf(winner.body));
    expect(scaleOf(after.body)).toEqual({
      manual: expect.objectContaining({ targetNodeCount: winner === results[0] ? 3 : 4 }),
    });
    // Without If-Match, concurrent writers retry on the new ETag and both apply in some order.
    const both = await Promise.all(
      [5, 6].map((n) =>
        api.send('PATCH', cluster, { properties: { scaleSettings: { manual: { targetNodeCount: n } } } }),
      ),
    );
    expect(both.map((r) => r.status)).toEqual([200, 200]);
  });

  test('no secret value appears in any response nor in any Cosmos document', async () => {
    await api.put(`${ws}/experiments/exp/jobs/secretive`, {
      properties: {
        cluster: { id: clusterId },
        nodeCount: 1,
        stdOutErrPathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/logs',
        customToolkitSettings: { commandLine: 'echo $TOKEN' },
        secrets: [
          { name: 'TOKEN', value: secretValues[0] },
          {
            name: 'KV',
            valueSecretReference: {
              sourceVault: {
                id: '/subscriptions/x/resourceGroups/kv/providers/Microsoft.KeyVault/vaults/team',
              },
              secretUrl: `${vault.vaultUrl}/secrets/job-token`,
            },
          },
        ],
        containerSettings: {
          imageSourceRegistry: {
            image: 'private/img',
            serverUrl: 'r.io',
            credentials: { username: 'u', password: secretValues[1] },
          },
        },
        mountVolumes: {
          azureFileShares: [
            {
              accountName: 'a',
              azureFileUrl: 'https://a.file.core.windows.net/s',
              relativeMountPath: 'afs',
              credentials: { accountKey: secretValues[2] },
            },
          ],
        },
      },
    });
    const job = await api.send('GET', `${ws}/experiments/exp/jobs/secretive`);
    expect((job.body.properties as { secrets: unknown[] }).secrets).toEqual([
      { name: 'TOKEN' },
      {
        name: 'KV',
        valueSecretReference: {
          sourceVault: { id: '/subscriptions/x/resourceGroups/kv/providers/Microsoft.KeyVault/vaults/team' },
          secretUrl: `${vault.vaultUrl}/secrets/job-token`,
        },
      },
    ]);
    // The reference was read with the app's identity (the IMDS token) from the vault.
    expect(vault.requests).toContainEqual(
      expect.objectContaining({ method: 'GET', path: '/secrets/job-token/', status: 200 }),
    );
    const transcript = api.transcript.join('\n');
    for (const secret of [...secretValues, vaultSecret]) expect(transcript).not.toContain(secret);
    const client = new CosmosClient({
      endpoint: env.stack.cosmosEndpoint,
      key: env.stack.cosmosKey,
      agent: new https.Agent({ rejectUnauthorized: false }),
      connectionPolicy: { enableEndpointDiscovery: false },
    });
    const database = client.database(env.settings.COSMOS_DATABASE);
    let raw = '';
    for (const id of ['workspaces', 'workspaceResources', 'jobs', 'operations']) {
      const { resources } = await database.container(id).items.query('SELECT * FROM c').fetchAll();
      raw += JSON.stringify(resources);
    }
    expect(raw).toContain('aesgcm1:'); // the secrets are stored, sealed
    for (const secret of [...secretValues, vaultSecret]) expect(raw).not.toContain(secret);
    // The referenced value is sealed where a value given in the body would be, so nodes get it the same way.
    expect(raw).toMatch(/"properties\.secrets\[1\]\.value":"aesgcm1:/);
    expect(env.hostOutput()).not.toContain(secretValues[0]);
  });

  test('deleting a workspace cascades to clusters, file servers, experiments and jobs', async () => {
    const deleted = await api.send('DELETE', ws);
    expect(deleted.status).toBe(202);
    expect((await api.waitForOperation(deleted)).status).toBe('Succeeded');
    for (const gone of [
      ws,
      cluster,
      `${ws}/fileServers/fs0`,
      `${ws}/experiments/exp`,
      `${ws}/experiments/exp/jobs/secretive`,
    ]) {
      expect((await api.send('GET', gone)).status).toBe(404);
    }
  });
});
