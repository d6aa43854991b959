// Request plumbing shared by the API's trigger adapters: ARM correlation headers, the api-version check, the
// caller's authentication and authorization (requestAccess.ts), JSON body parsing that never crashes, paging
// parameters and nextLink, long-running operation headers, and one request telemetry item per call (correlated
// with the invocation's trace; no bodies, no query strings, no Authorization header).
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { randomUUID } from 'crypto';
import { API_VERSION } from '../../shared/domain/batchAiSpec';
import { UnsupportedMediaTypeError, ValidationError } from '../../shared/domain/errors';
import type { OperationRecord } from '../../shared/domain/operationRecord';
import type { ServiceDeps } from '../../shared/domain/services/serviceDeps';
import { invocationTelemetry } from '../../shared/telemetry/invocationTracing';
import { AuthenticationError } from '../../shared/security/accessErrors';
import { cloudErrorResponse } from './cloudErrorResponse';
import { getServiceDeps } from './apiServices';
import { authorizeRequest } from './requestAccess';
import { getSecurityServices } from './securityServices';

export type ApiHandler = (
  deps: ServiceDeps,
  request: HttpRequest,
  context: InvocationContext,
) => Promise<HttpResponseInit>;

export interface HandlerOptions {
  /** The OpenAPI document route does not take an api-version. */
  apiVersionRequired?: boolean;
}

/** Wraps a handler that uses the state store: correlation headers, api-version checked, errors mapped once. */
export function apiEndpoint(
  handler: ApiHandler,
  deps: () => Promise<ServiceDeps> = getServiceDeps,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return withApiConventions(async (request, context) => handler(await deps(), request, context), {}, deps);
}

/** Wraps a handler that needs no state (operations catalogue, OpenAPI document). */
export function statelessEndpoint(
  handler: (request: HttpRequest) => Promise<HttpResponseInit>,
  options: HandlerOptions = {},
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return withApiConventions((request) => handler(request), options, getServiceDeps);
}

function withApiConventions(
  run: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>,
  options: HandlerOptions,
  deps: () => Promise<ServiceDeps>,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request, context) => {
    const correlation: Record<string, string> = {
      'x-ms-request-id': randomUUID(),
      'x-ms-correlation-request-id': request.headers.get('x-ms-correlation-request-id') ?? randomUUID(),
    };
    const clientRequestId = request.headers.get('x-ms-client-request-id');
    if (clientRequestId) correlation['x-ms-client-request-id'] = clientRequestId;
    const started = Date.now();
    let response: HttpResponseInit;
    let failure: unknown;
    try {
      if (options.apiVersionRequired !== false) checkApiVersion(request);
      await authorizeRequest(request, context, deps);
      const result = await run(request, context);
      response = {
        ...result,
        headers: { ...correlation, ...(result.headers as Record<string, string> | undefined) },
      };
    } catch (error: unknown) {
      response = cloudErrorResponse(error, context, correlation);
      if (error instanceof AuthenticationError) {
        response.headers = {
          ...(response.headers as Record<string, string>),
          'WWW-Authenticate': error.challenge(getSecurityServices().settings.entra?.tenantId),
        };
      }
      failure = error;
    }
    recordRequest(request, context, correlation, response.status ?? 200, Date.now() - started, failure);
    return response;
  };
}

/** One request item per API call (route template as its name); an internal error (500) also as an exception. */
function recordRequest(
  request: HttpRequest,
  context: InvocationContext,
  correlation: Record<string, string>,
  status: number,
  durationMs: number,
  failure: unknown,
): void {
  const telemetry = invocationTelemetry(context).withProperties(correlation);
  const trigger = context.options?.trigger as { route?: unknown } | undefined;
  const route = `/${typeof trigger?.route === 'string' ? trigger.route : context.functionName}`;
  const url = new URL(request.url);
  url.search = ''; // the query can hold SAS tokens or keys (`code`)
  telemetry.request({
    name: `${request.method} ${route}`,
    url: url.toString(),
    method: request.method,
    route,
    resultCode: status,
    durationMs,
    success: status < 400,
    properties: { route },
  });
  if (status >= 500 && failure !== undefined) telemetry.exception(failure, { route });
}

function checkApiVersion(request: HttpRequest): void {
  // Resource Manager reads query parameter names case-insensitively (`API-VERSION` works there too).
  const name = [...request.query.keys()].find((key) => key.toLowerCase() === 'api-version');
  const version = name === undefined ? null : request.query.get(name);
  if (!version) {
    throw new ValidationError(
      'api-version',
      `The api-version query parameter is required; this API supports '${API_VERSION}'.`,
      'MissingApiVersionParameter',
    );
  }
  if (version !== API_VERSION) {
    throw new ValidationError(
      'api-version',
      `The api-version '${version}' is not supported; use '${API_VERSION}'.`,
      'InvalidApiVersionParameter',
    );
  }
}

