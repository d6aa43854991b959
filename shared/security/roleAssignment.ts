// A role assignment on a workspace (principal -> reader | contributor | owner), the validation of its request
// body, and its ARM-style wire shape (an extension of the Batch AI API: .../workspaces/{ws}/roleAssignments/{id}).
import { ValidationError } from '../domain/errors';
import { armIdOf, type ResourceRef } from '../domain/resourceId';
import { isGuid } from './authSettings';
import { isWorkspaceRole, workspaceRoles, type WorkspaceRole } from './workspaceRole';

export const principalTypes = ['User', 'Group', 'ServicePrincipal'] as const;
export type PrincipalType = (typeof principalTypes)[number];

export interface RoleAssignment {
  /** Entra object id of a user, group or service principal, lower-cased. */
  principalId: string;
  principalType: PrincipalType;
  role: WorkspaceRole;
  createdOn: string;
  /** Object id of the caller who made the assignment. */
  createdBy: string;
  updatedOn: string;
}

export interface RoleAssignmentRequest {
  role: WorkspaceRole;
  principalType: PrincipalType;
}

export function validatePrincipalId(principalId: string): string {
  if (!isGuid(principalId))
    throw new ValidationError(
      'principalId',
      `The principal id '${principalId}' is invalid: it must be the object id (a GUID) of a user, group or service principal.`,
      'InvalidPrincipalId',
    );
  return principalId.toLowerCase();
}

/** The member of `values` that `given` spells, whatever its case. */
function canonicalOf<T extends string>(values: readonly T[], given: unknown): T | undefined {
  return typeof given === 'string' ? values.find((v) => v.toLowerCase() === given.toLowerCase()) : undefined;
}

/** `{ properties: { role, principalType? } }`; principalType defaults to User. */
export function validateRoleAssignmentBody(body: unknown): RoleAssignmentRequest {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body))
    throw new ValidationError('body', "The request body must be a JSON object with 'properties'.");
  const properties = (body as Record<string, unknown>).properties;
  if (
    properties === undefined ||
    properties === null ||
    typeof properties !== 'object' ||
    Array.isArray(properties)
  )
    throw new ValidationError('properties', "'properties' is required and must be an object.");
  const given = properties as Record<string, unknown>;
  for (const name of Object.keys(given)) {
    if (!['role', 'principalType', 'principalId', 'scope'].includes(name))
      throw new ValidationError(
        `properties.${name}`,
        `'properties.${name}' is not a property of a role assignment.`,
      );
  }
  // Enum values match case-insensitively, as ARM's do (specValidator): the canonical spelling is stored.
  const role = canonicalOf(workspaceRoles, given.role);
  if (!role || !isWorkspaceRole(role))
    throw new ValidationError(
      'properties.role',
      `'properties.role' must be one of ${workspaceRoles.map((r) => `'${r}'`).join(', ')}; it is ${JSON.stringify(given.role ?? null)}.`,
    );
  const principalType = canonicalOf(principalTypes, given.principalType ?? 'User');
  if (!principalType)
    throw new ValidationError(
      'properties.principalType',
      `'properties.principalType' must be one of ${principalTypes.map((t) => `'${t}'`).join(', ')}; it is ${JSON.stringify(given.principalType)}.`,
    );
  return { role, principalType };
}

/** The assignment as the API returns it. */
export function roleAssignmentWire(
  workspace: ResourceRef,
  assignment: RoleAssignment,
): Record<string, unknown> {
  const scope = armIdOf(workspace);
  return {
    id: `${scope}/roleAssignments/${assignment.principalId}`,
    name: assignment.principalId,
    type: 'Microsoft.BatchAI/workspaces/roleAssignments',
    properties: {
      principalId: assignment.principalId,
      principalType: assignment.principalType,
      role: assignment.role,
      scope,
      createdOn: assignment.createdOn,
      updatedOn: assignment.updatedOn,
      createdBy: assignment.createdBy,
    },
  };
}
