// updateJob over a store whose getForUpdate may hand back a copy that is behind: the ETag-checked write catches
// it (a fresh read and a second try), and a decision not to write made on such a copy is made again on a fresh read.
import { NotFoundError, PreconditionFailedError } from '../../shared/domain/errors';
import type { ResourceRecord, Stored } from '../../shared/domain/resourceRecord';
import type { ResourceStore } from '../../shared/ports/resourceStore';
import { RecentDocuments } from '../../shared/adapters/cosmos/recentDocuments';
import { updateJob } from './jobRecords';

const ref = {
  kind: 'job',
  subscriptionId: 's',
  resourceGroup: 'g',
  workspace: 'w',
  experiment: 'e',
  name: 'j',
} as const;

function record(state: string): ResourceRecord {
  return {
    kind: 'job',
    ref,
    armId: '/j',
    location: 'eastus',
    spec: {},
    status: { executionState: state },
  } as unknown as ResourceRecord;
}

/** The database's current record, and a remembered copy that may be older. */
function storeWith(current: Stored, remembered: Stored) {
  const calls: string[] = [];
  const store = {
    getForUpdate: async () => (calls.push('recall'), { stored: structuredClone(remembered), recalled: true }),
    get: async () => (calls.push('read'), structuredClone(current)),
    replace: async (next: ResourceRecord, etag: string) => {
      calls.push(`write@${etag}`);
      if (etag !== current.etag) throw new PreconditionFailedError();
      current = { record: next, etag: `${etag}+` };
      return current;
    },
  } as unknown as ResourceStore;
  return { store, calls, now: () => current };
}

const toRunning = (r: ResourceRecord): ResourceRecord | undefined =>
  r.status.executionState === 'queued'
    ? { ...r, status: { ...r.status, executionState: 'running' } }
    : undefined;

test('a current remembered copy saves the read', async () => {
  const queued = { record: record('queued'), etag: 'e1' };
  const { store, calls } = storeWith(queued, queued);
  expect((await updateJob(store, ref, toRunning))?.record.status.executionState).toBe('running');
  expect(calls).toEqual(['recall', 'write@e1']);
});

test('a copy that is behind costs a failed write and a fresh read, never a lost update', async () => {
  const { store, calls, now } = storeWith(
    { record: record('queued'), etag: 'e2' },
    { record: record('queued'), etag: 'e1' },
  );
  await updateJob(store, ref, toRunning);
  expect(calls).toEqual(['recall', 'write@e1', 'read', 'write@e2']);
  expect(now()).toMatchObject({ etag: 'e2+', record: { status: { executionState: 'running' } } });
});

test('no write decided on a remembered copy is decided again on a fresh read', async () => {
  // The copy says running (nothing to do); the database says queued again (requeued by another instance).
  const { store, calls } = storeWith(
    { record: record('queued'), etag: 'e3' },
    { record: record('running'), etag: 'e1' },
  );
  expect((await updateJob(store, ref, toRunning))?.record.status.executionState).toBe('running');
  expect(calls).toEqual(['recall', 'read', 'write@e3']);
});

test('a remembered copy of a record deleted meanwhile ends in undefined, as a fresh read would', async () => {
  const calls: string[] = [];
  const store = {
    getForUpdate: async () => (
      calls.push('recall'),
      { stored: { record: record('queued'), etag: 'e1' }, recalled: true }
    ),
    get: async () => (calls.push('read'), undefined),
    replace: async () => {
      calls.push('write');
      throw new NotFoundError('gone');
    },
  } as unknown as ResourceStore;
  expect(await updateJob(store, ref, toRunning)).toBeUndefined();
  expect(calls).toEqual(['recall', 'write', 'read']);
});

test('remembered documents are copies, kept up to the capacity, least recently used out first', () => {
  const recent = new RecentDocuments<{ n: number }>(2);
  const value = { n: 1 };
  recent.remember('a', value, 'ea');
  value.n = 99; // the caller's object changes: the remembered copy does not
  const recalled = recent.recall('a')!;
  expect(recalled).toEqual({ value: { n: 1 }, etag: 'ea' });
  recalled.value.n = 5;
  expect(recent.recall('a')?.value.n).toBe(1);
  recent.remember('b', { n: 2 }, 'eb');
  recent.recall('a'); // a is now the most recently used
  recent.remember('c', { n: 3 }, 'ec');
  expect(recent.recall('b')).toBeUndefined();
  expect(recent.recall('a')?.etag).toBe('ea');
  recent.remember('a', { n: 4 }, undefined); // nothing to check a write against: forgotten
  expect(recent.recall('a')).toBeUndefined();
});
