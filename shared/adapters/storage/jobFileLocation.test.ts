import type { ResourceRecord } from '../../domain/resourceRecord';
import type { JsonObject } from '../../domain/specValidator';
import { jobDirectoryBlobFolder } from './jobFileLocation';

const segment = 'sub/rg/workspaces/ws/experiments/exp/jobs/j1/0b1c2d3e-0000-4000-8000-000000000001';

function job(spec: JsonObject): ResourceRecord {
  return {
    kind: 'job',
    ref: {
      kind: 'job',
      subscriptionId: 'sub',
      resourceGroup: 'rg',
      workspace: 'ws',
      experiment: 'exp',
      name: 'j1',
    },
    armId:
      '/subscriptions/sub/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/ws/experiments/exp/jobs/j1',
    location: 'eastus',
    spec,
    status: { jobOutputDirectoryPathSegment: segment },
    encryptedSecrets: {},
    job: {
      uuid: '0b1c2d3e-0000-4000-8000-000000000001',
      clusterId: '/subscriptions/sub/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/ws/clusters/c',
      clusterKey: '/subscriptions/sub/resourcegroups/rg/providers/microsoft.batchai/workspaces/ws/clusters/c',
      priority: 'normal',
      nodeCount: 1,
      executionState: 'running',
      attempts: [],
    },
  };
}

const shareMount: JsonObject = {
  azureFileShares: [
    {
      accountName: 'acct',
      azureFileUrl: 'https://acct.file.core.windows.net/share/base',
      relativeMountPath: 'afs',
    },
  ],
};

test('stdouterr under a job-level file share mount maps into the share, attempt 1 in the Batch AI layout', () => {
  const record = job({
    stdOutErrPathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/afs/logs',
    mountVolumes: shareMount,
  });
  expect(jobDirectoryBlobFolder(record, 'stdouterr', 1, undefined)).toBe(
    `files/acct/share/base/logs/${segment}/stdouterr`,
  );
  expect(jobDirectoryBlobFolder(record, 'STDOUTERR', 2, undefined)).toBe(
    `files/acct/share/base/logs/${segment}/attempt-2/stdouterr`,
  );
});

test('an output directory under a cluster blob container mount maps into the container', () => {
  const record = job({
    stdOutErrPathPrefix: '/tmp/local',
    outputDirectories: [{ id: 'MODEL', pathPrefix: '$AZ_BATCHAI_MOUNT_ROOT/bfs', pathSuffix: 'm' }],
  });
  const clusterMounts: JsonObject = {
    azureBlobFileSystems: [{ accountName: 'acct', containerName: 'data', relativeMountPath: 'bfs' }],
  };
  expect(jobDirectoryBlobFolder(record, 'model', 1, clusterMounts)).toBe(
    `blobs/acct/data/${segment}/outputs/m`,
  );
  // Not on any mount: kept under the node-local folder.
  expect(jobDirectoryBlobFolder(record, 'stdouterr', 1, clusterMounts)).toBe(
    `nodes/tmp/local/${segment}/stdouterr`,
  );
});

test('an unknown output directory id is a validation error naming outputdirectoryid', () => {
  const record = job({ stdOutErrPathPrefix: '/tmp/x' });
  expect(() => jobDirectoryBlobFolder(record, 'nope', 1, undefined)).toThrow(
    expect.objectContaining({ target: 'outputdirectoryid' }),
  );
});
