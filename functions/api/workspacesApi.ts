// HTTP trigger adapters for Microsoft.BatchAI/workspaces (list by subscription and resource group, create,
// update tags, get, delete). Lists show only the workspaces the caller can read; a creator becomes the owner.
import { app, type HttpRequest } from '@azure/functions';
import { listWorkspaces } from '../../shared/domain/services/listService';
import type { ServiceDeps } from '../../shared/domain/services/serviceDeps';
import { createWorkspace, updateWorkspace } from '../../shared/domain/services/workspaceService';
import type { Page } from '../../shared/ports/resourceStore';
import type { Stored } from '../../shared/domain/resourceRecord';
import { grantCreatorOwnership } from '../../shared/security/roleAssignmentService';
import { apiEndpoint, pageQuery } from './apiRequest';
import { authenticationRequired, callerOf, readableWorkspaces } from './requestAccess';
import { pageResponse, resourceItem } from './resourceEndpoints';
import { resourceGroupRoute, workspaceRoute } from './routeRefs';

export const workspaceItem = resourceItem({
  kind: 'workspace',
  create: async (deps, ref, body, request) => {
    const result = await createWorkspace(deps, ref, body);
    // Only the request that created the workspace makes its caller the owner (a repeated PUT confirms). The local
    // user of AUTH_MODE=none owns everything already, so nothing is recorded for it.
    if (result.created && authenticationRequired() && deps.workspaceAccess)
      await grantCreatorOwnership({ access: deps.workspaceAccess, now: deps.now }, ref, callerOf(request));
    return result;
  },
  update: updateWorkspace,
});

/** Keeps the workspaces of a page that the caller can read (a page may come back shorter; nextLink still holds). */
async function visibleTo(deps: ServiceDeps, request: HttpRequest, page: Page<Stored>): Promise<Page<Stored>> {
  const readable = await readableWorkspaces(request, deps);
  if (!readable) return page;
  return { ...page, items: page.items.filter((item) => readable(item.record.ref)) };
}

export async function workspacesBySubscription(deps: ServiceDeps, request: HttpRequest) {
  const page = pageQuery(request);
  return pageResponse(
    request,
    await visibleTo(
      deps,
      request,
      await listWorkspaces(
        deps,
        request.params.subscriptionId ?? '',
        undefined,
        page.maxItems,
        page.continuationToken,
      ),
    ),
  );
}

export async function workspacesByResourceGroup(deps: ServiceDeps, request: HttpRequest) {
  const page = pageQuery(request);
  const p = request.params;
  return pageResponse(
    request,
    await visibleTo(
      deps,
      request,
      await listWorkspaces(
        deps,
        p.subscriptionId ?? '',
        p.resourceGroupName ?? '',
        page.maxItems,
        page.continuationToken,
      ),
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
