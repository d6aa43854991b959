// HTTP trigger adapters for Microsoft.BatchAI/workspaces (list by subscription and resource group, create,
// update tags, get, delete).
import { app, type HttpRequest } from '@azure/functions';
import { listWorkspaces } from '../../shared/domain/services/listService';
import type { ServiceDeps } from '../../shared/domain/services/serviceDeps';
import { createWorkspace, updateWorkspace } from '../../shared/domain/services/workspaceService';
import { apiEndpoint, pageQuery } from './apiRequest';
import { pageResponse, resourceItem } from './resourceEndpoints';
import { resourceGroupRoute, workspaceRoute } from './routeRefs';

export const workspaceItem = resourceItem({
  kind: 'workspace',
  create: createWorkspace,
  update: updateWorkspace,
});

export async function workspacesBySubscription(deps: ServiceDeps, request: HttpRequest) {
  const page = pageQuery(request);
  return pageResponse(
    request,
    await listWorkspaces(
      deps,
      request.params.subscriptionId ?? '',
      undefined,
      page.maxItems,
      page.continuationToken,
    ),
  );
}

export async function workspacesByResourceGroup(deps: ServiceDeps, request: HttpRequest) {
  const page = pageQuery(request);
  const p = request.params;
  return pageResponse(
    request,
    await listWorkspaces(
      deps,
      p.subscriptionId ?? '',
      p.resourceGroupName ?? '',
      page.maxItems,
      page.continuationToken,
    ),
  );
}

app.http('workspacesList', {
  route: 'subscriptions/{subscriptionId}/providers/Microsoft.BatchAI/workspaces',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: apiEndpoint(workspacesBySubscription),
});
app.http('workspacesListByResourceGroup', {
  route: `${resourceGroupRoute}/workspaces`,
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: apiEndpoint(workspacesByResourceGroup),
});
app.http('workspaces', {
  route: workspaceRoute,
  methods: ['GET', 'PUT', 'PATCH', 'DELETE'],
  authLevel: 'anonymous',
  handler: apiEndpoint(workspaceItem),
});
