// HTTP trigger adapters for workspaces/clusters (list, create, update scale settings, get, delete, remote login).
import { app, type HttpRequest } from '@azure/functions';
import { createCluster, updateCluster } from '../../shared/domain/services/clusterService';
import { listClusterRemoteLogins } from '../../shared/domain/services/jobService';
import type { ServiceDeps } from '../../shared/domain/services/serviceDeps';
import { apiEndpoint, jsonResponse } from './apiRequest';
import { resourceItem, childList } from './resourceEndpoints';
import { clusterRoute, refFromRoute, workspaceRoute } from './routeRefs';

export const clusterItem = resourceItem({ kind: 'cluster', create: createCluster, update: updateCluster });

export const clusterList = childList('cluster', 'workspace');

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
