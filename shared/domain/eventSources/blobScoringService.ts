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
import { belongsToWorkspace, WorkspaceStamps } from './workspaceStamp';
import { jobMessageBudget } from '../services/jobService';

/** A batch's job is created this long after its window closes, for events still in flight. */
export const batchGraceMs = 2_000;
const maxBatchParts = 1_000;
/** Room kept in a batch's job for the variables other than the blob lists (count, container, account, batch id). */
const batchVariablesRoom = 1_024;

/** What a blob adds to its batch job's AZ_BATCHAI_INPUT_BLOB_URLS and _NAMES (serialized, bytes; an upper bound). */
function listedSize(entry: { url: string; blobName: string }): number {
  return (
    Buffer.byteLength(JSON.stringify(entry.url), 'utf8') +
    Buffer.byteLength(JSON.stringify(entry.blobName), 'utf8')
  );
}

/**
 * How many bytes a batch's blob lists may take: the batch's job must fit in a task message (the job service refuses
 * one over `jobMessageBudget`), which also holds the rule's job template.
 */
function blobListBudget(rule: ScoringRuleRecord): number {
  const template = Buffer.byteLength(JSON.stringify(rule.properties.jobTemplate), 'utf8');
  return jobMessageBudget - template - batchVariablesRoom;
}

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
  const stamps = new WorkspaceStamps(deps.service);
  for (const stored of rules) {
    // A rule left by an earlier workspace of the same name is removed, never run.
    if (!(await stamps.isCurrent(deps.store, stored))) continue;
    const rule = stored.record;
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
        ...(rule.workspaceStamp !== undefined ? { workspaceStamp: rule.workspaceStamp } : {}),
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
      // A redelivery: the earlier attempt may have stopped before asking for the flush, or the flush may have
      // closed the batch and failed before its job existed (its wake-up given up): ask again.
      if (!batchDone(found.batch)) await deps.batches.scheduleFlush(id, flushAt());
      return id;
    }
    if (
      found.batch.jobName !== undefined ||
      found.batch.failure !== undefined ||
      found.batch.blobs.length >= maxBlobs ||
      // Full by size: its job would not fit in a task message with this blob's URL and name too.
      found.batch.blobs.reduce((sum, b) => sum + listedSize(b), listedSize(entry)) > blobListBudget(rule)
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

/** A batch needs no more flushing once its job exists or it failed for good. */
function batchDone(batch: BlobBatch): boolean {
  return batch.jobCreated === true || batch.failure !== undefined;
}

export interface BatchOutcome {
  batchId: string;
  /** pending: the job could not be created yet (a transient failure); a later flush retries it. */
  result: 'created' | 'existing' | 'failed' | 'missing' | 'pending';
  jobName?: string;
  blobCount?: number;
  error?: ErrorDetail;
}

/**
 * Closes the batch (no blob is added afterwards), creates its job from the closed list, then records that the job
 * exists. Safe to run more than once: a closed batch whose job is not recorded creates the same job under the same
 * name again, which createJob answers with the existing one; a batch whose job is recorded is left as it is.
 */
export async function flushBlobBatch(deps: EventSourceDeps, batchId: string): Promise<BatchOutcome> {
  let batch: BlobBatch;
  for (;;) {
    const found = await deps.store.getBatch(batchId);
    if (!found) return { batchId, result: 'missing' };
    if (found.batch.failure !== undefined) {
      return { batchId, result: 'failed', error: { code: 'BatchFailed', message: found.batch.failure } };
    }
    if (found.batch.jobCreated === true)
      return {
        batchId,
        result: 'existing',
        jobName: found.batch.jobName,
        blobCount: found.batch.blobs.length,
      };
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
    if (
      !rule ||
      rule.record.kind !== 'scoringRule' ||
      !(await sameRuleIncarnation(deps, batch, rule.record))
    ) {
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
    await recordJobCreated(deps, batchId);
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
  /** Batches found without their job (wake-up lost, or flush failed): flushed now; deleted by a later run. */
  flushed: BatchOutcome[];
}

/**
 * Deletes the blob batches older than the retention, so the container does not grow for ever. A batch still open
 * that long after its window closed lost its wake-up message, and one closed without a recorded job had its flush
 * fail until the wake-up was given up: either is flushed now (its job created), not dropped, and deleted by a later
 * run once its job exists.
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
    if (!batchDone(batch)) {
      expiry.flushed.push(await flushForExpiry(deps, batch.id));
    } else if (await deps.store.deleteBatch(batch.id, etag)) {
      expiry.deleted += 1;
    }
  }
  return expiry;
}

/** A flush by the expiry timer: a transient failure of one batch leaves it for the next run, not the others. */
async function flushForExpiry(deps: EventSourceDeps, batchId: string): Promise<BatchOutcome> {
  try {
    return await flushBlobBatch(deps, batchId);
  } catch (error: unknown) {
    return {
      batchId,
      result: 'pending',
      error: { code: 'TransientFailure', message: (error as Error).message },
    };
  }
}

/** The rule is the one that opened the batch, in the workspace it was opened in (not a later one of that name). */
async function sameRuleIncarnation(
  deps: EventSourceDeps,
  batch: BlobBatch,
  rule: ScoringRuleRecord,
): Promise<boolean> {
  if (batch.workspaceStamp !== undefined && rule.workspaceStamp !== batch.workspaceStamp) return false;
  return belongsToWorkspace(rule, await new WorkspaceStamps(deps.service).current(rule.workspace));
}

async function recordJobCreated(deps: EventSourceDeps, batchId: string): Promise<void> {
  for (;;) {
    const found = await deps.store.getBatch(batchId);
    if (!found || found.batch.jobCreated === true) return;
    try {
      await deps.store.replaceBatch({ ...found.batch, jobCreated: true }, found.etag);
      return;
    } catch (error: unknown) {
      if (!(error instanceof PreconditionFailedError)) throw error;
    }
  }
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
