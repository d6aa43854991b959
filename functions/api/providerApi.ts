// HTTP trigger adapters for provider-level endpoints: the operations catalogue, usages, long-running operation
// status and results, and the OpenAPI document.
import { app, type HttpRequest } from '@azure/functions';
import { NotFoundError } from '../../shared/domain/errors';
import type { OperationRecord } from '../../shared/domain/operationRecord';
import operationsCatalogue from '../../shared/domain/spec/operationsCatalogue.json';
import { servedOpenApiDocument } from '../../shared/domain/spec/servedOpenApi';
import { getOperation, operationStatusBody } from '../../shared/domain/services/operationService';
import { requireResource } from '../../shared/domain/services/parentLookup';
import { toWire } from '../../shared/domain/services/resourceView';
import type { ServiceDeps } from '../../shared/domain/services/serviceDeps';
import { listUsages } from '../../shared/domain/services/usageService';
import { apiBase, apiEndpoint, jsonResponse, operationUrls, statelessEndpoint } from './apiRequest';

export async function operationsList() {
  return jsonResponse(200, { value: operationsCatalogue });
}

export async function usagesList(deps: ServiceDeps, request: HttpRequest) {
  return jsonResponse(200, {
    value: await listUsages(deps, request.params.subscriptionId ?? '', request.params.location ?? ''),
  });
}

/** Locations as ARM compares them: 'East US' is 'eastus'. */
function sameLocation(a: string, b: string): boolean {
  const key = (location: string) => location.toLowerCase().replace(/\s/g, '');
  return key(a) === key(b);
}

/** The operation of the request's URL: one of another location is not found there (ARM's URLs name its location). */
async function requestedOperation(deps: ServiceDeps, request: HttpRequest): Promise<OperationRecord> {
  const id = request.params.operationId ?? '';
  const operation = await getOperation(deps, request.params.subscriptionId ?? '', id);
  if (!sameLocation(operation.location, request.params.location ?? '')) {
    throw new NotFoundError(`The operation '${id}' was not found.`);
  }
  return operation;
}

export async function operationStatus(deps: ServiceDeps, request: HttpRequest) {
  return jsonResponse(200, operationStatusBody(await requestedOperation(deps, request)));
}

/** The Location URL: 202 while running; at the end the resource for a create, 200 without body otherwise. */
export async function operationResult(deps: ServiceDeps, request: HttpRequest) {
  const operation = await requestedOperation(deps, request);
  if (operation.status === 'InProgress') {
    return {
      status: 202,
      headers: { Location: operationUrls(request, operation).result, 'Retry-After': '1' },
    };
  }
  if (operation.status !== 'Succeeded') {
    // Always a CloudError: a Canceled operation (its resource deleted first) has no error of its own.
    const error = operation.error ?? {
      code: 'OperationCanceled',
      message: `The operation was canceled: the ${operation.resource.kind} '${operation.resource.name}' was deleted before it completed.`,
    };
    return jsonResponse(409, { error });
  }
  if (operation.action === 'create') {
    const stored = await requireResource(deps, operation.resource);
    return jsonResponse(200, toWire(stored.record), stored.etag);
  }
  return { status: operation.action === 'delete' ? 204 : 200 };
}

export async function openApi(request: HttpRequest) {
  const url = new URL(request.url);
  return jsonResponse(
    200,
    servedOpenApiDocument(url.host, new URL(apiBase(request)).pathname || '/', url.protocol.replace(':', '')),
  );
}

const locationRoute = 'subscriptions/{subscriptionId}/providers/Microsoft.BatchAI/locations/{location}';

app.http('operationsList', {
  route: 'providers/Microsoft.BatchAI/operations',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: statelessEndpoint(operationsList),
});
app.http('usagesList', {
  route: `${locationRoute}/usages`,
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: apiEndpoint(usagesList),
});
app.http('operationStatus', {
  route: `${locationRoute}/operationstatuses/{operationId}`,
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: apiEndpoint(operationStatus),
});
app.http('operationResult', {
  route: `${locationRoute}/operationresults/{operationId}`,
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: apiEndpoint(operationResult),
});
app.http('openApi', {
  route: 'openapi.json',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: statelessEndpoint(openApi, { apiVersionRequired: false }),
});
