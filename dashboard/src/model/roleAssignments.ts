// A workspace's role assignments (this service's extension, docs/security.md) as the dashboard shows them, and
// the check of a principal id typed into the grant form. Pure: no DOM.

export interface RoleAssignmentWire {
  name?: string;
  properties?: Record<string, unknown>;
}

export interface RoleAssignmentRowView {
  principalId: string;
  principalType: string;
  role: string;
  createdOn?: string;
  createdBy: string;
}

export const roles = ['reader', 'contributor', 'owner'] as const;
export const principalTypes = ['User', 'Group', 'ServicePrincipal'] as const;

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

const roleOrder = (role: string): number => {
  const i = (roles as readonly string[]).indexOf(role);
  return i < 0 ? roles.length : roles.length - 1 - i;
};

/** Rows, owners first, then contributors, then readers; by principal id within a role. */
export function roleAssignmentRows(items: RoleAssignmentWire[]): RoleAssignmentRowView[] {
  return items
    .map((wire) => {
      const p = wire.properties ?? {};
      return {
        principalId: str(p.principalId) || str(wire.name),
        principalType: str(p.principalType) || 'User',
        role: str(p.role),
        createdOn: str(p.updatedOn) || str(p.createdOn) || undefined,
        createdBy: str(p.createdBy),
      };
    })
    .sort((a, b) => roleOrder(a.role) - roleOrder(b.role) || a.principalId.localeCompare(b.principalId));
}

/** Why a typed principal id is not an Entra object id (a GUID), or undefined when it is one. */
export function checkPrincipalId(value: string): string | undefined {
  if (value.trim() === '')
    return 'Principal id: enter the Entra object id of a user, group or service principal.';
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value.trim())
    ? undefined
    : `Principal id: '${value.trim()}' is not an object id (a GUID such as 00000000-0000-0000-0000-000000000000).`;
}
