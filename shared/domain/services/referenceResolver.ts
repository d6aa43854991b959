// Resolves resource ids given in bodies (a job's cluster, mounted file servers): they must name an existing
// resource of the same workspace as the resource that names it (a file server: one provisioned, so nodes have an
// address to mount), and are stored in their canonical form (the service normalised ids the same way). Another
// workspace's cluster or file server is refused as if it did not exist: roles are granted per workspace, and a job
// on another workspace's nodes would see that workspace's mounts (and its files listed with its keys).
import { ValidationError } from '../errors';
import { parseChildId, type ResourceRef } from '../resourceId';
import type { Stored } from '../resourceRecord';
import { isJsonObject, type JsonObject } from '../specValidator';
import type { ServiceDeps } from './serviceDeps';

/** Whether `a` and `b` are in the same workspace (names compare case-insensitively, as ARM's do). */
function sameWorkspace(a: ResourceRef, b: ResourceRef): boolean {
  const key = (ref: ResourceRef): string =>
    [ref.subscriptionId, ref.resourceGroup, ref.workspace].map((part) => part.toLowerCase()).join('/');
  return key(a) === key(b);
}

export async function resolveReference(
  deps: ServiceDeps,
  field: string,
  holder: JsonObject,
  kind: 'cluster' | 'fileServer',
  /** The resource whose body names it (a job, a cluster): the reference must be in its workspace. */
  owner: ResourceRef,
): Promise<Stored> {
  const id = String(holder.id);
  const ref = parseChildId(field, id, kind);
  if (!sameWorkspace(ref, owner)) {
    throw new ValidationError(
      field,
      `The ${kind === 'cluster' ? 'cluster' : 'file server'} '${id}' is not in the workspace ` +
        `'${owner.workspace}' of resource group '${owner.resourceGroup}': only that workspace's can be used.`,
      'InvalidResourceReference',
    );
  }
  const found = await deps.store.get(ref);
  if (!found) {
    throw new ValidationError(
      field,
      `The ${kind === 'cluster' ? 'cluster' : 'file server'} '${id}' does not exist.`,
      'InvalidResourceReference',
    );
  }
  if (found.record.status.provisioningState === 'deleting') {
    throw new ValidationError(
      field,
      `The ${kind === 'cluster' ? 'cluster' : 'file server'} '${id}' is being deleted.`,
      'InvalidResourceReference',
    );
  }
  const state = found.record.status.provisioningState;
  if (kind === 'fileServer' && state !== 'succeeded') {
    throw new ValidationError(
      field,
      state === 'failed'
        ? `The file server '${id}' failed to provision; delete it and create it again.`
        : `The file server '${id}' is ${String(state)}: it can be mounted once its provisioningState is succeeded.`,
      'InvalidResourceReference',
    );
  }
  normalizeReferenceId(holder);
  return found;
}

/** Kept as given (the service echoed ids as sent), except the singular 'workspace' segment it corrected. */
export function normalizeReferenceId(holder: unknown): void {
  if (isJsonObject(holder) && typeof holder.id === 'string')
    holder.id = holder.id.replace(/\/workspace\//i, '/workspaces/');
}

export async function resolveFileServerMounts(
  deps: ServiceDeps,
  path: string,
  volumes: JsonObject | undefined,
  owner: ResourceRef,
): Promise<void> {
  const entries = volumes?.fileServers;
  if (!Array.isArray(entries)) return;
  for (let index = 0; index < entries.length; index += 1) {
    const entry = entries[index] as JsonObject;
    await resolveReference(
      deps,
      `${path}.fileServers[${index}].fileServer.id`,
      entry.fileServer as JsonObject,
      'fileServer',
      owner,
    );
  }
}
