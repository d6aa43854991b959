// Batching scoring rules over in-memory stores: a batch's job lists its blobs' URLs and names in environment
// variables, so a batch is full by size as well as by count: with long blob names the window's blobs go into as
// many parts as their jobs need, every part's job is created, and every blob is listed once.
import { randomUUID } from 'crypto';
import { ConflictError, PreconditionFailedError } from '../errors';
import { armIdOf, keyOf, type ResourceRef } from '../resourceId';
import type { ResourceRecord } from '../resourceRecord';
import { memoryScope, memoryServiceDeps, memoryWorkspace } from '../../../test/support/memoryServiceDeps';
import { flushBlobBatch, handleBlobCreated } from './blobScoringService';
import type { EventSourceDeps } from './eventSourceDeps';
import type { BlobBatch, ScoringRuleRecord } from './eventSourceStore';
import { validateScoringRuleBody } from './scoringRule';

const experiment: ResourceRef = { kind: 'experiment', ...memoryScope, name: 'exp' };
const cluster: ResourceRef = { kind: 'cluster', ...memoryScope, name: 'c' };

async function setUp() {
  const { deps: service, records } = memoryServiceDeps();
  const workspaceCreated = '2029-12-01T00:00:00.000Z';
  records.get(keyOf(memoryWorkspace))!.record.status.creationTime = workspaceCreated;
  for (const ref of [experiment, cluster])
    await service.store.create({
      kind: ref.kind,
      ref,
      armId: armIdOf(ref),
      location: 'eastus',
      spec: {},
      status: { provisioningState: 'succeeded' },
      encryptedSecrets: {},
    } as ResourceRecord);
  const properties = validateScoringRuleBody({
    properties: {
      source: { container: 'incoming' },
      experimentName: 'exp',
      jobTemplate: {
        properties: {
          nodeCount: 1,
          cluster: { id: armIdOf(cluster) },
          stdOutErrPathPrefix: '/x',
          customToolkitSettings: { commandLine: 'python score.py' },
        },
      },
      batching: { windowSeconds: 60 },
    },
  });
  const rule = {
    kind: 'scoringRule',
    name: 'r',
    workspace: memoryScope,
    properties,
    workspaceStamp: workspaceCreated,
  } as unknown as ScoringRuleRecord;
  const batches = new Map<string, { batch: BlobBatch; etag: string }>();
  const keep = (batch: BlobBatch) => {
    const stored = { batch: structuredClone(batch), etag: randomUUID() };
    batches.set(batch.id, stored);
    return stored;
  };
  const store = {
    rulesForContainer: async () => [{ record: rule, etag: 'r' }],
    get: async () => ({ record: rule, etag: 'r' }),
    getBatch: async (id: string) => batches.get(id),
    createBatch: async (batch: BlobBatch) => {
      if (batches.has(batch.id)) throw new ConflictError('Conflict', 'exists');
      return keep(batch);
    },
    replaceBatch: async (batch: BlobBatch, etag: string) => {
      if (batches.get(batch.id)?.etag !== etag) throw new PreconditionFailedError('changed');
      return keep(batch);
    },
  };
  const deps = {
    service: { ...service, lifecycle: { jobQueued: async () => undefined } },
    store,
    batches: { scheduleFlush: async () => undefined },
  } as unknown as EventSourceDeps;
  return { deps, records, batches };
}

test('a window of blobs with long names goes into parts whose jobs fit; every blob is listed once', async () => {
  const { deps, records, batches } = await setUp();
  const names = Array.from(
    { length: 200 },
    (_, i) =>
      `2030/01/01/region-westeurope/sensor-group-07/device-${String(i).padStart(6, '0')}/readings-20300101T000000Z.csv`,
  );
  const parts = new Set<string>();
  for (const [i, blobName] of names.entries()) {
    const [outcome] = await handleBlobCreated(deps, {
      eventId: `ev-${i}`,
      eventTime: new Date('2030-01-01T00:00:10Z'),
      storageAccount: 'contosodata',
      container: 'incoming',
      blobName,
      url: `https://contosodata.blob.core.windows.net/incoming/${blobName}`,
    });
    expect(outcome.result).toBe('batched');
    parts.add(outcome.batchId!);
  }
  // 200 blobs of ~230 bytes listed twice (URL and name): more than one part, fewer than 200.
  expect(parts.size).toBeGreaterThan(1);
  expect(parts.size).toBeLessThan(10);
  const listed: string[] = [];
  for (const id of parts) {
    const outcome = await flushBlobBatch(deps, id);
    expect(outcome).toMatchObject({ result: 'created' });
    const job = [...records.values()].find((s) => s.record.ref.name === outcome.jobName)!.record;
    const variables = job.spec.environmentVariables as { name: string; value: string }[];
    listed.push(...variables.find((v) => v.name === 'AZ_BATCHAI_INPUT_BLOB_NAMES')!.value.split('\n'));
    expect(batches.get(id)!.batch.failure).toBeUndefined();
  }
  expect(listed.sort()).toEqual([...names].sort());
});
