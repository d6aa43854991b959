// createJob asked again for a job that exists (a retried PUT, a redelivered queue submission): a job still queued
// whose lifecycle is not known to exist has it asked for again (the first request may have failed between writing
// the record and asking), and a job whose lifecycle exists, or that left the queue, is only confirmed.
import { randomBytes, randomUUID } from 'crypto';
import { AesGcmSecretProtector } from '../../crypto/aesGcmSecretProtector';
import { ConflictError } from '../errors';
import { armIdOf, keyOf, type ResourceRef } from '../resourceId';
import type { ResourceRecord, Stored } from '../resourceRecord';
import type { ResourceStore } from '../../ports/resourceStore';
import type { JobLifecycle } from '../../ports/jobLifecycle';
import { createJob } from './jobService';
import type { ServiceDeps } from './serviceDeps';

const scope = { subscriptionId: 's', resourceGroup: 'rg', workspace: 'ws' };
const workspace: ResourceRef = { kind: 'workspace', ...scope, name: 'ws' };
const experiment: ResourceRef = { kind: 'experiment', ...scope, name: 'exp' };
const cluster: ResourceRef = { kind: 'cluster', ...scope, name: 'c' };
const job: ResourceRef = { kind: 'job', ...scope, experiment: 'exp', name: 'j' };

function memoryStore(): { store: ResourceStore; records: Map<string, Stored> } {
  const records = new Map<string, Stored>();
  const put = (record: ResourceRecord): Stored => {
    const stored = { record: structuredClone(record), etag: randomUUID() };
    records.set(keyOf(record.ref), stored);
    return stored;
  };
  for (const ref of [workspace, experiment, cluster]) {
    put({
      kind: ref.kind,
      ref,
      armId: armIdOf(ref),
      location: 'eastus',
      spec: {},
      status: {},
    } as ResourceRecord);
  }
  const store = {
    get: async (ref: ResourceRef) => records.get(keyOf(ref)),
    create: async (record: ResourceRecord) => {
      if (records.has(keyOf(record.ref))) throw new ConflictError('Conflict', 'exists');
      return put(record);
    },
    createOperation: async (operation: unknown) => ({ record: operation, etag: 'e' }),
    delete: async (ref: ResourceRef) => records.delete(keyOf(ref)),
  } as unknown as ResourceStore;
  return { store, records };
}

function depsWith(store: ResourceStore, lifecycle: JobLifecycle): ServiceDeps {
  return {
    store,
    lifecycle,
    secrets: new AesGcmSecretProtector(randomBytes(32)),
    now: () => new Date('2030-01-01T00:00:00Z'),
    newId: randomUUID,
  } as unknown as ServiceDeps;
}

const body = {
  properties: {
    cluster: { id: armIdOf(cluster) },
    nodeCount: 1,
    stdOutErrPathPrefix: '/x',
    customToolkitSettings: { commandLine: 'true' },
  },
};

test('a repeated create of a job still queued tells its scheduler again; one that left the queue is only confirmed', async () => {
  const { store, records } = memoryStore();
  const asked: string[] = [];
  let failNext = true;
  const lifecycle = {
    jobQueued: async (record: ResourceRecord) => {
      asked.push(record.armId);
      if (failNext) {
        failNext = false;
        throw new Error('queue unavailable');
      }
    },
    terminationRequested: async () => undefined,
  } as JobLifecycle;
  const deps = depsWith(store, lifecycle);
  // The first request writes the record, then fails to tell the scheduler.
  await expect(createJob(deps, job, structuredClone(body))).rejects.toThrow('queue unavailable');
  expect(records.get(keyOf(job))?.record.job?.executionState).toBe('queued');
  // Its retry finds the job: told again.
  const retried = await createJob(deps, job, structuredClone(body));
  expect(retried.created).toBe(false);
  expect(asked).toEqual([armIdOf(job), armIdOf(job)]);
  // A job that left the queue is only confirmed.
  records.get(keyOf(job))!.record.job!.executionState = 'running';
  await createJob(deps, job, structuredClone(body));
  expect(asked).toHaveLength(2);
});

