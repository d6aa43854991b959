// HTTP trigger adapters for workspaces/fileServers (list, create, get, delete).
import { app, type HttpRequest } from '@azure/functions';
import { createFileServer } from '../../shared/domain/services/fileServerService';
import { listChildren } from '../../shared/domain/services/listService';
import type { ServiceDeps } from '../../shared/domain/services/serviceDeps';
import { apiEndpoint, pageQuery, readJsonBody } from './apiRequest';
import { deleteResource, getResource, pageResponse, putResponse } from './resourceEndpoints';
import { fileServerRoute, refFromRoute, workspaceRoute } from './routeRefs';

export async function fileServerItem(deps: ServiceDeps, request: HttpRequest) {
  switch (request.method) {
    case 'PUT':
      return putResponse(
        request,
        await createFileServer(deps, refFromRoute(request, 'fileServer'), await readJsonBody(request)),
      );
    case 'DELETE':
      return deleteResource(deps, request, 'fileServer');
    default:
      return getResource(deps, request, 'fileServer');
  }
}

export async function fileServerList(deps: ServiceDeps, request: HttpRequest) {
  const page = pageQuery(request);
  return pageResponse(
    request,
    await listChildren(
      deps,
      'fileServer',
      refFromRoute(request, 'workspace'),
      page.maxItems,
      page.continuationToken,
    ),
  );
}

app.http('fileServersList', {
  route: `${workspaceRoute}/fileServers`,
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: apiEndpoint(fileServerList),
});
app.http('fileServers', {
  route: fileServerRoute,
  methods: ['GET', 'PUT', 'DELETE'],
  authLevel: 'anonymous',
  handler: apiEndpoint(fileServerItem),
});
