// HTTP trigger adapters for workspace role assignments (this service's extension of the Batch AI API, ARM style):
// list, and PUT / GET / DELETE .../workspaces/{ws}/roleAssignments/{principalId}. Reading needs reader; changing
// needs owner (checked by apiEndpoint); the last owner of a workspace cannot be removed.
import { app, type HttpRequest } from '@azure/functions';
import { requireWorkspace } from '../../shared/domain/services/parentLookup';
import type { ServiceDeps } from '../../shared/domain/services/serviceDeps';
import { validateRef, workspaceRefOf } from '../../shared/domain/resourceId';
import {
  roleAssignmentWire,
  validatePrincipalId,
  validateRoleAssignmentBody,
} from '../../shared/security/roleAssignment';
import {
  deleteRoleAssignment,
  getRoleAssignment,
  listRoleAssignments,
  putRoleAssignment,
  type RoleAssignmentDeps,
} from '../../shared/security/roleAssignmentService';
import { apiEndpoint, jsonResponse, readJsonBody } from './apiRequest';
import { callerOf } from './requestAccess';
import { refFromRoute, workspaceRoute } from './routeRefs';

const roleAssignmentsRoute = `${workspaceRoute}/roleAssignments`;

function assignmentDeps(deps: ServiceDeps): RoleAssignmentDeps {
  if (!deps.workspaceAccess)
    throw new Error('The role assignment store is not configured (ServiceDeps.workspaceAccess).');
  return { access: deps.workspaceAccess, now: deps.now };
}

export async function roleAssignmentList(deps: ServiceDeps, request: HttpRequest) {
  const workspace = workspaceRefOf(refFromRoute(request, 'workspace'));
  validateRef(workspace);
  await requireWorkspace(deps, workspace);
  const assignments = await listRoleAssignments(assignmentDeps(deps), workspace);
  return jsonResponse(200, { value: assignments.map((a) => roleAssignmentWire(workspace, a)) });
}

export async function roleAssignmentItem(deps: ServiceDeps, request: HttpRequest) {
  const workspace = workspaceRefOf(refFromRoute(request, 'workspace'));
  validateRef(workspace);
  const principalId = validatePrincipalId(request.params.principalId ?? '');
  const services = assignmentDeps(deps);
  switch (request.method) {
    case 'PUT': {
      const body = validateRoleAssignmentBody(await readJsonBody(request));
      await requireWorkspace(deps, workspace, true);
      const { assignment, created } = await putRoleAssignment(
        services,
        workspace,
        principalId,
        body,
        callerOf(request),
      );
      return jsonResponse(created ? 201 : 200, roleAssignmentWire(workspace, assignment));
    }
    case 'DELETE': {
      await requireWorkspace(deps, workspace);
      const removed = await deleteRoleAssignment(services, workspace, principalId);
      return removed ? jsonResponse(200, roleAssignmentWire(workspace, removed)) : { status: 204 };
    }
    default: {
      await requireWorkspace(deps, workspace);
      return jsonResponse(
        200,
        roleAssignmentWire(workspace, await getRoleAssignment(services, workspace, principalId)),
      );
    }
  }
}

app.http('roleAssignmentsList', {
  route: roleAssignmentsRoute,
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: apiEndpoint(roleAssignmentList),
});
app.http('roleAssignments', {
  route: `${roleAssignmentsRoute}/{principalId}`,
  methods: ['GET', 'PUT', 'DELETE'],
  authLevel: 'anonymous',
  handler: apiEndpoint(roleAssignmentItem),
});