/** JSON media types: `application/json`, `text/json` and `+json` suffixes, parameters (charset) ignored. */
const jsonMediaType = /^\s*(?:application\/(?:[\w.+-]+\+)?json|text\/json)\s*(?:;.*)?$/i;

/**
 * Parses the JSON body; an empty body is undefined; malformed JSON is a 400 (the parser's text is not echoed: it
 * can quote secrets). A body declared in another media type (curl's `-d` sends a form type unless told) is a 415
 * naming `Content-Type`, as Resource Manager answers; a body without a declared type is read as JSON.
 */
export async function readJsonBody(request: HttpRequest): Promise<unknown> {
  const text = await request.text();
  if (text.trim() === '') return undefined;
  const contentType = request.headers.get('content-type');
  if (contentType !== null && contentType.trim() !== '' && !jsonMediaType.test(contentType)) {
    throw new UnsupportedMediaTypeError(
      `The request content type '${contentType.slice(0, 100)}' is not supported; send the body as 'application/json'.`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ValidationError('body', 'The request body is not valid JSON.', 'InvalidRequestContent');
  }
}

/** A query parameter that must be an integer within a range (absent: the default). */
export function integerQuery(
  request: HttpRequest,
  name: string,
  minimum: number,
  maximum: number,
  fallback: number,
): number {
  const text = request.query.get(name);
  if (text === null || text === '') return fallback;
  const value = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || value < minimum || value > maximum) {
    throw new ValidationError(
      name,
      `The query parameter '${name}' must be an integer from ${minimum} to ${maximum}; it is '${text}'.`,
      'InvalidQueryParameterValue',
    );
  }
  return value;
}

export interface PageQuery {
  maxItems: number;
  continuationToken?: string;
}

export function pageQuery(request: HttpRequest): PageQuery {
  const maxItems = integerQuery(request, 'maxresults', 1, 1000, 1000);
  const skipToken = request.query.get('$skiptoken');
  if (!skipToken) return { maxItems };
  const continuationToken = Buffer.from(skipToken, 'base64url').toString('utf8');
  if (!continuationToken)
    throw new ValidationError(
      '$skiptoken',
      'The $skiptoken is not valid; use the nextLink of the previous page.',
      'InvalidQueryParameterValue',
    );
  return { maxItems, continuationToken };
}

/** The `{value, nextLink}` page: nextLink is this request's URL with the next $skiptoken. */
export function pageBody(
  request: HttpRequest,
  value: unknown[],
  continuationToken: string | undefined,
): Record<string, unknown> {
  if (!continuationToken) return { value };
  const next = new URL(request.url);
  next.searchParams.set('$skiptoken', Buffer.from(continuationToken, 'utf8').toString('base64url'));
  return { value, nextLink: next.toString() };
}

/** Origin and route prefix of this API as the caller reached it (e.g. http://127.0.0.1:7071/api). */
export function apiBase(request: HttpRequest): string {
  const url = new URL(request.url);
  const path = url.pathname;
  const cut = ['/subscriptions/', '/providers/', '/openapi.json']
    .map((m) => path.toLowerCase().indexOf(m.toLowerCase()))
    .filter((i) => i >= 0);
  return `${url.origin}${path.slice(0, cut.length ? Math.min(...cut) : path.length)}`;
}

export function operationUrls(
  request: HttpRequest,
  operation: OperationRecord,
): { status: string; result: string } {
  const base = `${apiBase(request)}/subscriptions/${operation.subscriptionId}/providers/Microsoft.BatchAI/locations/${encodeURIComponent(operation.location)}`;
  return {
    status: `${base}/operationstatuses/${operation.id}?api-version=${API_VERSION}`,
    result: `${base}/operationresults/${operation.id}?api-version=${API_VERSION}`,
  };
}

/** 202 Accepted with the ARM long-running operation headers. */
export function acceptedResponse(request: HttpRequest, operation: OperationRecord): HttpResponseInit {
  const urls = operationUrls(request, operation);
  return {
    status: 202,
    headers: { 'Azure-AsyncOperation': urls.status, Location: urls.result, 'Retry-After': '1' },
  };
}

export function jsonResponse(status: number, body: unknown, etag?: string): HttpResponseInit {
  return { status, jsonBody: body, headers: etag ? { ETag: etag } : undefined };
}
