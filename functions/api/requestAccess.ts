// Authentication and authorization of one API request, run by apiEndpoint before any handler: the caller from
// its bearer token (or the local user when AUTH_MODE=none), the action from the route, and the decision from the
// caller's role on the workspace. Handlers read the caller with callerOf(request).
import { findOperation } from '../../shared/domain/services/operationService';
import type { HttpRequest, InvocationContext } from '@azure/functions';
import { keyOf, workspaceRefOf, type ResourceRef } from '../../shared/domain/resourceId';
import type { ServiceDeps } from '../../shared/domain/services/serviceDeps';
import {
  deploymentWideRole,
  isCallerActionAllowed,
  isWorkspaceActionAllowed,
} from '../../shared/security/accessDecision';
import { AuthorizationError } from '../../shared/security/accessErrors';
import { checkLocalRequest } from '../../shared/security/localRequestGuard';
import { apiActionOf, type ApiAction } from '../../shared/security/apiAction';
import { identityIdsOf, localUser, type CallerPrincipal } from '../../shared/security/callerPrincipal';
import { roleSatisfies } from '../../shared/security/workspaceRole';
import { getSecurityServices } from './securityServices';

const callers = new WeakMap<HttpRequest, CallerPrincipal>();

/** The authenticated caller of a request that went through apiEndpoint. */
export function callerOf(request: HttpRequest): CallerPrincipal {
  const caller = callers.get(request);
  if (!caller) throw new Error('callerOf: this request was not authenticated by apiEndpoint.');
  return caller;
}

export function authenticationRequired(): boolean {
  return getSecurityServices().settings.mode === 'entra';
}

function routeTemplateOf(context: InvocationContext): string {
  const trigger = context.options?.trigger as { route?: unknown } | undefined;
  // Without its route the action cannot be classified: apiActionOf then asks for a deployment-wide owner.
  return typeof trigger?.route === 'string' ? trigger.route : context.functionName;
}

function workspaceOfRoute(request: HttpRequest): ResourceRef {
  const p = request.params;
  const workspace = p.workspaceName ?? '';
  return {
    kind: 'workspace',
    subscriptionId: p.subscriptionId ?? '',
    resourceGroup: p.resourceGroupName ?? '',
    workspace,
    name: workspace,
  };
}

/** The ARM scope named in a 403: the resource of the URL (without the action segment of a POST). */
function scopeOf(request: HttpRequest, action: ApiAction): string {
  let path = new URL(request.url).pathname;
  const start = path.toLowerCase().indexOf('/subscriptions/');
  path = start >= 0 ? path.slice(start) : '/';
  if (action.name.endsWith('/action')) path = path.slice(0, path.lastIndexOf('/'));
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** Authenticates the caller and checks the action; throws AuthenticationError (401) or AuthorizationError (403). */
export async function authorizeRequest(
  request: HttpRequest,
  context: InvocationContext,
  deps: () => Promise<ServiceDeps>,
): Promise<void> {
  const security = getSecurityServices();
  // Without tokens (AUTH_MODE=none) the caller is whoever reaches the port: not a page of another site.
  if (!security.validator) checkLocalRequest(request.method, request.headers);
  const action = apiActionOf(routeTemplateOf(context), request.method);
  if (action.check === 'anonymous') return;
  const caller = security.validator
    ? await security.validator.authenticate(request.headers.get('authorization'))
    : localUser;
  callers.set(request, caller);
  const deny = (): AuthorizationError =>
    new AuthorizationError(caller.objectId, action.name, scopeOf(request, action));
  if (action.check === 'workspace' || action.check === 'operation') {
    // A deployment-wide role needs no lookup (always the case for the local user).
    if (roleSatisfies(deploymentWideRole(caller, security.policy), action.role ?? 'owner')) return;
    const services = await deps();
    let workspace = workspaceOfRoute(request);
    if (action.check === 'operation') {
      const operationId = request.params.operationId ?? '';
      const operation = await findOperation(services, operationId);
      // An unknown operation is the handler's 404; ids are random GUIDs or sealed, so this reveals nothing.
      if (!operation) return;
      workspace = workspaceRefOf(operation.record.resource);
      // Once a workspace is gone (with its assignments), its operations only say that they completed.
      if (!(await services.store.get(workspace))) return;
    }
    const [access, existing] = await Promise.all([
      services.workspaceAccess?.read(workspace) ?? { assignments: [] },
      action.mayCreateWorkspace ? services.store.get(workspace) : undefined,
    ]);
    const facts = { assignments: access.assignments, workspaceExists: existing !== undefined };
    if (!isWorkspaceActionAllowed(action, caller, security.policy, facts)) throw deny();
    return;
  }
  if (!isCallerActionAllowed(action, caller, security.policy)) throw deny();
}

/**
 * Which workspaces a list may show the caller: undefined when it may read all of them (a deployment-wide role),
 * else a predicate over the workspaces where the caller or one of its groups holds a role.
 */
export async function readableWorkspaces(
  request: HttpRequest,
  deps: ServiceDeps,
): Promise<((workspace: ResourceRef) => boolean) | undefined> {
  const caller = callerOf(request);
  if (deploymentWideRole(caller, getSecurityServices().policy)) return undefined;
  const keys = (await deps.workspaceAccess?.workspacesOf(identityIdsOf(caller))) ?? new Set<string>();
  return (workspace) => keys.has(keyOf(workspaceRefOf(workspace)));
}
