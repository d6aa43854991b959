// Blob created -> batch scoring: every enabled rule whose filter matches the blob gets a job, one per (rule, event)
// or one per (rule, batching window). Jobs are created through createJob under deterministic names, so Event
// Grid's redeliveries (same event id) find the job they created. Permanent failures are reported per rule;
// transient ones throw so the delivery is retried.
import { ConflictError, PreconditionFailedError, type ErrorDetail } from '../errors';
import { createJobOnce } from './jobCreationOnce';
import type { ResourceRef } from '../resourceId';
import type { BlobCreatedEvent } from './blobCreatedEvent';
import { blobBatchId, blobBatchJobName, blobEventJobName } from './eventJobName';
import type { EventSourceDeps } from './eventSourceDeps';
import { workspaceKeyOf, type BlobBatch, type ScoringRuleRecord } from './eventSourceStore';
import { permanentFailure } from './failureKind';
import { instantiateJobTemplate, type EnvironmentVariable } from './jobTemplate';
import { blobPlaceholders, blobVariables, ruleMatches } from './scoringRule';

/** A batch's job is created this long after its window closes, for events still in flight. */
export const batchGraceMs = 2_000;
const maxBatchParts = 1_000;

export interface RuleOutcome {
  rule: string;
  workspace: string;
  result: 'created' | 'existing' | 'batched' | 'failed';
  jobName?: string;
  batchId?: string;
  error?: ErrorDetail;
}

function variables(values: Record<string, string>): EnvironmentVariable[] {
  return Object.entries(values).map(([name, value]) => ({ name, value }));
}

function jobRef(rule: ScoringRuleRecord, name: string): ResourceRef {
  return { kind: 'job', ...rule.workspace, experiment: rule.properties.experimentName, name };
}

export async function handleBlobCreated(
  deps: EventSourceDeps,
  blob: BlobCreatedEvent,
): Promise<RuleOutcome[]> {
  const rules = (await deps.store.rulesForContainer(blob.container)).filter((rule) =>
    ruleMatches(rule.record.properties, blob),
  );
  const outcomes: RuleOutcome[] = [];
  for (const { record: rule } of rules) {
    const base = { rule: rule.name, workspace: workspaceKeyOf(rule.workspace) };
    try {
      if (rule.properties.batching) {
        outcomes.push({ ...base, result: 'batched', batchId: await addToBatch(deps, rule, blob) });
        continue;
      }
      const name = blobEventJobName(rule.name, blob.eventId);
      const body = instantiateJobTemplate(
        rule.properties.jobTemplate,
        blobPlaceholders(blob),
        variables(blobVariables(blob)),
      );
      outcomes.push({
        ...base,
        result: await createJobOnce(deps.service, jobRef(rule, name), body),
        jobName: name,
      });
    } catch (error: unknown) {
      const reason = permanentFailure(error);
      if (!reason) throw error;
      outcomes.push({ ...base, result: 'failed', error: reason });
    }
  }
  return outcomes;
}

/** Adds the blob to its rule's batch for the event's window (idempotent by event id); returns the batch id. */
async function addToBatch(
  deps: EventSourceDeps,
  rule: ScoringRuleRecord,
  blob: BlobCreatedEvent,
): Promise<string> {
  const windowMs = rule.properties.batching!.windowSeconds * 1000;
  const maxBlobs = rule.properties.batching!.maxBlobs;
  const windowStart = new Date(Math.floor(blob.eventTime.getTime() / windowMs) * windowMs);
  const flushAt = (): Date =>
    new Date(Math.max(windowStart.getTime() + windowMs, deps.service.now().getTime()) + batchGraceMs);
  const entry = {
    eventId: blob.eventId,
    url: blob.url,
    storageAccount: blob.storageAccount,
    container: blob.container,
    blobName: blob.blobName,
  };
  const workspaceKey = workspaceKeyOf(rule.workspace);
  let part = 0;
  while (part < maxBatchParts) {
    const id = blobBatchId(workspaceKey, rule.name, windowStart, part);
    const found = await deps.store.getBatch(id);
    if (!found) {
      const batch: BlobBatch = {
        id,
        workspace: rule.workspace,
        ruleName: rule.name,
        windowStart: windowStart.toISOString(),
        part,
        blobs: [entry],
      };
      try {
        await deps.store.createBatch(batch);
      } catch (error: unknown) {
        if (error instanceof ConflictError) continue; // another delivery opened it first: read it again
        throw error;
      }
      await deps.batches.scheduleFlush(id, flushAt());
      return id;
    }
    if (found.batch.blobs.some((b) => b.eventId === blob.eventId)) {
      // A redelivery: the earlier attempt may have stopped before asking for the flush, so ask again.
      if (!found.batch.jobName) await deps.batches.scheduleFlush(id, flushAt());
      return id;
    }
    if (
      found.batch.jobName !== undefined ||
      found.batch.failure !== undefined ||
      found.batch.blobs.length >= maxBlobs
    ) {
      part += 1;
      continue;
    }
    try {
      await deps.store.replaceBatch({ ...found.batch, blobs: [...found.batch.blobs, entry] }, found.etag);
      return id;
    } catch (error: unknown) {
      if (!(error instanceof PreconditionFailedError)) throw error;
    }
  }
  throw new Error(`The batches of rule '${rule.name}' for window ${windowStart.toISOString()} are all full.`);
}

