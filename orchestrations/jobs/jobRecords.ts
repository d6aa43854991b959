// Reading and updating job records for the lifecycle's activities: refs from wire refs and cluster keys, and an
// ETag-checked read-modify-write that re-reads on a concurrent change (the API may write the job meanwhile).
import type { JobRefWire } from '../../shared/contracts/jobCommand';
import { NotFoundError, PreconditionFailedError } from '../../shared/domain/errors';
import type { ResourceRef } from '../../shared/domain/resourceId';
import type { ResourceRecord, Stored } from '../../shared/domain/resourceRecord';
import type { JsonValue } from '../../shared/domain/specValidator';
import type { ResourceStore } from '../../shared/ports/resourceStore';

export function jobRefOf(job: JobRefWire): ResourceRef {
  return { kind: 'job', ...job };
}

/** The ref of a cluster from its (lower-cased) key or canonical id. */
export function clusterRefOfKey(clusterKey: string): ResourceRef {
  const parts = clusterKey.split('/');
  if (parts.length !== 11 || parts[9].toLowerCase() !== 'clusters') {
    throw new Error(`'${clusterKey}' is not the key of a cluster.`);
  }
  const [, , subscriptionId, , resourceGroup, , , , workspace, , name] = parts;
  return { kind: 'cluster', subscriptionId, resourceGroup, workspace, name };
}

/**
 * Applies `change` to the current record and writes it with the ETag it was read with, re-reading on a conflict.
 * `change` returns undefined to leave the record as it is. Returns the stored record (or undefined if it is gone).
 * `read`: the record as the caller just read it (saves the first read; a stale one only costs a retry).
 */
export async function updateJob(
  store: ResourceStore,
  ref: ResourceRef,
  change: (current: ResourceRecord) => ResourceRecord | undefined,
  read?: Stored,
): Promise<Stored | undefined> {
  for (let tries = 0; ; tries++) {
    // First try: the caller's fresh read, or the record as this process last saw it (usually still current).
    let recalled = false;
    let current: Stored | undefined;
    if (tries === 0 && read) current = read;
    else if (tries === 0) {
      const found = await store.getForUpdate(ref);
      current = found?.stored;
      recalled = found?.recalled ?? false;
    } else current = await store.get(ref);
    if (!current) return undefined;
    const next = change(current.record);
    if (!next) {
      if (recalled) continue; // a remembered copy may be behind: decide on a fresh read
      return current;
    }
    try {
      return await store.replace(next, current.etag);
    } catch (error: unknown) {
      // A remembered copy of a record deleted meanwhile (by another instance): the fresh read says it is gone.
      if (recalled && error instanceof NotFoundError) continue;
      if (!(error instanceof PreconditionFailedError) || tries >= 20) throw error;
    }
  }
}

/**
 * Shows the job's attempts on the wire (`properties.attempts`, an extension of Batch AI's job): when each ran, on
 * which nodes, and how it ended, so a requeued job explains its history.
 */
export function withAttemptsView(record: ResourceRecord): ResourceRecord {
  const attempts = record.job?.attempts ?? [];
  // Attempts are plain JSON (strings, numbers, string arrays); the round trip drops absent optional fields.
  const view = JSON.parse(JSON.stringify(attempts)) as JsonValue;
  return { ...record, status: { ...record.status, attempts: view } };
}
