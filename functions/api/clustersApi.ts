// HTTP trigger adapters for workspaces/clusters (list, create, update scale settings, get, delete, remote login).
import { app, type HttpRequest } from '@azure/functions';
import { createCluster, updateCluster } from '../../shared/domain/services/clusterService';
import { listClusterRemoteLogins } from '../../shared/domain/services/jobService';
import { listChildren } from '../../shared/domain/services/listService';
import { toWire } from '../../shared/domain/services/resourceView';
import type { ServiceDeps } from '../../shared/domain/services/serviceDeps';
import { apiEndpoint, jsonResponse, pageQuery, readJsonBody } from './apiRequest';
import { deleteResource, getResource, pageResponse, putResponse } from './resourceEndpoints';
import { clusterRoute, refFromRoute, workspaceRoute } from './routeRefs';

export async function clusterItem(deps: ServiceDeps, request: HttpRequest) {
  const ref = refFromRoute(request, 'cluster');
  switch (request.method) {
    case 'PUT':
      return putResponse(request, await createCluster(deps, ref, await readJsonBody(request)));
    case 'PATCH': {
      const stored = await updateCluster(
        deps,
        ref,
        (await readJsonBody(request)) ?? {},
        request.headers.get('if-match') ?? undefined,
      );
      return jsonResponse(200, toWire(stored.record), stored.etag);
    }
    case 'DELETE':
      return deleteResource(deps, request, 'cluster');
    default:
      return getResource(deps, request, 'cluster');
  }
}

export async function clusterList(deps: ServiceDeps, request: HttpRequest) {
  const page = pageQuery(request);
  return pageResponse(
    request,
    await listChildren(
      deps,
      'cluster',
      refFromRoute(request, 'workspace'),
      page.maxItems,
      page.continuationToken,
    ),
  );
}

export async function clusterRemoteLogins(deps: ServiceDeps, request: HttpRequest) {
  return jsonResponse(200, { value: await listClusterRemoteLogins(deps, refFromRoute(request, 'cluster')) });
}

app.http('clustersList', {
  route: `${workspaceRoute}/clusters`,
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: apiEndpoint(clusterList),
});
app.http('clusters', {
  route: clusterRoute,
  methods: ['GET', 'PUT', 'PATCH', 'DELETE'],
  authLevel: 'anonymous',
  handler: apiEndpoint(clusterItem),
});
app.http('clusterRemoteLoginInformation', {
  route: `${clusterRoute}/listRemoteLoginInformation`,
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: apiEndpoint(clusterRemoteLogins),
});
