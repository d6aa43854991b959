// listOutputFiles for a job that ran on VM nodes: its output directories are on the user's storage behind the mount
// (a blob container in Azurite, an Azure file share in the Files fake, as no emulator serves Azure Files), listed
// there with the mount's account key (the job's or the cluster's sealed secret) and download links that work; a
// directory on storage that cannot be listed, a wrong key, a missing share and a missing key answer clearly.
import { BlobServiceClient } from '@azure/storage-blob';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BlobJobOutputFiles } from '../../shared/adapters/storage/blobJobOutputFiles';
import { jobDirectoryLocation } from '../../shared/adapters/storage/jobFileLocation';
import { AesGcmSecretProtector } from '../../shared/crypto/aesGcmSecretProtector';
import { ApiError } from '../../shared/domain/errors';
import type { ResourceRecord } from '../../shared/domain/resourceRecord';
import { sealSecrets } from '../../shared/domain/services/secretSealing';
import type { ResourceStore } from '../../shared/ports/resourceStore';
import type { JsonObject } from '../../shared/domain/specValidator';
import { startAzureFilesFake, type AzureFilesFake } from '../../runtime/fakes/azureFilesFake';
import {
  azuriteAccountKey,
  azuriteAccountName,
  startLocalStack,
  type LocalStack,
} from '../../runtime/stack/localStack';

const protector = new AesGcmSecretProtector(Buffer.alloc(32, 7));
const fileKey = Buffer.from('files-account-key-0123456789').toString('base64');
const workspaceId = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/ws';
const clusterArmId = `${workspaceId}/clusters/gpu`;
const jobArmId = `${workspaceId}/experiments/exp/jobs/train`;
const uuid = '0b8f6a52-4a8e-4bb4-9d55-6a1f2f0c1e77';
const segment = `s/rg/workspaces/ws/experiments/exp/jobs/train/${uuid}`;

let stack: LocalStack;
let files: AzureFilesFake;
let dataDir: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'user-storage-'));
  [stack, files] = await Promise.all([startLocalStack({ dataDir }), startAzureFilesFake()]);
  files.addAccount('userfiles', fileKey);
  files.createShare('userfiles', 'logs');
}, 120_000);

