// `jobSlotsPerNode`, this service's extension of a cluster's properties: how many jobs a node runs at once. Checked at
// the cluster's PUT (naming the field), fixed once the cluster exists, described in the served OpenAPI document,
// and a job on shared nodes gets ports of its own.
import { gpuShareOf, jobSlotsPerNode } from '../../shared/domain/clusterRules';
import { ConflictError, ValidationError } from '../../shared/domain/errors';
import { createCluster } from '../../shared/domain/services/clusterService';
import { toWire } from '../../shared/domain/services/resourceView';
import { servedOpenApiDocument } from '../../shared/domain/spec/servedOpenApi';
import { jobGpuShares, sharedAddressPorts } from '../../orchestrations/jobs/launchJobTasksActivity';
import { memoryScope, memoryServiceDeps } from '../support/memoryServiceDeps';

const ref = (name: string) => ({ kind: 'cluster' as const, ...memoryScope, name });

function body(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    properties: {
      vmSize: 'STANDARD_D1_V2',
      scaleSettings: { manual: { targetNodeCount: 1 } },
      userAccountSettings: { adminUserName: 'admin', adminUserSshPublicKey: 'ssh-rsa AAAA' },
      ...extra,
    },
  };
}

test('a cluster keeps its job slots per node and shows them; without them a node runs one job', async () => {
  const { deps } = memoryServiceDeps();
  const packed = await createCluster(deps, ref('packed'), body({ jobSlotsPerNode: 4 }));
  expect(packed.stored.record.spec.jobSlotsPerNode).toBe(4);
  expect(jobSlotsPerNode(packed.stored.record.spec)).toBe(4);
  expect((toWire(packed.stored.record).properties as Record<string, unknown>).jobSlotsPerNode).toBe(4);

  const plain = await createCluster(deps, ref('plain'), body({}));
  expect(plain.stored.record.spec).not.toHaveProperty('jobSlotsPerNode');
  expect(jobSlotsPerNode(plain.stored.record.spec)).toBe(1);
  // The same PUT again is no change (no default was written into the record).
  await expect(createCluster(deps, ref('plain'), body({}))).resolves.toMatchObject({ created: false });
});

test.each([0, -1, 65, 2.5, '4'])('jobSlotsPerNode %p is a 400 naming the field', async (value) => {
  const { deps } = memoryServiceDeps();
  const error = await createCluster(deps, ref('bad'), body({ jobSlotsPerNode: value })).catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  expect(error).toMatchObject({ target: 'properties.jobSlotsPerNode' });
});

test('job slots cannot change once the cluster exists', async () => {
  const { deps } = memoryServiceDeps();
  await createCluster(deps, ref('fixed'), body({ jobSlotsPerNode: 2 }));
  const error = await createCluster(deps, ref('fixed'), body({ jobSlotsPerNode: 3 })).catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConflictError);
  expect((error as Error).message).toContain('properties.jobSlotsPerNode');
});

test('the served OpenAPI document describes the extension on the create and the read definitions', () => {
  const definitions = servedOpenApiDocument('localhost', '/api', 'http').definitions as Record<
    string,
    { properties: Record<string, Record<string, unknown>> }
  >;
  for (const name of ['ClusterBaseProperties', 'ClusterProperties']) {
    expect(definitions[name].properties.jobSlotsPerNode).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 64,
      'x-batchai-extension': true,
    });
  }
});

test("a job on nodes shared with other jobs gets a port block of its own instead of Batch AI's fixed ports", () => {
  const vm = ['10.0.0.4', '10.0.0.5'];
  expect(sharedAddressPorts(vm, '0a0b0c0d-0000-0000-0000-000000000000', 1)).toBeUndefined();
  const ports = sharedAddressPorts(vm, '0a0b0c0d-0000-0000-0000-000000000000', 1, 2);
  expect(ports?.pyTorchMasterPort).toBeGreaterThanOrEqual(10_240);
  expect(ports?.pyTorchMasterPort).toBeLessThan(32_768);
  expect(ports).toEqual(sharedAddressPorts(['127.0.0.1'], '0a0b0c0d-0000-0000-0000-000000000000', 1));
});

test("each job's ports start where its GUID says, anywhere a block fits, and each attempt's clear of the last", () => {
  const local = ['127.0.0.1'];
  const starts = Array.from(
    { length: 2_000 },
    (_, i) =>
      sharedAddressPorts(local, `${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`, 1)!
        .pyTorchMasterPort,
  );
  for (const port of starts) {
    expect(port).toBeGreaterThanOrEqual(10_240);
    expect(port + 63).toBeLessThan(32_768);
  }
  // Not confined to blocks: 2,000 jobs start on 2,000 different ports.
  expect(new Set(starts).size).toBe(2_000);
  const guid = 'ffffff00-0000-4000-8000-000000000000';
  for (let attempt = 1; attempt < 5; attempt++) {
    const [before, after] = [attempt, attempt + 1].map(
      (n) => sharedAddressPorts(local, guid, n)!.tensorFlowBasePort,
    );
    // 64 ports on (wrapping to the start of the range): no port of the one before.
    expect(Math.abs(after - before)).toBeGreaterThanOrEqual(64);
  }
});

test("a job on a node shared by jobs gets an equal part of the node's GPUs, at least one", () => {
  expect(gpuShareOf(4, 2)).toBe(2);
  expect(gpuShareOf(4, 4)).toBe(1);
  expect(gpuShareOf(8, 3)).toBe(2);
  expect(gpuShareOf(2, 4)).toBe(1); // two jobs to a GPU
  // All of them: a node to itself, no GPU or one GPU (nothing to divide).
  expect(gpuShareOf(4, 1)).toBeUndefined();
  expect(gpuShareOf(0, 4)).toBeUndefined();
  expect(gpuShareOf(1, 4)).toBeUndefined();
});

test("a launch counts a job's part of a shared node's GPUs only where the node's agent holds it to that part", () => {
  const records = [
    { gpuCount: 4, agentVersion: '1.4.0' },
    { gpuCount: 4, agentVersion: '1.3.1' }, // registered before shares: every GPU, as before
    { gpuCount: 0, agentVersion: '1.4.0' },
    undefined,
  ];
  expect(jobGpuShares(records, 2)).toEqual([2, undefined, undefined, undefined]);
  expect(jobGpuShares(records, 1)).toEqual([undefined, undefined, undefined, undefined]);
});
