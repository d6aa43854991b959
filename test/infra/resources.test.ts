// infra/resources.json (what infra/main.bicep provisions) must match shared/config/resourceNames.ts (what the app
// and the local launcher use), and the generator must reject names Azure would reject.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isDeepStrictEqual } from 'util';
import {
  buildInfraResources,
  infraResourcesPath,
  regenerateCommand,
  renderInfraResources,
  ResourceNameError,
  ResourceNamesSource,
  writeInfraResources,
} from '../../infra/generateResources';
import * as resourceNames from '../../shared/config/resourceNames';

const validSource: ResourceNamesSource = {
  cosmosDatabaseName: 'batchai',
  cosmosContainers: [{ id: 'jobs', partitionKeyPath: '/experimentKey' }],
  storageQueues: ['node-events'],
  blobContainers: ['node-setup-output'],
};

function expectNameError(source: ResourceNamesSource, field: string): void {
  let caught: unknown;
  try {
    buildInfraResources(source);
  } catch (error: unknown) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ResourceNameError);
  expect((caught as Error).message).toContain(field);
}

describe('infra/resources.json', () => {
  test('is up to date with shared/config/resourceNames.ts', () => {
    const committed: unknown = JSON.parse(fs.readFileSync(infraResourcesPath(), 'utf8'));
    const expected = buildInfraResources();
    if (!isDeepStrictEqual(committed, expected)) {
      throw new Error(
        `infra/resources.json is out of date with shared/config/resourceNames.ts. Regenerate it with:\n` +
          `  ${regenerateCommand}\n` +
          `expected:\n${JSON.stringify(expected, null, 2)}\ncommitted:\n${JSON.stringify(committed, null, 2)}`,
      );
    }
  });

  test('lists every container, queue and blob container resourceNames.ts declares, with partition keys', () => {
    const committed = JSON.parse(fs.readFileSync(infraResourcesPath(), 'utf8')) as ReturnType<
      typeof buildInfraResources
    >;
    expect(committed.cosmosDatabaseName).toBe(resourceNames.cosmosDatabaseName);
    for (const container of resourceNames.cosmosContainers) {
      expect(committed.cosmosContainers).toContainEqual({
        id: container.id,
        partitionKeyPath: container.partitionKeyPath,
      });
    }
    expect(committed.storageQueues).toEqual(resourceNames.storageQueues);
    expect(committed.blobContainers).toEqual(resourceNames.blobContainers);
  });

  test('the generator writes a file that parses back to the same resources', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'infra-resources-'));
    try {
      const target = path.join(dir, 'resources.json');
      const written = writeInfraResources(target);
      expect(JSON.parse(fs.readFileSync(target, 'utf8'))).toEqual(written);
      expect(fs.readFileSync(target, 'utf8')).toBe(renderInfraResources(written));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('generateResources validation', () => {
  test('accepts valid names and keeps only what Bicep needs from each container', () => {
    const resources = buildInfraResources(validSource);
    expect(resources.cosmosContainers).toEqual([{ id: 'jobs', partitionKeyPath: '/experimentKey' }]);
    expect(resources.storageQueues).toEqual(['node-events']);
  });

  test('rejects a queue name Azure would reject, naming the entry', () => {
    expectNameError({ ...validSource, storageQueues: ['ok-queue', 'Bad_Queue'] }, 'storageQueues[1]');
    expectNameError({ ...validSource, storageQueues: ['double--hyphen'] }, 'storageQueues[0]');
    expectNameError({ ...validSource, storageQueues: ['ab'] }, 'storageQueues[0]');
  });

  test('rejects a blob container name that is invalid or taken by infra itself', () => {
    expectNameError({ ...validSource, blobContainers: ['trailing-'] }, 'blobContainers[0]');
    expectNameError({ ...validSource, blobContainers: ['node-agent'] }, 'blobContainers[0]');
  });

  test('rejects a bad partition key path and a duplicate container id', () => {
    expectNameError(
      { ...validSource, cosmosContainers: [{ id: 'jobs', partitionKeyPath: 'experimentKey' }] },
      'cosmosContainers[0].partitionKeyPath',
    );
    expectNameError(
      {
        ...validSource,
        cosmosContainers: [
          { id: 'jobs', partitionKeyPath: '/a' },
          { id: 'jobs', partitionKeyPath: '/b' },
        ],
      },
      'cosmosContainers[1]',
    );
    expectNameError(
      { ...validSource, cosmosContainers: [{ id: 'a/b', partitionKeyPath: '/a' }] },
      'cosmosContainers[0].id',
    );
  });
});
