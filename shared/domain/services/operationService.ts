// Long-running operations: every PUT, DELETE and terminate records one; its status is what the
// Azure-AsyncOperation URL reports. Operations that wait for another component (a running job being terminated,
// a delete waiting for running jobs, a file server being made) are re-checked when their status is read, and by
// the `pendingOperations` timer (`advanceInProgressOperations`): as on Azure, a delete nobody polls (`--no-wait`)
// still completes, and a cascade still removes the parent once its running jobs have stopped.
import { NotFoundError, PreconditionFailedError } from '../errors';
import type { OperationAction, OperationRecord } from '../operationRecord';
import type { ResourceRecord, Stored } from '../resourceRecord';
import { completedOperationId, completedOperationOf, isCompletedOperationId } from './completedOperationId';
import { finishPendingDelete } from './deletionService';
import type { ServiceDeps } from './serviceDeps';

export async function recordOperation(
  deps: ServiceDeps,
  action: OperationAction,
  record: ResourceRecord,
  done: boolean,
): Promise<OperationRecord> {
  const now = deps.now().toISOString();
  const operation: OperationRecord = {
    id: deps.newId(),
    subscriptionId: record.ref.subscriptionId,
    location: record.location,
    action,
    resource: record.ref,
    resourceId: record.armId,
    status: done ? 'Succeeded' : 'InProgress',
    startTime: now,
    ...(done ? { endTime: now } : {}),
  };
  // Completed already: its id says what it was (completedOperationId.ts), nothing is stored.
  if (done) return { ...operation, id: completedOperationId(deps.secrets, operation) };
  return (await deps.store.createOperation(operation)).record;
}

/**
 * The operation of an id as its status URLs answer it (before any reconciling): a completed one from its id, a
 * stored one from the store; undefined when there is none (unknown, altered, expired).
 */
export async function findOperation(
  deps: Pick<ServiceDeps, 'store' | 'secrets' | 'now' | 'operationRetentionDays'>,
  id: string,
): Promise<Stored<OperationRecord> | undefined> {
  if (isCompletedOperationId(id)) {
    const days = deps.operationRetentionDays ?? defaultOperationRetentionDays;
    const record = completedOperationOf(deps.secrets, id, deps.now(), days);
    return record && { record, etag: '' };
  }
  // Stored operation ids are GUIDs: anything else names no operation (and may hold characters the store refuses).
  return operationIdPattern.test(id) ? deps.store.getOperation(id) : undefined;
}

const terminalExecutionStates = new Set(['succeeded', 'failed']);

/** Reads an operation, first completing it if what it waited for has happened. */
export async function getOperation(
  deps: ServiceDeps,
  subscriptionId: string,
  id: string,
): Promise<OperationRecord> {
  for (let attempt = 0; ; attempt++) {
    const stored = await findOperation(deps, id);
    if (!stored || stored.record.subscriptionId.toLowerCase() !== subscriptionId.toLowerCase()) {
      throw new NotFoundError(`The operation '${id}' was not found.`);
    }
    if (stored.record.status !== 'InProgress') return stored.record;
    try {
      return (await reconcile(deps, stored)).record;
    } catch (error: unknown) {
      // Another reader completed it first (clients poll concurrently): read what it wrote.
      if (!(error instanceof PreconditionFailedError) || attempt >= 3) throw error;
    }
  }
}

export interface AdvanceOperationsResult {
  /** Operations found in progress. */
  checked: number;
  /** Ids of those that completed now. */
  completed: string[];
  /** Ids and reasons of those that could not be advanced (the next round tries again). */
  failed: { id: string; message: string }[];
}

/**
 * Advances every operation still in progress as reading its status would (all steps are idempotent, and a
 * concurrent reader's completing write wins: that operation is left as it wrote it).
 */
