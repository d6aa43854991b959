// Looks up the parent of a resource in a request path, answering ARM's ParentResourceNotFound when it is missing
// and a conflict when it is being deleted (no new children under a resource on its way out).
import { ConflictError, NotFoundError } from '../errors';
import { experimentRefOf, kindInfo, workspaceRefOf, type ResourceRef } from '../resourceId';
import type { Stored } from '../resourceRecord';
import type { ServiceDeps } from './serviceDeps';

async function requireParent(deps: ServiceDeps, ref: ResourceRef, forWrite: boolean): Promise<Stored> {
  const parent = await deps.store.get(ref);
  if (!parent) {
    const where =
      ref.kind === 'workspace'
        ? `resource group '${ref.resourceGroup}'`
        : `workspace '${ref.workspace}' of resource group '${ref.resourceGroup}'`;
    throw new NotFoundError(
      `The parent ${kindInfo[ref.kind].label} '${ref.name}' was not found in ${where}.`,
      'ParentResourceNotFound',
      `${ref.kind}Name`,
    );
  }
  if (forWrite && parent.record.status.provisioningState === 'deleting') {
    throw new ConflictError(
      'ParentResourceBeingDeleted',
      `The parent ${kindInfo[ref.kind].label} '${ref.name}' is being deleted.`,
      `${ref.kind}Name`,
    );
  }
  return parent;
}

/**
 * The experiment of `ref` again, after a child was written under it: a delete that began in between (its listing of
 * the children may have missed the new one) shows as `deleting` or gone, and the new child must go.
 */
export function recheckExperiment(deps: ServiceDeps, ref: ResourceRef): Promise<Stored> {
  return requireParent(deps, experimentRefOf(ref), true);
}

/**
 * After a cluster, file server or experiment was written under its workspace: the workspace again. A delete that
 * began in between (the workspace's cascade marks it `deleting`, then lists its children, and may have missed the
 * new one) shows as `deleting` or gone: the new child goes again (with the ETag it was written with) and the
 * request fails as if the delete had come first, so nothing outlives its workspace unlisted and undeletable.
 */
export async function keepOnlyUnderLiveWorkspace(deps: ServiceDeps, created: Stored): Promise<void> {
  try {
    await requireParent(deps, workspaceRefOf(created.record.ref), true);
  } catch (error: unknown) {
    await deps.store.delete(created.record.ref, created.etag);
    throw error;
  }
}

export function requireWorkspace(deps: ServiceDeps, ref: ResourceRef, forWrite = false): Promise<Stored> {
  return requireParent(deps, workspaceRefOf(ref), forWrite);
}

export async function requireExperiment(
  deps: ServiceDeps,
  ref: ResourceRef,
  forWrite = false,
): Promise<Stored> {
  await requireWorkspace(deps, ref, forWrite);
  return requireParent(deps, experimentRefOf(ref), forWrite);
}

/**
 * The resource, or ARM's answer for a missing one: ParentResourceNotFound when a parent is missing, else NotFound.
 * The resource is read first: a child exists only under its parents (deletes cascade from the children up), so a
 * found one costs one read and the parents are read only to explain a miss.
 */
export async function requireResource(deps: ServiceDeps, ref: ResourceRef): Promise<Stored> {
  const found = await deps.store.get(ref);
  if (!found) {
    if (ref.kind === 'job') await requireExperiment(deps, ref);
    else if (ref.kind !== 'workspace') await requireWorkspace(deps, ref);
    throw new NotFoundError(
      `The Resource '${kindInfo[ref.kind].type}/${ref.name}' under resource group '${ref.resourceGroup}' was not found.`,
    );
  }
  return found;
}
