// Role assignment operations on one workspace: create or change, read, list, remove. A workspace that has an owner
// always keeps one: removing or demoting its last owner is a 409. Writes are ETag-conditional and retried on a race.
import { ConflictError, NotFoundError, PreconditionFailedError } from '../domain/errors';
import type { ResourceRef } from '../domain/resourceId';
import type { CallerPrincipal } from './callerPrincipal';
import type { RoleAssignment, RoleAssignmentRequest } from './roleAssignment';
import type { WorkspaceAccessStore } from './workspaceAccessStore';

export interface RoleAssignmentDeps {
  access: WorkspaceAccessStore;
  now: () => Date;
}

const maxAttempts = 10;

function ownersAfter(assignments: RoleAssignment[]): number {
  return assignments.filter((a) => a.role === 'owner').length;
}

function lastOwnerConflict(principalId: string): ConflictError {
  return new ConflictError(
    'LastOwnerCannotBeRemoved',
    `The principal '${principalId}' is the last owner of the workspace; assign another owner first.`,
    'principalId',
  );
}

/** Applies `change` to the current assignments and writes the result, retrying when another request wrote first. */
async function update<T>(
  deps: RoleAssignmentDeps,
  workspace: ResourceRef,
  change: (assignments: RoleAssignment[]) => { next?: RoleAssignment[]; result: T },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const current = await deps.access.read(workspace);
    const { next, result } = change(current.assignments.map((a) => ({ ...a })));
    if (!next) return result;
    try {
      await deps.access.write(workspace, next, current.etag);
      return result;
    } catch (error: unknown) {
      if (!(error instanceof PreconditionFailedError) || attempt >= maxAttempts) throw error;
    }
  }
}

export function putRoleAssignment(
  deps: RoleAssignmentDeps,
  workspace: ResourceRef,
  principalId: string,
  request: RoleAssignmentRequest,
  caller: CallerPrincipal,
): Promise<{ assignment: RoleAssignment; created: boolean }> {
  return update<{ assignment: RoleAssignment; created: boolean }>(deps, workspace, (assignments) => {
    const now = deps.now().toISOString();
    const index = assignments.findIndex((a) => a.principalId === principalId);
    if (index < 0) {
      const assignment: RoleAssignment = {
        principalId,
        principalType: request.principalType,
        role: request.role,
        createdOn: now,
        createdBy: caller.objectId,
        updatedOn: now,
      };
      return { next: [...assignments, assignment], result: { assignment, created: true } };
    }
    const existing = assignments[index];
    if (existing.role === request.role && existing.principalType === request.principalType)
      return { result: { assignment: existing, created: false } };
    const assignment: RoleAssignment = { ...existing, ...request, updatedOn: now };
    const next = assignments.map((a, i) => (i === index ? assignment : a));
    if (existing.role === 'owner' && ownersAfter(next) === 0) throw lastOwnerConflict(principalId);
    return { next, result: { assignment, created: false } };
  });
}

export async function getRoleAssignment(
  deps: RoleAssignmentDeps,
  workspace: ResourceRef,
  principalId: string,
): Promise<RoleAssignment> {
  const found = (await deps.access.read(workspace)).assignments.find((a) => a.principalId === principalId);
  if (!found)
    throw new NotFoundError(
      `The workspace '${workspace.workspace}' has no role assignment for principal '${principalId}'.`,
    );
  return found;
}

export async function listRoleAssignments(
  deps: RoleAssignmentDeps,
  workspace: ResourceRef,
): Promise<RoleAssignment[]> {
  const { assignments } = await deps.access.read(workspace);
  return [...assignments].sort((a, b) => a.principalId.localeCompare(b.principalId));
}

/** Removes the assignment and returns it; undefined when there was none. */
export function deleteRoleAssignment(
  deps: RoleAssignmentDeps,
  workspace: ResourceRef,
  principalId: string,
): Promise<RoleAssignment | undefined> {
  return update<RoleAssignment | undefined>(deps, workspace, (assignments) => {
    const existing = assignments.find((a) => a.principalId === principalId);
    if (!existing) return { result: undefined };
    const next = assignments.filter((a) => a !== existing);
    if (existing.role === 'owner' && ownersAfter(next) === 0) throw lastOwnerConflict(principalId);
    return { next, result: existing };
  });
}

/** The creator of a new workspace becomes its only owner (whatever a previous workspace of that name left behind). */
export async function grantCreatorOwnership(
  deps: RoleAssignmentDeps,
  workspace: ResourceRef,
  caller: CallerPrincipal,
): Promise<void> {
  const now = deps.now().toISOString();
  await deps.access.reset(workspace, [
    {
      principalId: caller.objectId,
      principalType: caller.kind === 'ServicePrincipal' ? 'ServicePrincipal' : 'User',
      role: 'owner',
      createdOn: now,
      createdBy: caller.objectId,
      updatedOn: now,
    },
  ]);
}
