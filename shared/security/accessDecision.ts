// The authorization decision, pure: which role a caller holds on a workspace (deployment-wide grants, then role
// assignments to the caller or its groups), whether it may create workspaces, and whether an action is allowed.
import type { ApiAction } from './apiAction';
import { identityIdsOf, type CallerPrincipal } from './callerPrincipal';
import type { RoleAssignment } from './roleAssignment';
import { appRoleNames, roleSatisfies, strongestRole, type WorkspaceRole } from './workspaceRole';

export interface AccessPolicy {
  /** Object ids (users, groups, service principals) that own every workspace (AUTH_ADMIN_PRINCIPALS). */
  adminPrincipals: string[];
  /** Who may create workspaces besides admins (AUTH_WORKSPACE_CREATORS). */
  workspaceCreators: string[] | 'anyone';
}

/** The role a caller holds on every workspace, whatever the assignments say. */
export function deploymentWideRole(caller: CallerPrincipal, policy: AccessPolicy): WorkspaceRole | undefined {
  if (caller.kind === 'LocalUser') return 'owner';
  const ids = identityIdsOf(caller);
  if (caller.appRoles.includes(appRoleNames.admin) || ids.some((id) => policy.adminPrincipals.includes(id)))
    return 'owner';
  if (caller.appRoles.includes(appRoleNames.reader)) return 'reader';
  return undefined;
}

/** The strongest role the caller holds on one workspace whose assignments are given. */
export function workspaceRoleOf(
  caller: CallerPrincipal,
  policy: AccessPolicy,
  assignments: readonly RoleAssignment[],
): WorkspaceRole | undefined {
  const ids = new Set(identityIdsOf(caller));
  return strongestRole([
    deploymentWideRole(caller, policy),
    ...assignments.filter((a) => ids.has(a.principalId)).map((a) => a.role),
  ]);
}

export function canCreateWorkspaces(caller: CallerPrincipal, policy: AccessPolicy): boolean {
  if (deploymentWideRole(caller, policy) === 'owner') return true;
  if (caller.appRoles.includes(appRoleNames.workspaceCreator)) return true;
  if (policy.workspaceCreators === 'anyone') return true;
  const creators = policy.workspaceCreators;
  return identityIdsOf(caller).some((id) => creators.includes(id));
}

export interface WorkspaceFacts {
  /** The workspace's role assignments (empty when it has none). */
  assignments: readonly RoleAssignment[];
  /** Whether the workspace exists (decides whether a workspace PUT is a creation). */
  workspaceExists: boolean;
}

/** Whether the caller may perform a `workspace`/`operation` action on a workspace with these facts. */
export function isWorkspaceActionAllowed(
  action: ApiAction,
  caller: CallerPrincipal,
  policy: AccessPolicy,
  facts: WorkspaceFacts,
): boolean {
  if (action.mayCreateWorkspace && !facts.workspaceExists) return canCreateWorkspaces(caller, policy);
  return roleSatisfies(workspaceRoleOf(caller, policy, facts.assignments), action.role ?? 'owner');
}

/** Whether the caller may perform an action whose check does not involve one workspace. */
export function isCallerActionAllowed(
  action: ApiAction,
  caller: CallerPrincipal,
  policy: AccessPolicy,
): boolean {
  switch (action.check) {
    case 'anonymous':
    case 'authenticated':
    case 'workspaceList':
      return true;
    case 'deployment':
      return roleSatisfies(deploymentWideRole(caller, policy), action.role ?? 'owner');
    default:
      throw new Error(`The action '${action.name}' is checked against a workspace, not the caller alone.`);
  }
}
