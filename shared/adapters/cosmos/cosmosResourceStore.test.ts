// Cosmos DB refuses a document above its size limit with 413 ("Request size is too large"): the store answers a 400
// RequestBodyTooLarge naming the record's largest property, never an internal error.
import type { CosmosClient } from '@azure/cosmos';
import { ValidationError } from '../../domain/errors';
import { armIdOf, type ResourceRef } from '../../domain/resourceId';
import type { ResourceRecord } from '../../domain/resourceRecord';
import { CosmosResourceStore } from './cosmosResourceStore';

const tooLarge = Object.assign(new Error('Request size is too large'), { code: 413 });

function refusingClient(): CosmosClient {
  const container = {
    items: {
      create: async () => {
        throw tooLarge;
      },
    },
    item: () => ({
      replace: async () => {
        throw tooLarge;
      },
    }),
  };
  return { database: () => ({ container: () => container }) } as unknown as CosmosClient;
}

const ref: ResourceRef = {
  kind: 'cluster',
  subscriptionId: 's',
  resourceGroup: 'rg',
  workspace: 'ws',
  name: 'big',
};
const record = {
  kind: 'cluster',
  ref,
  armId: armIdOf(ref),
  location: 'eastus',
  spec: {
    vmSize: 'STANDARD_D1',
    nodeSetup: { setupTask: { commandLine: 'x'.repeat(3_000_000), stdOutErrPathPrefix: '/x' } },
  },
  status: {},
  encryptedSecrets: {},
} as unknown as ResourceRecord;

test.each(['create', 'replace'] as const)(
  'a document Cosmos refuses as too large (413) on %s is a 400 naming the largest property',
  async (operation) => {
    const store = new CosmosResourceStore(refusingClient(), 'db-413');
    const error = await (operation === 'create' ? store.create(record) : store.replace(record, 'etag')).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({
      httpStatus: 400,
      code: 'RequestBodyTooLarge',
      target: 'properties.nodeSetup.setupTask.commandLine',
    });
  },
);
