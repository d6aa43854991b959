// A cluster, file server or experiment written while its workspace began to be deleted (the cascade marks the
// workspace `deleting`, then lists its children, and may have missed the new one) goes again, and its request fails
// as if the delete had come first: nothing outlives its workspace unlisted and undeletable, with compute asked for.
import { keyOf, type ResourceRef } from '../../shared/domain/resourceId';
import { createCluster } from '../../shared/domain/services/clusterService';
import { createExperiment } from '../../shared/domain/services/experimentService';
import { createFileServer } from '../../shared/domain/services/fileServerService';
import { memoryScope as scope, memoryServiceDeps, memoryWorkspace } from '../support/memoryServiceDeps';

/** Services whose workspace begins to be deleted between a child's checks and its write. */
function racingDeps() {
  const { deps, records, applied } = memoryServiceDeps((held) => {
    held.get(keyOf(memoryWorkspace))!.record.status.provisioningState = 'deleting';
  });
  return { deps, records, asked: applied };
}

const refused = { code: 'ParentResourceBeingDeleted' };

test('a cluster written as its workspace began to be deleted goes again, and no compute is asked for it', async () => {
  const { deps, records, asked } = racingDeps();
  const cluster: ResourceRef = { kind: 'cluster', ...scope, name: 'c' };
  const body = {
    properties: {
      vmSize: 'STANDARD_D1_V2',
      scaleSettings: { manual: { targetNodeCount: 2 } },
      userAccountSettings: { adminUserName: 'admin', adminUserPassword: 'p@ssw0rd-x' },
    },
  };
  await expect(createCluster(deps, cluster, body)).rejects.toMatchObject(refused);
  expect(records.has(keyOf(cluster))).toBe(false);
  expect(asked).toEqual([]);
});

test('a file server written as its workspace began to be deleted goes again, and no host is asked for it', async () => {
  const { deps, records, asked } = racingDeps();
  const fileServer: ResourceRef = { kind: 'fileServer', ...scope, name: 'nfs' };
  const body = {
    properties: {
      vmSize: 'STANDARD_D2_V2',
      sshConfiguration: { userAccountSettings: { adminUserName: 'admin', adminUserPassword: 'p@ssw0rd-x' } },
      dataDisks: { diskSizeInGB: 10, diskCount: 1, storageAccountType: 'Standard_LRS' },
    },
  };
  await expect(createFileServer(deps, fileServer, body)).rejects.toMatchObject(refused);
  expect(records.has(keyOf(fileServer))).toBe(false);
  expect(asked).toEqual([]);
});

test('an experiment written as its workspace began to be deleted goes again', async () => {
  const { deps, records } = racingDeps();
  const experiment: ResourceRef = { kind: 'experiment', ...scope, experiment: 'e', name: 'e' };
  await expect(createExperiment(deps, experiment)).rejects.toMatchObject(refused);
  expect(records.has(keyOf(experiment))).toBe(false);
});
