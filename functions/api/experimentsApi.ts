// HTTP trigger adapters for workspaces/experiments (list, create, get, delete with its jobs).
import { app, type HttpRequest } from '@azure/functions';
import { createExperiment } from '../../shared/domain/services/experimentService';
import { listChildren } from '../../shared/domain/services/listService';
import type { ServiceDeps } from '../../shared/domain/services/serviceDeps';
import { apiEndpoint, pageQuery, readJsonBody } from './apiRequest';
import { deleteResource, getResource, pageResponse, putResponse } from './resourceEndpoints';
import { experimentRoute, refFromRoute, workspaceRoute } from './routeRefs';

export async function experimentItem(deps: ServiceDeps, request: HttpRequest) {
  switch (request.method) {
    case 'PUT':
      await readJsonBody(request); // Experiments_Create takes no body, but a malformed one is still a 400.
      return putResponse(request, await createExperiment(deps, refFromRoute(request, 'experiment')));
    case 'DELETE':
      return deleteResource(deps, request, 'experiment');
    default:
      return getResource(deps, request, 'experiment');
  }
}

export async function experimentList(deps: ServiceDeps, request: HttpRequest) {
  const page = pageQuery(request);
  return pageResponse(
    request,
    await listChildren(
      deps,
      'experiment',
      refFromRoute(request, 'workspace'),
      page.maxItems,
      page.continuationToken,
    ),
  );
}

app.http('experimentsList', {
  route: `${workspaceRoute}/experiments`,
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: apiEndpoint(experimentList),
});
app.http('experiments', {
  route: experimentRoute,
  methods: ['GET', 'PUT', 'DELETE'],
  authLevel: 'anonymous',
  handler: apiEndpoint(experimentItem),
});
