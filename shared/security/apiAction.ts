// Maps an API call (its route template and HTTP method) to the ARM action it performs and what that action needs:
// the role on the workspace, or another kind of check. Pure; the table in docs/security.md is this function.
import type { WorkspaceRole } from './workspaceRole';

/**
 * How an action is checked:
 * - `anonymous`: nobody needs to sign in (the OpenAPI document);
 * - `authenticated`: any valid caller of the tenant (operations catalogue, usages);
 * - `workspace`: `role` on the workspace named in the route (subscription-wide grants count);
 * - `workspaceList`: any valid caller; the list keeps only the workspaces the caller can read;
 * - `operation`: `role` on the workspace of the long-running operation named in the route;
 * - `deployment`: `role` on every workspace (an app role or AUTH_ADMIN_PRINCIPALS): routes this table does not
 *   know outside a workspace, so a new endpoint is closed until it is classified here.
 */
export type AccessCheck =
  'anonymous' | 'authenticated' | 'workspace' | 'workspaceList' | 'operation' | 'deployment';

export interface ApiAction {
  /** ARM operation name as in the operations catalogue, e.g. `Microsoft.BatchAI/workspaces/experiments/jobs/write`. */
  name: string;
  check: AccessCheck;
  role?: WorkspaceRole;
  /** A workspace PUT: when the workspace does not exist yet this is a creation (creator rights, not a role). */
  mayCreateWorkspace?: boolean;
}

const provider = 'Microsoft.BatchAI';

/** ARM's spelling of the POST actions (the operations catalogue), and the role each needs. */
const postActions: Record<string, { segment: string; role: WorkspaceRole }> = {
  terminate: { segment: 'terminate', role: 'contributor' },
  listoutputfiles: { segment: 'listoutputfiles', role: 'reader' },
  listremotelogininformation: { segment: 'remoteLoginInformation', role: 'reader' },
};

/** Resource type segments as the catalogue spells them. */
const typeSegments: Record<string, string> = {
  workspaces: 'workspaces',
  experiments: 'experiments',
  jobs: 'jobs',
  clusters: 'clusters',
  fileservers: 'fileservers',
  roleassignments: 'roleAssignments',
};

export function apiActionOf(routeTemplate: string, method: string): ApiAction {
  const verb = method.toUpperCase();
  const segments = routeTemplate.replace(/^\/+|\/+$/g, '').split('/');
  const lower = segments.map((s) => s.toLowerCase());
  const literal = (s: string): boolean => !s.startsWith('{');
  if (lower.join('/') === 'openapi.json') return { name: `${provider}/openapi/read`, check: 'anonymous' };
  const unknown: ApiAction = {
    name: `${provider}/${lower.filter(literal).join('/')}/${verb.toLowerCase()}`,
    check: 'deployment',
    role: 'owner',
  };
  const at = lower.indexOf(provider.toLowerCase());
  if (at < 0 || at !== lower.lastIndexOf(provider.toLowerCase())) return unknown;
  const rest = lower.slice(at + 1);
  if (rest[0] === 'operations') return { name: `${provider}/operations/read`, check: 'authenticated' };
  if (rest[0] === 'locations') {
    const kind = rest[2];
    if (kind === 'usages') return { name: `${provider}/locations/usages/read`, check: 'authenticated' };
    if (kind === 'operationstatuses' || kind === 'operationresults')
      return { name: `${provider}/locations/${kind}/read`, check: 'operation', role: 'reader' };
    return unknown;
  }
  if (rest[0] !== 'workspaces') return unknown;
  if (rest.length === 1)
    return { name: `${provider}/workspaces/read`, check: 'workspaceList', role: 'reader' };

  // .../workspaces/{ws}[/type/{name}]...[/type[/{name}]][/action]
  // A segment this table does not know (a newer endpoint under a workspace) is taken as a child resource type
  // or, at the end of a POST, an action; either way it needs at least contributor to change anything.
  const types: string[] = [];
  let postAction: { segment: string; role: WorkspaceRole } | undefined;
  for (let i = 0; i < rest.length; i++) {
    if (!literal(rest[i])) continue;
    const known = typeSegments[rest[i]];
    const isLast = i === rest.length - 1;
    if (isLast && verb === 'POST')
      postAction = postActions[rest[i]] ?? { segment: segments[at + 1 + i], role: 'contributor' };
    else types.push(known ?? segments[at + 1 + i]);
  }
  const typePath = `${provider}/${types.join('/')}`;
  if (postAction)
    return { name: `${typePath}/${postAction.segment}/action`, check: 'workspace', role: postAction.role };
  const isWorkspace = types.length === 1;
  const isRoleAssignment = types[types.length - 1] === 'roleAssignments';
  switch (verb) {
    case 'GET':
    case 'HEAD':
      return { name: `${typePath}/read`, check: 'workspace', role: 'reader' };
    case 'PUT':
    case 'PATCH':
      return {
        name: `${typePath}/write`,
        check: 'workspace',
        role: isRoleAssignment ? 'owner' : 'contributor',
        ...(isWorkspace && verb === 'PUT' ? { mayCreateWorkspace: true } : {}),
      };
    case 'DELETE':
      return {
        name: `${typePath}/delete`,
        check: 'workspace',
        role: isWorkspace || isRoleAssignment ? 'owner' : 'contributor',
      };
    default:
      return { name: `${typePath}/${verb.toLowerCase()}`, check: 'workspace', role: 'contributor' };
  }
}
