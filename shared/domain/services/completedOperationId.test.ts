// A completed operation is described by its id, sealed: it reads back as it was recorded, and an id that was made
// up, altered, sealed with another key or kept past the retention names no operation.
import { randomBytes } from 'crypto';
import { AesGcmSecretProtector } from '../../crypto/aesGcmSecretProtector';
import type { OperationRecord } from '../operationRecord';
import type { ResourceRef } from '../resourceId';
import type { ResourceStore } from '../../ports/resourceStore';
import { completedOperationId, completedOperationOf } from './completedOperationId';
import { findOperation, getOperation, recordOperation } from './operationService';
import type { ServiceDeps } from './serviceDeps';
import type { ResourceRecord } from '../resourceRecord';

const secrets = new AesGcmSecretProtector(randomBytes(32));
const job: ResourceRef = {
  kind: 'job',
  subscriptionId: '00000000-0000-0000-0000-000000000001',
  resourceGroup: 'rg.one',
  workspace: 'ws',
  experiment: 'exp',
  name: 'job-1',
};
const started = '2030-01-01T00:00:00.123Z';
const operation = { action: 'create' as const, startTime: started, location: 'East US', resource: job };
const at = (iso: string) => new Date(iso);

test('an id reads back as the completed operation it describes, with URL-safe characters only', () => {
  const id = completedOperationId(secrets, operation);
  expect(id).toMatch(/^done1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  expect(completedOperationOf(secrets, id, at('2030-01-02T00:00:00Z'), 7)).toEqual({
    id,
    subscriptionId: job.subscriptionId,
    location: 'East US',
    action: 'create',
    resource: job,
    resourceId:
      '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg.one/providers/Microsoft.BatchAI' +
      '/workspaces/ws/experiments/exp/jobs/job-1',
    status: 'Succeeded',
    startTime: started,
    endTime: started,
  } satisfies OperationRecord);
});

test('an altered or made-up id, or one sealed with another key, names no operation', () => {
  const id = completedOperationId(secrets, operation);
  const [prefix, text, seal] = id.split('.');
  const other = Buffer.from(
    JSON.stringify(['create', Date.parse(started), 'East US', 'job', 'victim', 'rg', 'ws', 'exp', 'job-1']),
  ).toString('base64url');
  const now = at('2030-01-01T00:01:00Z');
  expect(completedOperationOf(secrets, `${prefix}.${other}.${seal}`, now, 7)).toBeUndefined();
  expect(completedOperationOf(secrets, `${prefix}.${text}.${seal.slice(0, -2)}AA`, now, 7)).toBeUndefined();
  expect(completedOperationOf(secrets, `${prefix}.${text}`, now, 7)).toBeUndefined();
  expect(completedOperationOf(secrets, `${id}.x`, now, 7)).toBeUndefined();
  expect(completedOperationOf(new AesGcmSecretProtector(randomBytes(32)), id, now, 7)).toBeUndefined();
  // A sealed secret of a record is not an operation id, whatever its context.
  const sealedSecret = Buffer.from(secrets.seal('', `completed-operation:${text}x`)).toString('base64url');
  expect(completedOperationOf(secrets, `${prefix}.${text}.${sealedSecret}`, now, 7)).toBeUndefined();
});

test('a seal with its tag cut short, or an id spelt with characters base64 skips, names no operation', () => {
  const id = completedOperationId(secrets, operation);
  const [prefix, text, seal] = id.split('.');
  const parts = Buffer.from(seal, 'base64url').toString('utf8').split(':');
  // GCM verifies a tag cut to 4 bytes unless told its length: a forger's guesses would be 2^32, not 2^128.
  parts[2] = Buffer.from(parts[2], 'base64').subarray(0, 4).toString('base64');
  const short = `${prefix}.${text}.${Buffer.from(parts.join(':')).toString('base64url')}`;
  const now = at('2030-01-01T00:01:00Z');
  expect(completedOperationOf(secrets, short, now, 7)).toBeUndefined();
  expect(completedOperationOf(secrets, `${id}!!`, now, 7)).toBeUndefined();
  expect(completedOperationOf(secrets, id, now, 7)).toBeDefined();
});

test('an id is answered for the retention days and the hour to the next purge, as a stored operation is kept', () => {
  const id = completedOperationId(secrets, operation);
  expect(completedOperationOf(secrets, id, at('2030-01-08T01:00:00.123Z'), 7)).toBeDefined();
  expect(completedOperationOf(secrets, id, at('2030-01-08T01:00:00.124Z'), 7)).toBeUndefined();
  expect(completedOperationOf(secrets, id, at('2030-01-03T00:00:00Z'), 1)).toBeUndefined();
  // A retention of 0 days: a client polling right after its request is still answered.
  expect(completedOperationOf(secrets, id, at('2030-01-01T00:00:05Z'), 0)).toBeDefined();
});

test('recording a completed operation stores nothing; reading it needs no store either', async () => {
  const store = {
    createOperation: jest.fn(),
    getOperation: jest.fn(),
  };
  const deps = {
    store: store as unknown as ResourceStore,
    secrets,
    now: () => at(started),
    newId: () => '5f0c3f6e-4b8a-4f43-9d7c-0c8a1e2b3c4d',
    operationRetentionDays: 7,
  } as unknown as ServiceDeps;
  const record = { ref: job, armId: '/ignored', location: 'eastus' } as unknown as ResourceRecord;
  const done = await recordOperation(deps, 'create', record, true);
  expect(done.id).toMatch(/^done1\./);
  expect(await getOperation(deps, job.subscriptionId, done.id)).toMatchObject({
    status: 'Succeeded',
    resource: job,
    location: 'eastus',
  });
  // Another subscription's caller does not see it.
  await expect(getOperation(deps, 'another', done.id)).rejects.toMatchObject({ httpStatus: 404 });
  expect(store.createOperation).not.toHaveBeenCalled();
  expect(store.getOperation).not.toHaveBeenCalled();
  // One still in progress is stored, and found in the store by its GUID.
  store.createOperation.mockImplementation(async (op: OperationRecord) => ({ record: op, etag: 'e' }));
  const pending = await recordOperation(deps, 'delete', record, false);
  expect(pending.id).toBe('5f0c3f6e-4b8a-4f43-9d7c-0c8a1e2b3c4d');
  store.getOperation.mockResolvedValue({ record: pending, etag: 'e' });
  expect((await findOperation(deps, pending.id))?.record).toBe(pending);
  expect(await findOperation(deps, 'neither-a-guid-nor-sealed')).toBeUndefined();
  expect(store.getOperation).toHaveBeenCalledTimes(1);
});
