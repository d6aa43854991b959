// Scoring rules: "when a blob lands in this container (prefix/suffix filter, like Event Grid's subjectBeginsWith /
// subjectEndsWith), run this job template over it", one job per blob or one job per batching window.
import { ValidationError } from '../errors';
import { isJsonObject, type JsonObject, type JsonValue } from '../specValidator';
import type { BlobCreatedEvent } from './blobCreatedEvent';
import {
  integerField,
  objectField,
  optionalBooleanField,
  optionalStringField,
  resourceNameField,
  stringField,
} from './definitionFields';
import { validateJobTemplate } from './jobTemplate';

export interface BlobSourceFilter {
  /** Storage account name; absent: any account whose events reach the function. */
  storageAccount?: string;
  container: string;
  blobPrefix?: string;
  blobSuffix?: string;
  /** Event Grid's isSubjectCaseSensitive: false by default. */
  caseSensitive: boolean;
}

export interface BlobBatching {
  /** Blobs whose events fall in the same window of this many seconds (aligned to the epoch) share one job. */
  windowSeconds: number;
  /** A window holding this many blobs is closed early: the next blob opens a new batch. */
  maxBlobs: number;
}

export interface ScoringRuleProperties {
  source: BlobSourceFilter;
  experimentName: string;
  /** A JobCreateParameters body, validated (see jobTemplate.ts). */
  jobTemplate: JsonObject;
  /** Absent: one job per blob. */
  batching?: BlobBatching;
  enabled: boolean;
}

export const maxBlobsPerBatch = 200;
const containerPattern = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;

export function validateScoringRuleBody(body: unknown): ScoringRuleProperties {
  const root = objectField(body, 'body');
  const properties = objectField(root.properties, 'properties');
  const sourceObj = objectField(properties.source, 'properties.source');
  const container = stringField(sourceObj, 'container', 'properties.source', 63);
  if (!containerPattern.test(container)) {
    throw new ValidationError(
      'properties.source.container',
      `'properties.source.container' must be a blob container name (3-63 of a-z, 0-9 and single '-').`,
    );
  }
  const source: BlobSourceFilter = {
    container,
    caseSensitive: optionalBooleanField(sourceObj, 'caseSensitive', 'properties.source', false),
  };
  const account = optionalStringField(sourceObj, 'storageAccount', 'properties.source', 24);
  if (account !== undefined) {
    if (!/^[a-z0-9]{3,24}$/.test(account)) {
      throw new ValidationError(
        'properties.source.storageAccount',
        `'properties.source.storageAccount' must be a storage account name (3-24 of a-z and 0-9).`,
      );
    }
    source.storageAccount = account;
  }
  const prefix = optionalStringField(sourceObj, 'blobPrefix', 'properties.source', 1024);
  if (prefix !== undefined) source.blobPrefix = prefix;
  const suffix = optionalStringField(sourceObj, 'blobSuffix', 'properties.source', 1024);
  if (suffix !== undefined) source.blobSuffix = suffix;

  const rule: ScoringRuleProperties = {
    source,
    experimentName: resourceNameField(properties, 'experimentName', 'properties'),
    jobTemplate: validateJobTemplate('properties.jobTemplate', properties.jobTemplate),
    enabled: optionalBooleanField(properties, 'enabled', 'properties', true),
  };
  if (properties.batching !== undefined && properties.batching !== null) {
    const batching = objectField(properties.batching, 'properties.batching');
    rule.batching = {
      windowSeconds: integerField(batching, 'windowSeconds', 'properties.batching', 1, 3600),
      maxBlobs:
        batching.maxBlobs === undefined
          ? maxBlobsPerBatch
          : integerField(batching, 'maxBlobs', 'properties.batching', 1, maxBlobsPerBatch),
    };
  }
  // A placeholder the rule's jobs never get would reach the command line as it is written.
  const unavailable = rule.batching ? ['blobUrl', 'blobName', 'eventId'] : ['blobCount'];
  const misplaced = placeholderIn(rule.jobTemplate, unavailable, 'properties.jobTemplate');
  if (misplaced) {
    throw new ValidationError(
      misplaced.path,
      rule.batching
        ? `'{${misplaced.name}}' names one blob, but a batching rule's job scores many: use $AZ_BATCHAI_INPUT_BLOB_URLS or $AZ_BATCHAI_INPUT_BLOB_NAMES (one per line), or {blobCount}, {containerName}, {storageAccount}.`
        : `'{${misplaced.name}}' is set for batches only (properties.batching); a job per blob has {blobUrl}, {blobName}, {containerName}, {storageAccount}, {eventId}.`,
    );
  }
  return rule;
}

/** The first `{name}` among `names` in the template's strings, with its path. */
function placeholderIn(
  node: JsonValue,
  names: readonly string[],
  path: string,
): { name: string; path: string } | undefined {
  if (typeof node === 'string') {
    const name = names.find((candidate) => node.includes(`{${candidate}}`));
    return name ? { name, path } : undefined;
  }
  if (Array.isArray(node)) {
    for (const [index, item] of node.entries()) {
      const found = placeholderIn(item, names, `${path}[${index}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (isJsonObject(node)) {
    for (const [key, child] of Object.entries(node)) {
      const found = placeholderIn(child, names, `${path}.${key}`);
      if (found) return found;
    }
  }
  return undefined;
}

/** Does the blob pass the rule's filter? (Disabled rules match nothing.) */
export function ruleMatches(rule: ScoringRuleProperties, blob: BlobCreatedEvent): boolean {
  if (!rule.enabled) return false;
  const { source } = rule;
  const fold = (text: string): string => (source.caseSensitive ? text : text.toLowerCase());
  if (source.storageAccount !== undefined && source.storageAccount !== blob.storageAccount.toLowerCase())
    return false;
  if (source.container !== blob.container.toLowerCase()) return false;
  if (source.blobPrefix !== undefined && !fold(blob.blobName).startsWith(fold(source.blobPrefix)))
    return false;
  if (source.blobSuffix !== undefined && !fold(blob.blobName).endsWith(fold(source.blobSuffix))) return false;
  return true;
}

/** The environment a job created for one blob gets (also the `{placeholder}` values of its template). */
export function blobVariables(blob: BlobCreatedEvent): Record<string, string> {
  return {
    AZ_BATCHAI_INPUT_BLOB_URL: blob.url,
    AZ_BATCHAI_INPUT_BLOB_CONTAINER: blob.container,
    AZ_BATCHAI_INPUT_BLOB_NAME: blob.blobName,
    AZ_BATCHAI_INPUT_STORAGE_ACCOUNT: blob.storageAccount,
    AZ_BATCHAI_TRIGGER_EVENT_ID: blob.eventId,
  };
}

export function blobPlaceholders(blob: BlobCreatedEvent): Record<string, string> {
  return {
    blobUrl: blob.url,
    blobName: blob.blobName,
    containerName: blob.container,
    storageAccount: blob.storageAccount,
    eventId: blob.eventId,
  };
}
