// Unit tests of mapping node paths to the storage volumes mounted at them.
import type { JsonObject } from '../specValidator';
import { locateOnVolume } from './mountedPathResolver';

const jobMountVolumes: JsonObject = {
  azureFileShares: [{ azureFileUrl: 'https://acct.file.core.windows.net/logs', relativeMountPath: 'logs' }],
  azureBlobFileSystems: [{ accountName: 'acct', containerName: 'data', relativeMountPath: 'data' }],
  fileServers: [
    {
      fileServer: { id: '/subscriptions/s/fileServers/nfs' },
      sourceDirectory: '/exports/x',
      relativeMountPath: 'nfs',
    },
  ],
  unmanagedFileSystems: [{ mountCommand: 'mount -t nfs 10.0.0.4:/data', relativeMountPath: 'logs/deep' }],
};
const clusterMountVolumes: JsonObject = {
  azureFileShares: [
    {
      accountName: 'other',
      azureFileUrl: 'https://other.file.core.windows.net/share/base',
      relativeMountPath: 'afs',
    },
  ],
};
const context = { mountRoot: '/mnt/m', jobMountRoot: '/j/mounts', jobMountVolumes, clusterMountVolumes };

test('a path on a job-level file share maps to the share and directory', () => {
  expect(locateOnVolume('/j/mounts/logs/sub/rg/jobs/a/u/outputs', context)).toEqual({
    kind: 'azureFileShare',
    scope: 'job',
    recordPath: 'properties.mountVolumes.azureFileShares[0]',
    relativeMountPath: 'logs',
    mountPath: '/j/mounts/logs',
    accountName: 'acct',
    azureFileUrl: 'https://acct.file.core.windows.net/logs',
    shareName: 'logs',
    directory: 'sub/rg/jobs/a/u/outputs',
  });
});

test('a path on a blob container maps to a blob prefix', () => {
  expect(locateOnVolume('/j/mounts/data/images/', context)).toMatchObject({
    kind: 'azureBlobContainer',
    containerName: 'data',
    blobPrefix: 'images/',
  });
  expect(locateOnVolume('/j/mounts/data', context)).toMatchObject({ blobPrefix: '' });
});

test('the deepest mount wins, cluster mounts resolve under the mount root, the share URL path is a base directory', () => {
  expect(locateOnVolume('/j/mounts/logs/deep/f', context)).toMatchObject({
    kind: 'unmanagedFileSystem',
    directory: 'f',
  });
  expect(locateOnVolume('/mnt/m/afs/out', context)).toMatchObject({
    kind: 'azureFileShare',
    scope: 'cluster',
    recordPath: 'properties.nodeSetup.mountVolumes.azureFileShares[0]',
    accountName: 'other',
    shareName: 'share',
    directory: 'base/out',
  });
  expect(locateOnVolume('/j/mounts/nfs/o', context)).toMatchObject({
    kind: 'fileServer',
    directory: 'exports/x/o',
  });
});

test('paths outside every mount are node-local, and a prefix that merely shares characters does not match', () => {
  expect(locateOnVolume('/j/mounts/logsX/a', context)).toEqual({
    kind: 'nodeLocal',
    path: '/j/mounts/logsX/a',
  });
  expect(locateOnVolume('/tmp/x', { mountRoot: '/m', jobMountRoot: '/j' })).toEqual({
    kind: 'nodeLocal',
    path: '/tmp/x',
  });
});

test('a malformed volume is an error naming the field', () => {
  const broken = {
    ...context,
    jobMountVolumes: { azureFileShares: [{ azureFileUrl: 'not a url', relativeMountPath: 'x' }] },
  };
  expect(() => locateOnVolume('/j/mounts/x/y', broken)).toThrow(
    "'properties.mountVolumes.azureFileShares[0].azureFileUrl'",
  );
});
