// HTTP trigger adapters for scoring rules and job schedules under a workspace (an extension of the Batch AI
// 2018-05-01 API, same conventions: api-version, CloudError bodies, {value, nextLink} pages).
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import type { DefinitionKind, WorkspaceAddress } from '../../shared/domain/eventSources/eventSourceStore';
import {
  definitionInfo,
  definitionView,
  deleteDefinition,
  getDefinition,
  listDefinitions,
  putDefinition,
} from '../../shared/domain/eventSources/definitionService';
import {
  apiEndpoint,
  jsonResponse,
  pageBody,
  pageQuery,
  readJsonBody,
  type ApiHandler,
} from '../api/apiRequest';
import { workspaceRoute } from '../api/routeRefs';
import { getEventSourceServices } from './eventSourceServices';

function workspaceOf(request: HttpRequest): WorkspaceAddress {
  return {
    subscriptionId: request.params.subscriptionId ?? '',
    resourceGroup: request.params.resourceGroupName ?? '',
    workspace: request.params.workspaceName ?? '',
  };
}

export function definitionItem(kind: DefinitionKind): ApiHandler {
  return async (_deps, request): Promise<HttpResponseInit> => {
    const services = await getEventSourceServices();
    const workspace = workspaceOf(request);
    const name = request.params[definitionInfo[kind].nameField] ?? '';
    const now = services.service.now();
    switch (request.method) {
      case 'PUT': {
        const { created, stored } = await putDefinition(
          services,
          kind,
          workspace,
          name,
          await readJsonBody(request),
        );
        return jsonResponse(created ? 201 : 200, definitionView(stored.record, now), stored.etag);
      }
      case 'DELETE':
        return { status: (await deleteDefinition(services, kind, workspace, name)) ? 200 : 204 };
      default: {
        const stored = await getDefinition(services, kind, workspace, name);
        return jsonResponse(200, definitionView(stored.record, now), stored.etag);
      }
    }
  };
}

export function definitionList(kind: DefinitionKind): ApiHandler {
  return async (_deps, request): Promise<HttpResponseInit> => {
    const services = await getEventSourceServices();
    const page = await listDefinitions(services, kind, workspaceOf(request), pageQuery(request));
    const now = services.service.now();
    return jsonResponse(
      200,
      pageBody(
        request,
        page.items.map((item) => definitionView(item.record, now)),
        page.continuationToken,
      ),
    );
  };
}

for (const kind of ['scoringRule', 'jobSchedule'] as const) {
  const { segment, nameField } = definitionInfo[kind];
  app.http(`${segment}List`, {
    route: `${workspaceRoute}/${segment}`,
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: apiEndpoint(definitionList(kind)),
  });
  app.http(segment, {
    route: `${workspaceRoute}/${segment}/{${nameField}}`,
    methods: ['GET', 'PUT', 'DELETE'],
    authLevel: 'anonymous',
    handler: apiEndpoint(definitionItem(kind)),
  });
}
