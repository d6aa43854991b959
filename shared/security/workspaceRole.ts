// The role lattice of a workspace (reader < contributor < owner) and the app roles that grant a role everywhere.

export const workspaceRoles = ['reader', 'contributor', 'owner'] as const;
export type WorkspaceRole = (typeof workspaceRoles)[number];

const rank: Record<WorkspaceRole, number> = { reader: 1, contributor: 2, owner: 3 };

export function isWorkspaceRole(value: unknown): value is WorkspaceRole {
  return typeof value === 'string' && (workspaceRoles as readonly string[]).includes(value);
}

/** Whether holding `held` (or nothing) is enough for an action that needs `required`. */
export function roleSatisfies(held: WorkspaceRole | undefined, required: WorkspaceRole): boolean {
  return held !== undefined && rank[held] >= rank[required];
}

/** The strongest of several roles (a caller may hold one directly and others through groups). */
export function strongestRole(roles: Iterable<WorkspaceRole | undefined>): WorkspaceRole | undefined {
  let best: WorkspaceRole | undefined;
  for (const role of roles) if (role && (!best || rank[role] > rank[best])) best = role;
  return best;
}

/** App roles of the API's app registration (the `roles` claim): deployment-wide grants. */
export const appRoleNames = {
  /** Owner of every workspace, may create workspaces. */
  admin: 'BatchAI.Admin',
  /** Reader of every workspace. */
  reader: 'BatchAI.Reader',
  /** May create workspaces (and becomes their owner); no access to others' workspaces. */
  workspaceCreator: 'BatchAI.WorkspaceCreator',
} as const;
