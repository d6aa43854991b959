// Reads a pasted Batch AI job.json (the file `az batchai job create --config-file` took: `{"properties": {...}}`,
// or the bare properties) and builds the PUT body for the chosen cluster, naming the field when something is wrong;
// and says what in it the service would ignore.
import { unknownPropertyMessages } from '../../../shared/client/unknownProperties.js';

export type JobSubmission =
  { ok: true; body: { properties: Record<string, unknown> } } | { ok: false; field: string; message: string };

const namePattern = /^[-\w]{1,64}$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks a job, experiment or cluster name the way the API does (letters, digits, '-', '_'; 1-64). */
export function checkResourceName(field: string, name: string): string | undefined {
  if (name.trim() === '') return `${field} is required.`;
  if (!namePattern.test(name))
    return `${field} may only hold letters, digits, '-' and '_' (1 to 64 characters).`;
  return undefined;
}

/** A pasted job.json read: its object, and whether it holds the job's properties under `properties`. */
type JobJson =
  | { ok: true; parsed: Record<string, unknown>; wrapped: boolean }
  | { ok: false; field: string; message: string };

function readJobJson(jobJson: string): JobJson {
  if (jobJson.trim() === '') return { ok: false, field: 'job.json', message: 'Paste a Batch AI job.json.' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(jobJson);
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, field: 'job.json', message: `job.json is not valid JSON: ${reason}` };
  }
  if (!isObject(parsed)) return { ok: false, field: 'job.json', message: 'job.json must be a JSON object.' };
  const wrapped = isObject(parsed.properties);
  if (!wrapped && 'properties' in parsed) {
    return { ok: false, field: 'properties', message: "'properties' must be an object." };
  }
  return { ok: true, parsed, wrapped };
}

export function buildJobSubmission(jobJson: string, clusterId: string | undefined): JobSubmission {
  const read = readJobJson(jobJson);
  if (!read.ok) return read;
  const { parsed, wrapped } = read;
  const source = wrapped ? (parsed.properties as Record<string, unknown>) : parsed;
  // `$schema` and other top-level annotations of the file are not part of the job.
  const properties: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) if (!key.startsWith('$')) properties[key] = value;
  if (clusterId) {
    properties.cluster = { id: clusterId };
  } else {
    const cluster = properties.cluster;
    if (!isObject(cluster) || typeof cluster.id !== 'string' || cluster.id === '') {
      return {
        ok: false,
        field: 'properties.cluster.id',
        message: 'Choose a cluster (job.json does not name one in properties.cluster.id).',
      };
    }
  }
  if (properties.nodeCount === undefined) properties.nodeCount = 1;
  if (properties.stdOutErrPathPrefix === undefined) {
    // Batch AI required it; the job's own mount root is where a local node keeps its files.
    properties.stdOutErrPathPrefix = '$AZ_BATCHAI_JOB_MOUNT_ROOT/logs';
  }
  return { ok: true, body: { properties } };
}

/**
 * What the service would ignore in a pasted job.json, whatever cluster is chosen: one sentence per property the
 * service's OpenAPI document does not have, with the closest known name (a misspelt `schedulingPriorty` would
 * otherwise be silently lost), named by its path in the paste (`properties.x`, or `x` in bare properties). None
 * for a paste that is not a job's JSON object, or without the document.
 */
export function jobSubmissionWarnings(openApiDocument: unknown, jobJson: string): string[] {
  const read = readJobJson(jobJson);
  if (!read.ok) return [];
  return unknownPropertyMessages(
    openApiDocument,
    read.wrapped ? 'JobCreateParameters' : 'JobBaseProperties',
    read.parsed,
    'job.json',
  );
}
