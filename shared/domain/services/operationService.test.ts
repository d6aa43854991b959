// Reading an operation's status completes it when what it waited for happened; two readers at once (clients poll
// concurrently) must both get the completed operation, not a 412 from the one whose write lost.
import { randomUUID } from 'crypto';
import { PreconditionFailedError } from '../errors';
import type { OperationRecord } from '../operationRecord';
import type { ResourceStore } from '../../ports/resourceStore';
import { getOperation } from './operationService';
import type { ServiceDeps } from './serviceDeps';

test('a reader whose completing write lost to another reader gets the completed operation', async () => {
  const id = randomUUID();
  const resource = {
    kind: 'fileServer',
    subscriptionId: 's',
    resourceGroup: 'rg',
    workspace: 'ws',
    name: 'fs',
  };
  let stored: { record: OperationRecord; etag: string } = {
    record: {
      id,
      subscriptionId: 's',
      location: 'eastus',
      action: 'create',
      resource,
      resourceId: '/x',
      status: 'InProgress',
      startTime: '2030-01-01T00:00:00Z',
    } as OperationRecord,
    etag: 'e1',
  };
  const store = {
    getOperation: async () => stored,
    get: async () => ({ record: { status: { provisioningState: 'succeeded' } }, etag: 'r' }),
    // The other reader wrote first: this write's ETag is stale.
    replaceOperation: async (record: OperationRecord, etag: string) => {
      if (etag === 'e1') {
        stored = { record: { ...record, status: 'Succeeded', endTime: '2030-01-01T00:01:00Z' }, etag: 'e2' };
        throw new PreconditionFailedError();
      }
      return { record, etag: 'e3' };
    },
  } as unknown as ResourceStore;
  const deps = { store, now: () => new Date('2030-01-01T00:02:00Z') } as unknown as ServiceDeps;
  expect(await getOperation(deps, 's', id)).toMatchObject({
    status: 'Succeeded',
    endTime: '2030-01-01T00:01:00Z',
  });
  await expect(getOperation(deps, 's', 'not-a-guid')).rejects.toMatchObject({ httpStatus: 404 });
});
