// Writes infra/resources.json, which infra/main.bicep loads with loadJsonContent, from shared/config/resourceNames.ts:
// the one list of the Cosmos DB containers, queues and blob containers the app needs, validated against Azure's
// naming rules so that a bad name fails here with the field named rather than halfway through a deployment.
// Regenerate: npx tsc -p tsconfig.json && node dist/infra/generateResources.js
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as resourceNames from '../shared/config/resourceNames';

/** Blob containers infra/main.bicep creates for itself (Flex Consumption deployment package, node agent package). */
export const infraOwnedBlobContainers: readonly string[] = ['app-package', 'node-agent'];

export const regenerateCommand = 'npx tsc -p tsconfig.json && node dist/infra/generateResources.js';

export interface InfraCosmosContainer {
  id: string;
  partitionKeyPath: string;
}

export interface InfraResources {
  _generated: string;
  cosmosDatabaseName: string;
  cosmosContainers: InfraCosmosContainer[];
  storageQueues: string[];
  blobContainers: string[];
}

/** The part of shared/config/resourceNames.ts the generator reads (a parameter so tests can pass bad input). */
export interface ResourceNamesSource {
  cosmosDatabaseName: string;
  cosmosContainers: readonly { id: string; partitionKeyPath: string }[];
  storageQueues: readonly string[];
  blobContainers: readonly string[];
}

export class ResourceNameError extends Error {
  constructor(field: string, problem: string) {
    super(`shared/config/resourceNames.ts: ${field} ${problem}`);
    this.name = 'ResourceNameError';
  }
}

// Queue and blob container names share Azure's rule: 3-63 characters, lowercase letters, digits and single
// hyphens, starting and ending with a letter or digit.
const storageNamePattern = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/;
// Cosmos DB resource ids may not contain these characters nor end with a space.
const cosmosForbiddenCharacters = /[/\\#?]/;
const partitionKeyPathPattern = /^(\/[^/\s]+)+$/;

function checkStorageName(field: string, name: string): void {
  if (!storageNamePattern.test(name)) {
    throw new ResourceNameError(
      field,
      `is '${name}': queue and blob container names need 3-63 lowercase letters, digits or single hyphens, starting and ending with a letter or digit.`,
    );
  }
}

function checkCosmosId(field: string, id: string): void {
  if (id.length < 1 || id.length > 255 || cosmosForbiddenCharacters.test(id) || id.endsWith(' ')) {
    throw new ResourceNameError(
      field,
      `is '${id}': Cosmos DB ids need 1-255 characters without '/', '\\', '#' or '?' and no trailing space.`,
    );
  }
}

function checkUnique(field: string, names: readonly string[]): void {
  const seen = new Set<string>();
  names.forEach((name, index) => {
    if (seen.has(name)) throw new ResourceNameError(`${field}[${index}]`, `repeats '${name}'.`);
    seen.add(name);
  });
}

export function buildInfraResources(source: ResourceNamesSource = resourceNames): InfraResources {
  checkCosmosId('cosmosDatabaseName', source.cosmosDatabaseName);
  source.cosmosContainers.forEach((container, index) => {
    checkCosmosId(`cosmosContainers[${index}].id`, container.id);
    if (!partitionKeyPathPattern.test(container.partitionKeyPath)) {
      throw new ResourceNameError(
        `cosmosContainers[${index}].partitionKeyPath`,
        `is '${container.partitionKeyPath}': a partition key path looks like '/field' or '/parent/field'.`,
      );
    }
  });
  checkUnique(
    'cosmosContainers',
    source.cosmosContainers.map((container) => container.id),
  );
  source.storageQueues.forEach((queue, index) => checkStorageName(`storageQueues[${index}]`, queue));
  checkUnique('storageQueues', source.storageQueues);
  source.blobContainers.forEach((container, index) => {
    checkStorageName(`blobContainers[${index}]`, container);
    if (infraOwnedBlobContainers.includes(container)) {
      throw new ResourceNameError(
        `blobContainers[${index}]`,
        `is '${container}', a container infra/main.bicep already uses for itself; choose another name.`,
      );
    }
  });
  checkUnique('blobContainers', source.blobContainers);
  return {
    _generated: `Generated from shared/config/resourceNames.ts by infra/generateResources.ts; do not edit. Regenerate: ${regenerateCommand}`,
    cosmosDatabaseName: source.cosmosDatabaseName,
    cosmosContainers: source.cosmosContainers.map(({ id, partitionKeyPath }) => ({ id, partitionKeyPath })),
    storageQueues: [...source.storageQueues],
    blobContainers: [...source.blobContainers],
  };
}

/** The repository root: the nearest folder above this file (infra/ or dist/infra/) holding package.json. */
export function repositoryRoot(start: string = __dirname): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No package.json above ${start}: cannot find the repository root.`);
    dir = parent;
  }
}

export function infraResourcesPath(root: string = repositoryRoot()): string {
  return path.join(root, 'infra', 'resources.json');
}

/**
 * The file text, formatted by the repository's Prettier (its CLI in a child process: Prettier 3's API loads itself
 * with a dynamic import that Jest's module sandbox refuses) so that `prettier --check infra` passes.
 */
export function renderInfraResources(resources: InfraResources, root: string = repositoryRoot()): string {
  const prettierCli = require.resolve('prettier/bin/prettier.cjs', { paths: [root] });
  return execFileSync(process.execPath, [prettierCli, '--stdin-filepath', infraResourcesPath(root)], {
    cwd: root,
    input: JSON.stringify(resources),
    encoding: 'utf8',
  });
}

export function writeInfraResources(target: string = infraResourcesPath()): InfraResources {
  const resources = buildInfraResources();
  fs.writeFileSync(target, renderInfraResources(resources));
  return resources;
}

if (require.main === module) {
  try {
    const resources = writeInfraResources();
    console.log(
      `Wrote ${infraResourcesPath()}: ${resources.cosmosContainers.length} Cosmos containers, ` +
        `${resources.storageQueues.length} queues, ${resources.blobContainers.length} blob containers.`,
    );
  } catch (error: unknown) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}