export interface BatchOutcome {
  batchId: string;
  result: 'created' | 'existing' | 'failed' | 'missing';
  jobName?: string;
  blobCount?: number;
  error?: ErrorDetail;
}

/**
 * Closes the batch (no blob is added afterwards) and creates its job from the closed list. Safe to run more than
 * once: a closed batch creates the same job under the same name again, which createJob answers with the existing one.
 */
export async function flushBlobBatch(deps: EventSourceDeps, batchId: string): Promise<BatchOutcome> {
  let batch: BlobBatch;
  for (;;) {
    const found = await deps.store.getBatch(batchId);
    if (!found) return { batchId, result: 'missing' };
    if (found.batch.failure !== undefined) {
      return { batchId, result: 'failed', error: { code: 'BatchFailed', message: found.batch.failure } };
    }
    if (found.batch.jobName !== undefined) {
      batch = found.batch;
      break;
    }
    const closed = {
      ...found.batch,
      jobName: blobBatchJobName(found.batch.ruleName, new Date(found.batch.windowStart), found.batch.part),
    };
    try {
      batch = (await deps.store.replaceBatch(closed, found.etag)).batch;
      break;
    } catch (error: unknown) {
      if (!(error instanceof PreconditionFailedError)) throw error;
    }
  }
  const jobName = batch.jobName!;
  const rule = await deps.store.get('scoringRule', batch.workspace, batch.ruleName);
  try {
    if (!rule || rule.record.kind !== 'scoringRule') {
      throw new ConflictError(
        'ScoringRuleNotFound',
        `The scoring rule '${batch.ruleName}' was deleted before its batch's job was created.`,
      );
    }
    const first = batch.blobs[0];
    const body = instantiateJobTemplate(
      rule.record.properties.jobTemplate,
      {
        containerName: first.container,
        storageAccount: first.storageAccount,
        blobCount: String(batch.blobs.length),
      },
      variables({
        AZ_BATCHAI_INPUT_BLOB_URLS: batch.blobs.map((b) => b.url).join('\n'),
        AZ_BATCHAI_INPUT_BLOB_NAMES: batch.blobs.map((b) => b.blobName).join('\n'),
        AZ_BATCHAI_INPUT_BLOB_COUNT: String(batch.blobs.length),
        AZ_BATCHAI_INPUT_BLOB_CONTAINER: first.container,
        AZ_BATCHAI_INPUT_STORAGE_ACCOUNT: first.storageAccount,
        AZ_BATCHAI_TRIGGER_BATCH_ID: batch.id,
      }),
    );
    const result = await createJobOnce(deps.service, jobRef(rule.record, jobName), body);
    return { batchId, result, jobName, blobCount: batch.blobs.length };
  } catch (error: unknown) {
    const reason = permanentFailure(error);
    if (!reason) throw error;
    await recordBatchFailure(deps, batchId, `${reason.code}: ${reason.message}`);
    return { batchId, result: 'failed', jobName, error: reason };
  }
}

/**
 * How long a blob batch is kept after its window started, at least: Event Grid retries a delivery for up to 24
 * hours, and a redelivered event must still find its batch (else it would open a new one and a second job).
 */
export const minBatchRetentionMs = 24 * 3600_000 + 3600_000; // + the longest window (1 hour)
export const defaultBatchRetentionMs = 48 * 3600_000;
/** Batches looked at per expiry run (the next run takes the rest). */
export const batchesExpiredPerRun = 500;

export interface BatchExpiry {
  /** Closed batches deleted. */
  deleted: number;
  /** Batches found still open (their wake-up was lost): flushed now, so their jobs exist; deleted by a later run. */
  flushed: BatchOutcome[];
}

/**
 * Deletes the blob batches older than the retention, so the container does not grow for ever. A batch still open
 * that long after its window closed lost its wake-up message: it is flushed now (its job created), not dropped.
 */
export async function expireBlobBatches(
  deps: EventSourceDeps,
  now: Date,
  retentionMs: number = defaultBatchRetentionMs,
): Promise<BatchExpiry> {
  if (!(retentionMs >= minBatchRetentionMs))
    throw new Error(`The batch retention must be at least ${minBatchRetentionMs / 3600_000} hours.`);
  const before = new Date(now.getTime() - retentionMs).toISOString();
  const expiry: BatchExpiry = { deleted: 0, flushed: [] };
  for (const { batch, etag } of await deps.store.batchesBefore(before, batchesExpiredPerRun)) {
    if (batch.jobName === undefined && batch.failure === undefined) {
      expiry.flushed.push(await flushBlobBatch(deps, batch.id));
    } else if (await deps.store.deleteBatch(batch.id, etag)) {
      expiry.deleted += 1;
    }
  }
  return expiry;
}

async function recordBatchFailure(deps: EventSourceDeps, batchId: string, failure: string): Promise<void> {
  for (;;) {
    const found = await deps.store.getBatch(batchId);
    if (!found) return;
    try {
      await deps.store.replaceBatch({ ...found.batch, failure }, found.etag);
      return;
    } catch (error: unknown) {
      if (!(error instanceof PreconditionFailedError)) throw error;
    }
  }
}
