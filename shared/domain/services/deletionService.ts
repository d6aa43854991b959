// Deletes with their cascades: workspace -> experiments -> jobs, then clusters and file servers (a file server
// goes once the file server monitor has removed its host). A queued or finished job is removed at once; a running
// one is asked to terminate and marked `deleting`, and the delete completes when the lifecycle has stopped it
// (checked again whenever the operation's status is read).
import { isDeepStrictEqual } from 'util';
import type { ResourceRef } from '../resourceId';
import { experimentRefOf, workspaceRefOf } from '../resourceId';
import type { SweepStore } from '../sweeps/sweepStore';
import type { EventSourceStore } from '../eventSources/eventSourceStore';
import type { Stored } from '../resourceRecord';
import type { ListScope } from '../../ports/resourceStore';
import { NotFoundError, PreconditionFailedError } from '../errors';
import type { ServiceDeps } from './serviceDeps';

const activeExecutionStates = new Set(['running', 'terminating']);

async function* allInScope(deps: ServiceDeps, scope: ListScope): AsyncGenerator<Stored> {
  let continuationToken: string | undefined;
  do {
    const page = await deps.store.list(scope, { maxItems: 100, continuationToken });
    yield* page.items;
    continuationToken = page.continuationToken;
  } while (continuationToken);
}

/** Marks a record `deleting` (with its ETag; retried on a concurrent update). */
async function markDeleting(
  deps: ServiceDeps,
  ref: ResourceRef,
  extra?: (stored: Stored) => void,
): Promise<Stored | undefined> {
  for (;;) {
    const stored = await deps.store.get(ref);
    if (!stored) return undefined;
    if (stored.record.status.provisioningState === 'deleting' && !extra) return stored;
    const record = structuredClone(stored.record);
    const now = deps.now().toISOString();
    if (record.status.provisioningState !== 'deleting') {
      record.status.provisioningState = 'deleting';
      record.status.provisioningStateTransitionTime = now;
    }
    const updated = { record, etag: stored.etag };
    extra?.(updated);
    // Asked again (a poll, the pendingOperations timer) with nothing to change: no write.
    if (stored.record.status.provisioningState === 'deleting' && isDeepStrictEqual(record, stored.record)) {
      return stored;
    }
    try {
      return await deps.store.replace(record, stored.etag);
    } catch (error: unknown) {
      if (!(error instanceof PreconditionFailedError)) throw error;
    }
  }
}

/**
 * A conditional DELETE (If-Match, If-None-Match) holds for `stored` as read: the record is marked `deleting` with
 * that read's ETag before anything else, so a change made since (another writer) fails the request (412) instead of
 * being deleted. A record being deleted already is left as it is (the condition held for it). 'gone': deleted
 * meanwhile.
 */
export async function claimForDelete(deps: ServiceDeps, stored: Stored): Promise<'claimed' | 'gone'> {
  if (stored.record.status.provisioningState === 'deleting') return 'claimed';
  const record = structuredClone(stored.record);
  record.status.provisioningState = 'deleting';
  record.status.provisioningStateTransitionTime = deps.now().toISOString();
  try {
    await deps.store.replace(record, stored.etag);
    return 'claimed';
  } catch (error: unknown) {
    if (error instanceof NotFoundError) return 'gone';
    if (error instanceof PreconditionFailedError)
      throw new PreconditionFailedError(
        'The resource was modified while the delete began, after its If-Match or If-None-Match was checked; read it again and retry.',
      );
    throw error;
  }
}

/** Deletes a job now, or requests its termination when it is running. Returns true when the record is gone. */
export async function deleteJobRecord(deps: ServiceDeps, ref: ResourceRef): Promise<boolean> {
  let stored: Stored | undefined;
  for (;;) {
    stored = await deps.store.get(ref);
    if (!stored) return true;
    if (activeExecutionStates.has(String(stored.record.job?.executionState))) break;
    // Queued or ended: removed with the ETag it was read with. A scheduler pass may grant the queued job in between
    // (its ETag-checked move to `running` launches the tasks): then the delete fails and the job, read again, is
    // running, so it is terminated first like any running one, never left running without a record.
    try {
      await deps.store.delete(ref, stored.etag);
      return true;
    } catch (error: unknown) {
      if (error instanceof NotFoundError) return true;
      if (!(error instanceof PreconditionFailedError)) throw error;
    }
  }
  const marked = await markDeleting(deps, ref, ({ record }) => {
    if (record.job && record.job.executionState === 'running') {
      record.job.executionState = 'terminating';
      record.job.terminationRequestedTime = deps.now().toISOString();
      record.status.executionState = 'terminating';
      record.status.executionStateTransitionTime = record.job.terminationRequestedTime;
    }
  });
  if (marked && stored.record.job?.executionState === 'running')
    await deps.lifecycle?.terminationRequested(marked.record);
  return marked === undefined;
}

async function deleteChildren(
  deps: ServiceDeps,
  scope: ListScope,
  deleteOne: (ref: ResourceRef) => Promise<boolean>,
): Promise<boolean> {
  let allGone = true;
  for await (const child of allInScope(deps, scope)) {
    if (!(await deleteOne(child.record.ref))) allGone = false;
  }
  return allGone;
}