export async function advanceInProgressOperations(
  deps: ServiceDeps,
  pageSize = 100,
): Promise<AdvanceOperationsResult> {
  const result: AdvanceOperationsResult = { checked: 0, completed: [], failed: [] };
  let continuationToken: string | undefined;
  do {
    const page = await deps.store.listInProgressOperations({ maxItems: pageSize, continuationToken });
    for (const stored of page.items) {
      result.checked++;
      try {
        const advanced = await reconcile(deps, stored);
        if (advanced.record.status !== 'InProgress') result.completed.push(stored.record.id);
      } catch (error: unknown) {
        if (error instanceof PreconditionFailedError) continue;
        result.failed.push({ id: stored.record.id, message: (error as Error).message });
      }
    }
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return result;
}

/** Operations that ended are deleted this many days later by default (OPERATION_RETENTION_DAYS). */
export const defaultOperationRetentionDays = 7;

/**
 * Deletes the operations that ended more than `retentionDays` before `now`, `batch` at a time until none is left
 * (one record per PUT, DELETE and terminate: kept for ever they would grow the store, and the in-progress query
 * with it). Returns how many went.
 */
export async function purgeEndedOperations(
  deps: ServiceDeps,
  now: Date,
  retentionDays: number,
  batch = 500,
): Promise<number> {
  const before = new Date(now.getTime() - retentionDays * 86_400_000).toISOString();
  let total = 0;
  for (;;) {
    const deleted = await deps.store.deleteOperationsEndedBefore(before, batch);
    total += deleted;
    if (deleted < batch) return total;
  }
}

export const operationIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function reconcile(
  deps: ServiceDeps,
  stored: Stored<OperationRecord>,
): Promise<Stored<OperationRecord>> {
  const operation = stored.record;
  let done = false;
  if (operation.action === 'terminate') {
    const job = await deps.store.get(operation.resource);
    done =
      !job ||
      terminalExecutionStates.has(String(job.record.job?.executionState)) ||
      String(job.record.status.creationTime) > operation.startTime; // another job of that name since
  } else if (operation.action === 'delete') {
    // Only the resource this DELETE marked `deleting` is taken further. Once it is gone, a resource created again
    // under its name is another one: not `deleting`, or being deleted by a DELETE of its own; this operation is
    // done (a stale operation, or one left by an earlier version, must never delete it).
    const current = await deps.store.get(operation.resource);
    done =
      !current ||
      current.record.status.provisioningState !== 'deleting' ||
      String(current.record.status.creationTime) > operation.startTime ||
      (await finishPendingDelete(deps, operation.resource));
  } else if (operation.action === 'create') {
    return finishCreate(deps, stored);
  }
  if (!done) return stored;
  return deps.store.replaceOperation(
    { ...operation, status: 'Succeeded', endTime: deps.now().toISOString() },
    stored.etag,
  );
}

/**
 * A create that outlives its PUT (a file server being provisioned): Succeeded or Failed (with the reason) once the
 * resource says so; Canceled when it was deleted first.
 */
async function finishCreate(
  deps: ServiceDeps,
  stored: Stored<OperationRecord>,
): Promise<Stored<OperationRecord>> {
  const operation = stored.record;
  const resource = await deps.store.get(operation.resource);
  const state = resource?.record.status.provisioningState;
  const endTime = deps.now().toISOString();
  if (!resource || state === 'deleting') {
    return deps.store.replaceOperation({ ...operation, status: 'Canceled', endTime }, stored.etag);
  }
  if (state === 'succeeded') {
    return deps.store.replaceOperation({ ...operation, status: 'Succeeded', endTime }, stored.etag);
  }
  if (state === 'failed') {
    const [reported] = (resource.record.status.errors ?? []) as { code?: string; message?: string }[];
    const error = {
      code: reported?.code ?? 'ProvisioningFailed',
      message:
        reported?.message ?? `The ${resource.record.kind} '${resource.record.ref.name}' failed to provision.`,
    };
    return deps.store.replaceOperation({ ...operation, status: 'Failed', endTime, error }, stored.etag);
  }
  return stored;
}

/** The ARM operation status body (Azure-AsyncOperation). */
export function operationStatusBody(operation: OperationRecord): Record<string, unknown> {
  return {
    id: operation.id,
    name: operation.id,
    status: operation.status,
    startTime: operation.startTime,
    ...(operation.endTime ? { endTime: operation.endTime } : {}),
    ...(operation.status === 'Succeeded' ? { percentComplete: 100 } : {}),
    ...(operation.error ? { error: operation.error } : {}),
  };
}
