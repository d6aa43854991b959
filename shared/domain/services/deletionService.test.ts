// A conditional DELETE claims the resource with the ETag its condition was checked against, so a change made by
// another writer between that read and the delete fails the request instead of being deleted.
import { NotFoundError, PreconditionFailedError } from '../errors';
import type { ResourceRecord, Stored } from '../resourceRecord';
import type { ResourceStore } from '../../ports/resourceStore';
import { claimForDelete, deleteJobRecord } from './deletionService';
import type { ServiceDeps } from './serviceDeps';

function experiment(provisioningState: string, etag: string): Stored {
  return {
    record: {
      kind: 'experiment',
      ref: { kind: 'experiment', subscriptionId: 's', resourceGroup: 'rg', workspace: 'ws', name: 'e' },
      armId: '/x',
      spec: {},
      status: { provisioningState },
    } as unknown as ResourceRecord,
    etag,
  };
}

function depsOver(current: () => Stored | undefined, writes: Stored[]): ServiceDeps {
  const store = {
    replace: async (record: ResourceRecord, etag: string) => {
      const now = current();
      if (!now) throw new NotFoundError('gone');
      if (now.etag !== etag) throw new PreconditionFailedError();
      const written = { record, etag: `${etag}+` };
      writes.push(written);
      return written;
    },
  } as unknown as ResourceStore;
  return { store, now: () => new Date('2030-01-01T00:00:00Z') } as unknown as ServiceDeps;
}

test('the record as read is marked deleting with its ETag', async () => {
  const read = experiment('succeeded', 'e1');
  const writes: Stored[] = [];
  expect(
    await claimForDelete(
      depsOver(() => read, writes),
      read,
    ),
  ).toBe('claimed');
  expect(writes).toHaveLength(1);
  expect(writes[0].record.status).toMatchObject({
    provisioningState: 'deleting',
    provisioningStateTransitionTime: '2030-01-01T00:00:00.000Z',
  });
  expect(read.record.status.provisioningState).toBe('succeeded'); // the caller's copy is not changed
});

test('a record changed since the condition was checked fails the delete with 412', async () => {
  const read = experiment('succeeded', 'e1');
  const writes: Stored[] = [];
  await expect(
    claimForDelete(
      depsOver(() => experiment('succeeded', 'e2'), writes),
      read,
    ),
  ).rejects.toMatchObject({
    httpStatus: 412,
    message: expect.stringContaining('modified while the delete began'),
  });
  expect(writes).toEqual([]);
});

test('a record deleted meanwhile is gone; one being deleted already is not written again', async () => {
  const writes: Stored[] = [];
  expect(
    await claimForDelete(
      depsOver(() => undefined, writes),
      experiment('succeeded', 'e1'),
    ),
  ).toBe('gone');
  const deleting = experiment('deleting', 'e1');
  expect(
    await claimForDelete(
      depsOver(() => deleting, writes),
      deleting,
    ),
  ).toBe('claimed');
  expect(writes).toEqual([]);
});

test('a queued job granted between the read and the delete is not deleted: it is terminated first', async () => {
  const ref = {
    kind: 'job',
    subscriptionId: 's',
    resourceGroup: 'rg',
    workspace: 'ws',
    experiment: 'e',
    name: 'j',
  };
  const job = (executionState: string, etag: string): Stored => ({
    record: {
      kind: 'job',
      ref,
      armId: '/x/jobs/j',
      spec: {},
      status: { provisioningState: 'succeeded', executionState },
      job: { uuid: 'u', executionState, attempts: [] },
    } as unknown as ResourceRecord,
    etag,
  });
  let current: Stored | undefined = job('queued', 'e1');
  let reads = 0;
  const terminations: string[] = [];
  const store = {
    get: async () => {
      const read = current;
      // The scheduler's grant lands right after the delete's first read: queued -> running, a new ETag.
      if (++reads === 1) current = job('running', 'e2');
      return read;
    },
    delete: async (_ref: unknown, etag?: string) => {
      if (etag !== undefined && current && current.etag !== etag) throw new PreconditionFailedError();
      current = undefined;
      return true;
    },
    replace: async (record: ResourceRecord, etag: string) => {
      if (current?.etag !== etag) throw new PreconditionFailedError();
      current = { record, etag: `${etag}+` };
      return current;
    },
  } as unknown as ResourceStore;
  const deps = {
    store,
    now: () => new Date('2030-01-01T00:00:00Z'),
    lifecycle: {
      terminationRequested: async (record: ResourceRecord) => void terminations.push(record.armId),
    },
  } as unknown as ServiceDeps;
  expect(await deleteJobRecord(deps, ref as never)).toBe(false); // not gone yet: its lifecycle ends it
  expect(current?.record.job?.executionState).toBe('terminating');
  expect(current?.record.status.provisioningState).toBe('deleting');
  expect(terminations).toEqual(['/x/jobs/j']);
});