afterAll(async () => {
  await Promise.all([stack?.stop(), files?.stop()]);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function job(mountVolumes: JsonObject, secrets: Record<string, string>): ResourceRecord {
  return {
    kind: 'job',
    ref: {
      kind: 'job',
      subscriptionId: 's',
      resourceGroup: 'rg',
      workspace: 'ws',
      experiment: 'exp',
      name: 'train',
    },
    armId: jobArmId,
    spec: {
      stdOutErrPathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/afs',
      mountVolumes,
      outputDirectories: [
        { id: 'MODEL', pathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/bfs' },
        { id: 'LOGS', pathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/afs', pathSuffix: 'tb' },
        { id: 'SHARED', pathPrefix: '$AZ_BATCHAI_MOUNT_ROOT/cafs' },
        { id: 'SCRATCH', pathPrefix: '$AZ_BATCHAI_JOB_TEMP' },
      ],
    },
    status: { jobOutputDirectoryPathSegment: segment },
    encryptedSecrets: sealSecrets(protector, jobArmId, secrets),
    job: {
      uuid,
      clusterId: clusterArmId,
      clusterKey: clusterArmId.toLowerCase(),
      priority: 'normal',
      nodeCount: 1,
      executionState: 'succeeded',
      attempts: [{ attempt: 1, nodeIds: ['vm_0'], startTime: new Date().toISOString() }],
    },
  } as unknown as ResourceRecord;
}

const cluster = {
  kind: 'cluster',
  armId: clusterArmId,
  spec: {
    nodeSetup: {
      mountVolumes: {
        azureFileShares: [
          {
            accountName: 'userfiles',
            azureFileUrl: 'https://userfiles.file.core.windows.net/logs/team',
            relativeMountPath: 'cafs',
            credentials: {},
          },
        ],
      },
    },
  },
  status: {},
  encryptedSecrets: sealSecrets(protector, clusterArmId, {
    'properties.nodeSetup.mountVolumes.azureFileShares[0].credentials.accountKey': fileKey,
  }),
} as unknown as ResourceRecord;

const store = {
  get: async (ref: { kind: string }) => (ref.kind === 'cluster' ? { record: cluster, etag: '' } : undefined),
} as unknown as ResourceStore;

const mountVolumes: JsonObject = {
  azureBlobFileSystems: [
    {
      accountName: azuriteAccountName,
      containerName: 'usermodels',
      relativeMountPath: 'bfs',
      credentials: {},
    },
  ],
  azureFileShares: [
    {
      accountName: 'userfiles',
      azureFileUrl: 'https://userfiles.file.core.windows.net/logs',
      relativeMountPath: 'afs',
      credentials: {},
    },
  ],
};
const keys = {
  'properties.mountVolumes.azureBlobFileSystems[0].credentials.accountKey': azuriteAccountKey,
  'properties.mountVolumes.azureFileShares[0].credentials.accountKey': fileKey,
};

function lister(): BlobJobOutputFiles {
  return new BlobJobOutputFiles(
    BlobServiceClient.fromConnectionString(stack.storageConnectionString),
    'job-files',
    store,
    false, // VM nodes: outputs are not copied into job-files
    protector,
    {
      blobTemplate: `${stack.blobEndpoint.replace(/\/[^/]*\/?$/, '')}/{accountName}`,
      fileTemplate: files.endpointTemplate,
    },
  );
}

const request = (
  outputDirectoryId: string,
  directory = '',
  maxResults = 100,
  continuationToken?: string,
) => ({
  outputDirectoryId,
  directory,
  linkExpiryInMinutes: 10,
  maxResults,
  continuationToken,
});

/** Every entry of a directory, listed `pageSize` at a time; also the size of each page. */
async function allPages(
  record: ResourceRecord,
  id: string,
  directory: string,
  pageSize: number,
): Promise<{ names: string[]; sizes: number[] }> {
  const names: string[] = [];
  const sizes: number[] = [];
  let token: string | undefined;
  do {
    const page = await lister().list(record, request(id, directory, pageSize, token));
    names.push(...page.files.map((f) => `${f.name}${f.fileType === 'directory' ? '/' : ''}`));
    sizes.push(page.files.length);
    token = page.continuationToken;
  } while (token && sizes.length < 10);
  return { names, sizes };
}

async function download(url: string): Promise<string> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return response.text();
}

test('an output directory on a blob container is listed there, with links that download', async () => {
  const record = job(mountVolumes, keys);
  const location = jobDirectoryLocation(record, 'MODEL', 1, undefined);
  expect(location).toMatchObject({
    kind: 'azureBlobContainer',
    containerName: 'usermodels',
    blobPrefix: `${segment}/outputs/`,
  });
  const container = BlobServiceClient.fromConnectionString(stack.storageConnectionString).getContainerClient(
    'usermodels',
  );
  await container.create();
  await container.uploadBlockBlob(`${segment}/outputs/model.bin`, 'weights', 7);
  await container.uploadBlockBlob(`${segment}/outputs/checkpoints/epoch-1.bin`, 'epoch one', 9);
  const listed = (await lister().list(record, request('model'))).files;
  expect(listed.map(({ name, fileType }) => ({ name, fileType }))).toEqual([
    { name: 'checkpoints', fileType: 'directory' },
    { name: 'model.bin', fileType: 'file' },
  ]);
  expect(listed[1].properties?.contentLength).toBe(7);
  expect(await download(listed[1].downloadUrl!)).toBe('weights');
  const deeper = (await lister().list(record, request('MODEL', 'checkpoints'))).files;
  expect(deeper.map((f) => f.name)).toEqual(['epoch-1.bin']);
  expect(await download(deeper[0].downloadUrl!)).toBe('epoch one');
});

test('an output directory on an Azure file share is listed there; the share fake checks the key and the SAS', async () => {
  const record = job(mountVolumes, keys);
  files.putFile('userfiles', 'logs', `${segment}/outputs/tb/events.out`, 'scalars');
  files.putFile('userfiles', 'logs', `${segment}/outputs/tb/run-2/events.out`, 'more');
  const listed = (await lister().list(record, request('LOGS'))).files;
  expect(listed.map(({ name, fileType }) => ({ name, fileType }))).toEqual([
    { name: 'events.out', fileType: 'file' },
    { name: 'run-2', fileType: 'directory' },
  ]);
  expect(listed[0].properties).toMatchObject({ contentLength: 7, lastModified: expect.any(String) });
  expect(await download(listed[0].downloadUrl!)).toBe('scalars');
  // A link is good for its own file only, and only with its signature.
  const tampered = listed[0].downloadUrl!.replace('events.out', 'run-2/events.out');
  expect((await fetch(tampered)).status).toBe(403);
  const refusedBefore = files.refusals();
  expect((await fetch(listed[0].downloadUrl!.replace(/sig=[^&]+/, 'sig=AAAA'))).status).toBe(403);
  expect(files.refusals()).toBe(refusedBefore + 1);
  // Nothing written there yet: an empty list, not an error.
  expect(await lister().list(job(mountVolumes, keys), request('LOGS', 'not-yet'))).toEqual({ files: [] });
});

test("a directory on a cluster mount is listed with the cluster's key, below the share URL's own directory", async () => {
  files.putFile('userfiles', 'logs', `team/${segment}/outputs/shared.txt`, 'from the cluster mount');
  const listed = (await lister().list(job(mountVolumes, keys), request('SHARED'))).files;
  expect(listed.map((f) => f.name)).toEqual(['shared.txt']);
  expect(await download(listed[0].downloadUrl!)).toBe('from the cluster mount');
});

test('what cannot be listed says why: node-local disks, a wrong key, a missing share, a missing key', async () => {
  const failure = async (record: ResourceRecord, id: string): Promise<ApiError> => {
    const error = await lister()
      .list(record, request(id))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  };
  expect(await failure(job(mountVolumes, keys), 'SCRATCH')).toMatchObject({
    httpStatus: 501,
    message: expect.stringContaining("is on the nodes' own disks"),
  });
  const wrongKey = {
    ...keys,
    'properties.mountVolumes.azureFileShares[0].credentials.accountKey': 'd3Jvbmc=',
  };
  expect(await failure(job(mountVolumes, wrongKey), 'LOGS')).toMatchObject({
    httpStatus: 409,
    code: 'UserStorageAccessDenied',
  });
  const otherShare = {
    ...mountVolumes,
    azureFileShares: [
      {
        ...(mountVolumes.azureFileShares as JsonObject[])[0],
        azureFileUrl: 'https://userfiles.file.core.windows.net/gone',
      },
    ],
  };
  expect(await failure(job(otherShare, keys), 'LOGS')).toMatchObject({
    httpStatus: 409,
    code: 'UserStorageNotFound',
    message: "The share 'gone' of storage account 'userfiles' does not exist.",
  });
  expect(await failure(job(mountVolumes, {}), 'MODEL')).toMatchObject({
    httpStatus: 409,
    code: 'UserStorageCredentialsMissing',
  });
});

test('large directories come page by page, on a blob container and on a file share, nothing left out', async () => {
  const record = job(mountVolumes, keys);
  const container = BlobServiceClient.fromConnectionString(stack.storageConnectionString).getContainerClient(
    'usermodels',
  );
  await container.createIfNotExists();
  for (const name of ['a.bin', 'b.bin', 'c/one.bin', 'd.bin', 'e.bin'])
    await container.uploadBlockBlob(`${segment}/outputs/paged/${name}`, name, name.length);
  expect(await allPages(record, 'MODEL', 'paged', 2)).toEqual({
    names: ['a.bin', 'b.bin', 'c/', 'd.bin', 'e.bin'],
    sizes: [2, 2, 1],
  });
  for (const name of ['a.txt', 'b/x.txt', 'c.txt', 'd.txt', 'e.txt'])
    files.putFile('userfiles', 'logs', `${segment}/outputs/tb/paged/${name}`, name);
  expect(await allPages(record, 'LOGS', 'paged', 2)).toEqual({
    names: ['a.txt', 'b/', 'c.txt', 'd.txt', 'e.txt'],
    sizes: [2, 2, 1],
  });
  expect(await allPages(record, 'LOGS', 'paged', 1000)).toMatchObject({ sizes: [5] });
});

test('files are listed only at the storage account named, on an Azure cloud: never at a host a body chose', async () => {
  const onAzure = new BlobJobOutputFiles(
    BlobServiceClient.fromConnectionString(stack.storageConnectionString),
    'job-files',
    store,
    false,
    protector,
  );
  const elsewhere = (url: string, accountName = 'userfiles'): ResourceRecord =>
    job(
      {
        ...mountVolumes,
        azureFileShares: [
          { ...(mountVolumes.azureFileShares as JsonObject[])[0], azureFileUrl: url, accountName },
        ],
      },
      keys,
    );
  const refused = async (record: ResourceRecord): Promise<unknown> =>
    onAzure.list(record, request('LOGS')).then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(await refused(elsewhere('https://169.254.169.254/logs'))).toMatchObject({
    httpStatus: 409,
    code: 'UserStorageNotListable',
  });
  expect(await refused(elsewhere('https://userfiles.file.core.windows.net.evil.example/logs'))).toMatchObject(
    {
      code: 'UserStorageNotListable',
    },
  );
  expect(await refused(elsewhere('https://x.file.core.windows.net/logs', 'evil.host/x#'))).toMatchObject({
    code: 'UserStorageNotListable',
    message: expect.stringContaining('is not a storage account name'),
  });
});