export async function deleteExperimentRecord(deps: ServiceDeps, ref: ResourceRef): Promise<boolean> {
  const experiment = experimentRefOf(ref);
  if (!(await deps.store.get(experiment))) return true;
  await markDeleting(deps, experiment);
  const jobsGone = await deleteChildren(deps, { kind: 'job', experiment }, (job) =>
    deleteJobRecord(deps, job),
  );
  if (!jobsGone) return false;
  if (deps.sweeps) await deleteSweepsOf(deps.sweeps, experiment);
  await deps.store.delete(experiment);
  return true;
}

/** The experiment's sweeps go with it; their orchestrations end when they find their record gone. */
async function deleteSweepsOf(sweeps: SweepStore, experiment: ResourceRef): Promise<void> {
  const scope = {
    subscriptionId: experiment.subscriptionId,
    resourceGroup: experiment.resourceGroup,
    workspace: experiment.workspace,
    experiment: experiment.name,
  };
  let continuationToken: string | undefined;
  do {
    const page = await sweeps.list(scope, { maxItems: 100, continuationToken });
    for (const sweep of page.items) await sweeps.delete(sweep.record.address);
    continuationToken = page.continuationToken;
  } while (continuationToken);
}

export async function deleteClusterRecord(deps: ServiceDeps, ref: ResourceRef): Promise<boolean> {
  const stored = await deps.store.get(ref);
  if (!stored) return true;
  await deps.compute?.releaseCluster(stored.record);
  await deps.store.delete(ref);
  return true;
}

/**
 * Marks a file server `deleting` and asks for its host's removal; the file server monitor deletes the record once
 * the host is gone. The ask goes when the mark is new, or when the caller asked for the delete again (a DELETE
 * whose earlier ask failed); not at each check of the operation (the monitor checks at its own pace). Without a
 * provisioner (nothing was ever provisioned) the record goes at once.
 */
export async function deleteFileServerRecord(
  deps: ServiceDeps,
  ref: ResourceRef,
  requested = false,
): Promise<boolean> {
  if (!deps.fileServers) {
    await deps.store.delete(ref);
    return true;
  }
  const before = await deps.store.get(ref);
  if (!before) return true;
  const marked = await markDeleting(deps, ref);
  if (!marked) return true;
  if (requested || before.record.status.provisioningState !== 'deleting')
    await deps.fileServers.fileServerChanged(marked.record);
  return false;
}

export async function deleteWorkspaceRecord(deps: ServiceDeps, ref: ResourceRef): Promise<boolean> {
  const workspace = workspaceRefOf(ref);
  if (!(await deps.store.get(workspace))) return true;
  await markDeleting(deps, workspace);
  // The jobs first: a running job is stopped through its nodes' agents, so its cluster goes only once it has
  // stopped (released first, the nodes could not report the exits, and each lifecycle would wait out both stop
  // grace periods before giving up on them).
  const experimentsGone = await deleteChildren(deps, { kind: 'experiment', workspace }, (e) =>
    deleteExperimentRecord(deps, e),
  );
  if (!experimentsGone) return false;
  const clustersGone = await deleteChildren(deps, { kind: 'cluster', workspace }, (c) =>
    deleteClusterRecord(deps, c),
  );
  const fileServersGone = await deleteChildren(deps, { kind: 'fileServer', workspace }, (f) =>
    deleteFileServerRecord(deps, f),
  );
  if (!(clustersGone && fileServersGone)) return false;
  await deps.store.delete(workspace);
  // After the workspace itself: its owners can follow the delete until it is done. A crash in between leaves a
  // record that a later workspace of that name replaces when it is created.
  await deps.workspaceAccess?.remove(workspace);
  // Its scoring rules and job schedules too (a workspace created again under this name must not inherit them; one
  // left by a crash here is still ignored and removed by its stamp, eventSources/workspaceStamp.ts).
  if (deps.eventSources) await deleteEventSourcesOf(deps.eventSources, workspace);
  return true;
}

async function deleteEventSourcesOf(store: EventSourceStore, workspace: ResourceRef): Promise<void> {
  const address = {
    subscriptionId: workspace.subscriptionId,
    resourceGroup: workspace.resourceGroup,
    workspace: workspace.workspace,
  };
  for (const kind of ['scoringRule', 'jobSchedule'] as const) {
    let continuationToken: string | undefined;
    do {
      const page = await store.list(kind, address, { maxItems: 100, continuationToken });
      for (const definition of page.items) await store.delete(kind, address, definition.record.name);
      continuationToken = page.continuationToken;
    } while (continuationToken);
  }
}

const deleters: Record<
  ResourceRef['kind'],
  (deps: ServiceDeps, ref: ResourceRef, requested: boolean) => Promise<boolean>
> = {
  workspace: deleteWorkspaceRecord,
  experiment: deleteExperimentRecord,
  job: deleteJobRecord,
  cluster: deleteClusterRecord,
  fileServer: deleteFileServerRecord,
};

/**
 * Runs a delete again (all steps are idempotent); true when the resource is gone. `requested`: a DELETE request
 * (not a check of its operation), so what must be asked of other components is asked again.
 */
export function finishPendingDelete(
  deps: ServiceDeps,
  ref: ResourceRef,
  requested = false,
): Promise<boolean> {
  return deleters[ref.kind](deps, ref, requested);
}
