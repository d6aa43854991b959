// Workspaces: the tracked resource (location, tags) that holds clusters, file servers and experiments.
import { etagMatches } from './etagMatch';
import { ValidationError } from '../errors';
import { armIdOf, validateRef, workspaceRefOf, type ResourceRef } from '../resourceId';
import type { Stored } from '../resourceRecord';
import { validateAgainstDefinition } from '../specValidator';
import { ConflictError, PreconditionFailedError } from '../errors';
import { assertUnchanged, createOrConfirm, creationStatus, type PutResult } from './createOrConfirm';
import { requireResource } from './parentLookup';
import type { ServiceDeps } from './serviceDeps';

function checkTags(tags: Record<string, string> | undefined): void {
  if (!tags) return;
  const entries = Object.entries(tags);
  if (entries.length > 50) throw new ValidationError('tags', 'At most 50 tags are allowed.');
  for (const [name, value] of entries) {
    if (name.length === 0 || name.length > 512)
      throw new ValidationError(`tags.${name}`, 'Tag names must be 1 to 512 characters long.');
    if (value.length > 256)
      throw new ValidationError(`tags.${name}`, `The value of tag '${name}' is longer than 256 characters.`);
  }
}

export async function createWorkspace(
  deps: ServiceDeps,
  ref: ResourceRef,
  body: unknown,
): Promise<PutResult> {
  validateRef(ref);
  const { value } = validateAgainstDefinition('WorkspaceCreateParameters', body);
  const location = String(value.location).trim();
  if (!location) throw new ValidationError('location', `'location' must not be empty.`);
  // An Azure region's name ('eastus', 'East US 2'): it goes into operation URLs and headers as it is.
  if (!/^[A-Za-z0-9][A-Za-z0-9 ]{0,63}$/.test(location)) {
    throw new ValidationError(
      'location',
      `'location' must be an Azure region's name (letters, digits and spaces, at most 64 characters).`,
      'InvalidLocation',
    );
  }
  const tags = value.tags as Record<string, string> | undefined;
  checkTags(tags);
  const workspace = workspaceRefOf(ref);
  return createOrConfirm(
    deps,
    () => ({
      kind: 'workspace',
      ref: workspace,
      armId: armIdOf(workspace),
      location,
      ...(tags ? { tags } : {}),
      spec: {},
      status: creationStatus(deps),
      encryptedSecrets: {},
    }),
    (existing) => {
      if (existing.location.toLowerCase().replace(/\s/g, '') !== location.toLowerCase().replace(/\s/g, '')) {
        throw new ConflictError(
          'InvalidResourceLocation',
          `The workspace '${ref.workspace}' already exists in location '${existing.location}'.`,
          'location',
        );
      }
      assertUnchanged(deps, existing, {}, {});
    },
  ).then(async (result) => {
    // Tags are mutable: a repeated PUT with other tags updates them, as ARM does.
    if (result.created || !tags) return result;
    return { ...result, stored: await updateTags(deps, result.stored, tags) };
  });
}

async function updateTags(
  deps: ServiceDeps,
  stored: Stored,
  tags: Record<string, string>,
  ifMatch?: string,
): Promise<Stored> {
  let current = stored;
  for (;;) {
    if (!etagMatches(ifMatch, current.etag)) throw new PreconditionFailedError();
    try {
      return await deps.store.replace({ ...current.record, tags }, current.etag);
    } catch (error: unknown) {
      if (!(error instanceof PreconditionFailedError) || ifMatch) throw error;
      current = await requireResource(deps, stored.record.ref);
    }
  }
}

export async function updateWorkspace(
  deps: ServiceDeps,
  ref: ResourceRef,
  body: unknown,
  ifMatch?: string,
): Promise<Stored> {
  validateRef(ref);
  const { value } = validateAgainstDefinition('WorkspaceUpdateParameters', body);
  const tags = value.tags as Record<string, string> | undefined;
  checkTags(tags);
  const stored = await requireResource(deps, workspaceRefOf(ref));
  // A PATCH changes what it names (ARM's merge semantics): without tags (the SDK's update() without options),
  // the tags stay; `{}` removes them.
  if (!tags) {
    if (!etagMatches(ifMatch, stored.etag)) throw new PreconditionFailedError();
    return stored;
  }
  return updateTags(deps, stored, tags, ifMatch);
}
