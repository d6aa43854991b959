// A cluster, file server or experiment written while its workspace began to be deleted (the cascade marks the
// workspace `deleting`, then lists its children, and may have missed the new one) goes again, and its request fails
// as if the delete had come first: nothing outlives its workspace unlisted and undeletable, with compute asked for.
import { randomBytes, randomUUID } from 'crypto';
import { AesGcmSecretProtector } from '../../shared/crypto/aesGcmSecretProtector';
import { ConflictError } from '../../shared/domain/errors';
import { armIdOf, keyOf, type ResourceRef } from '../../shared/domain/resourceId';
import type { ResourceRecord, Stored } from '../../shared/domain/resourceRecord';
import type { ResourceStore } from '../../shared/ports/resourceStore';
import { createCluster } from '../../shared/domain/services/clusterService';
import { createExperiment } from '../../shared/domain/services/experimentService';
import { createFileServer } from '../../shared/domain/services/fileServerService';
import type { ServiceDeps } from '../../shared/domain/services/serviceDeps';
import { defaultQuotas } from '../../shared/config/quotaConfig';

const scope = {
  subscriptionId: '00000000-0000-0000-0000-000000000001',
  resourceGroup: 'rg',
  workspace: 'ws',
};
const workspace: ResourceRef = { kind: 'workspace', ...scope, name: 'ws' };

/** A store whose workspace begins to be deleted between a child's checks and its write. */
function racingDeps(): { deps: ServiceDeps; records: Map<string, Stored>; asked: string[] } {
  const records = new Map<string, Stored>();
  const put = (record: ResourceRecord): Stored => {
    const stored = { record: structuredClone(record), etag: randomUUID() };
    records.set(keyOf(record.ref), stored);
    return stored;
  };
  put({
    kind: 'workspace',
    ref: workspace,
    armId: armIdOf(workspace),
    location: 'eastus',
    spec: {},
    status: { provisioningState: 'succeeded' },
    encryptedSecrets: {},
  } as ResourceRecord);
  const store = {
    get: async (ref: ResourceRef) => records.get(keyOf(ref)),
    create: async (record: ResourceRecord) => {
      records.get(keyOf(workspace))!.record.status.provisioningState = 'deleting';
      if (records.has(keyOf(record.ref))) throw new ConflictError('Conflict', 'exists');
      return put(record);
    },
    delete: async (ref: ResourceRef) => records.delete(keyOf(ref)),
    createOperation: async (operation: unknown) => ({ record: operation, etag: 'e' }),
    listClustersInLocation: async () => ({ items: [] }),
  } as unknown as ResourceStore;
  const asked: string[] = [];
  const deps = {
    store,
    secrets: new AesGcmSecretProtector(randomBytes(32)),
    compute: { applyScaleSettings: async (record: ResourceRecord) => void asked.push(record.ref.name) },
    fileServers: { fileServerChanged: async (record: ResourceRecord) => void asked.push(record.ref.name) },
    quotas: defaultQuotas,
    now: () => new Date('2030-01-01T00:00:00Z'),
    newId: randomUUID,
  } as unknown as ServiceDeps;
  return { deps, records, asked };
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
