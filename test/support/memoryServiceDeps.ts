// The resource API's domain services over an in-memory store holding one workspace (`memoryWorkspace`): what the
// services' unit tests need of Cosmos (get, create, replace, delete, clusters by location) and of compute and file
// servers (what they were asked for, by resource name).
import { randomBytes, randomUUID } from 'crypto';
import { AesGcmSecretProtector } from '../../shared/crypto/aesGcmSecretProtector';
import { ConflictError } from '../../shared/domain/errors';
import { armIdOf, keyOf, type ResourceRef } from '../../shared/domain/resourceId';
import type { ResourceRecord, Stored } from '../../shared/domain/resourceRecord';
import type { ResourceStore } from '../../shared/ports/resourceStore';
import type { ServiceDeps } from '../../shared/domain/services/serviceDeps';
import { defaultQuotas } from '../../shared/config/quotaConfig';

export const memoryScope = {
  subscriptionId: '00000000-0000-0000-0000-000000000001',
  resourceGroup: 'rg',
  workspace: 'ws',
};
export const memoryWorkspace: ResourceRef = { kind: 'workspace', ...memoryScope, name: 'ws' };

export interface MemoryServiceDeps {
  deps: ServiceDeps;
  records: Map<string, Stored>;
  /** Resources compute (applyScaleSettings) or file servers (fileServerChanged) were asked for. */
  applied: string[];
}

/** `beforeCreate`: runs before each create (e.g. a delete beginning between a request's checks and its write). */
export function memoryServiceDeps(beforeCreate?: (records: Map<string, Stored>) => void): MemoryServiceDeps {
  const records = new Map<string, Stored>();
  const put = (record: ResourceRecord): Stored => {
    const stored = { record: structuredClone(record), etag: randomUUID() };
    records.set(keyOf(record.ref), stored);
    return stored;
  };
  put({
    kind: 'workspace',
    ref: memoryWorkspace,
    armId: armIdOf(memoryWorkspace),
    location: 'eastus',
    spec: {},
    status: { provisioningState: 'succeeded' },
    encryptedSecrets: {},
  } as ResourceRecord);
  const store = {
    get: async (ref: ResourceRef) => records.get(keyOf(ref)),
    create: async (record: ResourceRecord) => {
      beforeCreate?.(records);
      if (records.has(keyOf(record.ref))) throw new ConflictError('Conflict', 'exists');
      return put(record);
    },
    replace: async (record: ResourceRecord) => put(record),
    delete: async (ref: ResourceRef) => records.delete(keyOf(ref)),
    createOperation: async (operation: unknown) => ({ record: operation, etag: 'e' }),
    listClustersInLocation: async (subscriptionId: string, location: string) => ({
      items: [...records.values()].filter(
        (s) =>
          s.record.kind === 'cluster' &&
          s.record.ref.subscriptionId === subscriptionId &&
          s.record.location === location,
      ),
    }),
  } as unknown as ResourceStore;
  const applied: string[] = [];
  const deps = {
    store,
    secrets: new AesGcmSecretProtector(randomBytes(32)),
    compute: { applyScaleSettings: async (record: ResourceRecord) => void applied.push(record.ref.name) },
    fileServers: { fileServerChanged: async (record: ResourceRecord) => void applied.push(record.ref.name) },
    quotas: defaultQuotas,
    now: () => new Date('2030-01-01T00:00:00Z'),
    newId: randomUUID,
  } as unknown as ServiceDeps;
  return { deps, records, applied };
}