test('a job written while its experiment began to be deleted goes again: the request fails as if the delete came first', async () => {
  const { store, records } = memoryStore();
  const create = store.create.bind(store);
  // The experiment's delete begins between the job's checks and its write.
  store.create = async (record) => {
    records.get(keyOf(experiment))!.record.status.provisioningState = 'deleting';
    return create(record);
  };
  const queued: string[] = [];
  const lifecycle = {
    jobQueued: async (record: ResourceRecord) => void queued.push(record.armId),
    terminationRequested: async () => undefined,
  } as JobLifecycle;
  await expect(createJob(depsWith(store, lifecycle), job, structuredClone(body))).rejects.toMatchObject({
    code: 'ParentResourceBeingDeleted',
  });
  expect(records.has(keyOf(job))).toBe(false);
  expect(queued).toEqual([]);
});

test('a job whose properties would not fit in a task message is a 400 naming its largest field, before it is queued', async () => {
  const { store, records } = memoryStore();
  const queued: string[] = [];
  const lifecycle = {
    jobQueued: async (record: ResourceRecord) => void queued.push(record.armId),
    terminationRequested: async () => undefined,
  } as JobLifecycle;
  const deps = depsWith(store, lifecycle);
  for (const length of [100_000, 3_000_000]) {
    const big = structuredClone(body);
    big.properties.customToolkitSettings.commandLine = `echo ${'x'.repeat(length)}`;
    await expect(createJob(deps, job, big)).rejects.toMatchObject({
      httpStatus: 400,
      code: 'RequestBodyTooLarge',
      target: 'properties.customToolkitSettings.commandLine',
    });
  }
  // Secrets count at their sealed size, and are named by their path.
  const secret = {
    properties: {
      ...structuredClone(body.properties),
      secrets: [{ name: 'TOKEN', value: 's'.repeat(30_000) }],
    },
  };
  await expect(createJob(deps, job, secret)).rejects.toMatchObject({
    code: 'RequestBodyTooLarge',
    target: 'properties.secrets[0].value',
  });
  expect(records.has(keyOf(job))).toBe(false);
  expect(queued).toEqual([]);
  // A command line of some kilobytes is fine.
  const fits = structuredClone(body);
  fits.properties.customToolkitSettings.commandLine = `echo ${'x'.repeat(20_000)}`;
  expect((await createJob(deps, job, fits)).created).toBe(true);
});

test("what created a job (a sweep's trial) is kept on its record; a client's job has none", async () => {
  const { store, records } = memoryStore();
  const lifecycle = { jobQueued: async () => undefined } as unknown as JobLifecycle;
  await createJob(depsWith(store, lifecycle), job, structuredClone(body), { createdBy: 'sweep:abc' });
  expect(records.get(keyOf(job))?.record.job?.createdBy).toBe('sweep:abc');
  const other: ResourceRef = { ...job, name: 'k' };
  await createJob(depsWith(store, lifecycle), other, structuredClone(body));
  expect(records.get(keyOf(other))?.record.job).not.toHaveProperty('createdBy');
});

test("a job under a missing experiment is a 404 naming the experiment's workspace; one without a commandLine a 400", async () => {
  const { store } = memoryStore();
  const deps = depsWith(store, { jobQueued: async () => undefined } as unknown as JobLifecycle);
  const orphan: ResourceRef = { ...job, experiment: 'expp' };
  await expect(createJob(deps, orphan, body)).rejects.toMatchObject({
    code: 'ParentResourceNotFound',
    message: "The parent experiment 'expp' was not found in workspace 'ws' of resource group 'rg'.",
  });
  const { customToolkitSettings: _given, ...properties } = body.properties;
  await expect(
    createJob(deps, job, { properties: { ...properties, customToolkitSettings: { comandLine: 'train' } } }),
  ).rejects.toMatchObject({ httpStatus: 400, target: 'properties.customToolkitSettings.commandLine' });
});
