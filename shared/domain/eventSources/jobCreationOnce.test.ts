// A redelivered event whose job exists counts as done, even when its request no longer validates (the cluster was
// deleted since the delivery that created the job); without the job, the validation error stands.
import { randomBytes, randomUUID } from 'crypto';
import { AesGcmSecretProtector } from '../../crypto/aesGcmSecretProtector';
import { ValidationError } from '../errors';
import type { ResourceRef } from '../resourceId';
import type { Stored } from '../resourceRecord';
import type { ResourceStore } from '../../ports/resourceStore';
import type { ServiceDeps } from '../services/serviceDeps';
import { createJobOnce } from './jobCreationOnce';

const scope = { subscriptionId: 's', resourceGroup: 'rg', workspace: 'ws' };
const job: ResourceRef = { kind: 'job', ...scope, experiment: 'exp', name: 'scored-1' };
const body = {
  properties: {
    cluster: {
      id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/ws/clusters/gone',
    },
    nodeCount: 1,
    stdOutErrPathPrefix: '/x',
    customToolkitSettings: { commandLine: 'true' },
  },
};

function depsWith(jobExists: boolean): ServiceDeps {
  const found = (ref: ResourceRef): Stored | undefined =>
    ref.kind === 'workspace' || ref.kind === 'experiment' || (ref.kind === 'job' && jobExists)
      ? ({ record: { ref, status: {}, spec: {}, location: 'eastus' }, etag: 'e' } as unknown as Stored)
      : undefined; // the cluster is gone
  return {
    store: { get: async (ref: ResourceRef) => found(ref) } as unknown as ResourceStore,
    secrets: new AesGcmSecretProtector(randomBytes(32)),
    now: () => new Date(),
    newId: randomUUID,
  } as unknown as ServiceDeps;
}

test("a job that exists is done, though its cluster is gone; without it the cluster's absence is the answer", async () => {
  await expect(createJobOnce(depsWith(true), job, structuredClone(body))).resolves.toBe('existing');
  const refused = await createJobOnce(depsWith(false), job, structuredClone(body)).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(ValidationError);
  expect((refused as ValidationError).target).toBe('properties.cluster.id');
});
