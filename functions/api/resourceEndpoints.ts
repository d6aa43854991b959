// Generic HTTP shapes of the ARM verbs over the domain services: GET one, list a page, PUT (create or confirm,
// 202 + operation headers on creation, 200 when it already existed), DELETE (202, or 204 when nothing existed).
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { ResourceKind, ResourceRef } from '../../shared/domain/resourceId';
import { listChildren } from '../../shared/domain/services/listService';
import type { Stored } from '../../shared/domain/resourceRecord';
import type { PutResult } from '../../shared/domain/services/createOrConfirm';
import { claimForDelete, finishPendingDelete } from '../../shared/domain/services/deletionService';
import { assertPreconditions } from '../../shared/domain/services/etagMatch';
import { ConflictError } from '../../shared/domain/errors';
import { recordOperation } from '../../shared/domain/services/operationService';
import { requireResource } from '../../shared/domain/services/parentLookup';
import { toWire } from '../../shared/domain/services/resourceView';
import type { ServiceDeps } from '../../shared/domain/services/serviceDeps';
import { validateRef } from '../../shared/domain/resourceId';
import type { Page } from '../../shared/ports/resourceStore';
import {
  acceptedResponse,
  jsonResponse,
  pageBody,
  pageQuery,
  readJsonBody,
  type ApiHandler,
} from './apiRequest';
import { refFromRoute } from './routeRefs';

export async function getResource(
  deps: ServiceDeps,
  request: HttpRequest,
  kind: ResourceKind,
): Promise<HttpResponseInit> {
  const ref = refFromRoute(request, kind);
  validateRef(ref);
  const stored = await requireResource(deps, ref);
  return jsonResponse(200, toWire(stored.record), stored.etag);
}

export function putResponse(request: HttpRequest, result: PutResult): HttpResponseInit {
  if (result.created && result.operation) return acceptedResponse(request, result.operation);
  return jsonResponse(200, toWire(result.stored.record), result.stored.etag);
}

export function pageResponse(request: HttpRequest, page: Page<Stored>): HttpResponseInit {
  return jsonResponse(
    200,
    pageBody(
      request,
      page.items.map((item) => toWire(item.record)),
      page.continuationToken,
    ),
  );
}

export async function deleteResource(
  deps: ServiceDeps,
  request: HttpRequest,
  kind: ResourceKind,
): Promise<HttpResponseInit> {
  const ref: ResourceRef = refFromRoute(request, kind);
  validateRef(ref);
  const existing = await deps.store.get(ref);
  const conditions = conditionsOf(request);
  assertPreconditions(conditions, existing);
  if (!existing) {
    await requireParentsOf(deps, ref);
    return { status: 204 };
  }
  if (
    (conditions.ifMatch?.trim() || conditions.ifNoneMatch?.trim()) &&
    (await claimForDelete(deps, existing)) === 'gone'
  ) {
    // Deleted by another request since it was read: what If-Match named no longer exists.
    assertPreconditions(conditions, undefined);
    return { status: 204 };
  }
  const done = await finishPendingDelete(deps, ref, true);
  const operation = await recordOperation(deps, 'delete', existing.record, done);
  return acceptedResponse(request, operation);
}

async function requireParentsOf(deps: ServiceDeps, ref: ResourceRef): Promise<void> {
  // ARM answers 204 for a missing resource, but 404 when its parent is missing.
  if (ref.kind === 'workspace') return;
  try {
    await requireResource(deps, ref);
  } catch (error: unknown) {
    if (
      error instanceof Error &&
      'code' in error &&
      (error as { code: string }).code === 'ParentResourceNotFound'
    )
      throw error;
  }
}

/** `If-Match` / `If-None-Match` of a PUT or DELETE (absent or empty: no condition). */
function conditionsOf(request: HttpRequest): { ifMatch?: string; ifNoneMatch?: string } {
  const value = (name: string): string | undefined => {
    const header = request.headers.get(name);
    return header === null || header.trim() === '' ? undefined : header;
  };
  return { ifMatch: value('if-match'), ifNoneMatch: value('if-none-match') };
}

/** The verbs of one resource kind at its item URL: PUT creates (or confirms), PATCH updates where the spec has it. */
export interface ItemVerbs {
  kind: ResourceKind;
  create(deps: ServiceDeps, ref: ResourceRef, body: unknown, request: HttpRequest): Promise<PutResult>;
  update?(deps: ServiceDeps, ref: ResourceRef, body: unknown, ifMatch: string | undefined): Promise<Stored>;
}

/** GET, PUT, PATCH (when the kind has it) and DELETE of one resource. */
export function resourceItem(verbs: ItemVerbs): ApiHandler {
  return async (deps, request) => {
    const ref = refFromRoute(request, verbs.kind);
    switch (request.method) {
      case 'PUT': {
        const body = await readJsonBody(request);
        const conditions = conditionsOf(request);
        if (conditions.ifMatch !== undefined || conditions.ifNoneMatch !== undefined) {
          validateRef(ref);
          assertPreconditions(conditions, await deps.store.get(ref));
        }
        const result = await verbs.create(deps, ref, body, request).catch(async (error: unknown) => {
          // A concurrent PUT created it with another body (409): under If-None-Match that is a failed condition.
          if (conditions.ifNoneMatch !== undefined && error instanceof ConflictError)
            assertPreconditions(conditions, await deps.store.get(ref));
          throw error;
        });
        // Created by a concurrent PUT between the check and the create: not this request's resource.
        if (conditions.ifNoneMatch !== undefined && !result.created)
          assertPreconditions(conditions, result.stored);
        return putResponse(request, result);
      }
      case 'PATCH':
        if (verbs.update) {
          const body = (await readJsonBody(request)) ?? {};
          const stored = await verbs.update(deps, ref, body, request.headers.get('if-match') ?? undefined);
          return jsonResponse(200, toWire(stored.record), stored.etag);
        }
        break;
      case 'DELETE':
        return deleteResource(deps, request, verbs.kind);
    }
    return getResource(deps, request, verbs.kind);
  };
}

/** One page of the resources of `kind` under their parent (the route names the parent). */
export function childList(kind: Parameters<typeof listChildren>[1], parentKind: ResourceKind): ApiHandler {
  return async (deps, request) => {
    const page = pageQuery(request);
    const parent = refFromRoute(request, parentKind);
    return pageResponse(
      request,
      await listChildren(deps, kind, parent, page.maxItems, page.continuationToken),
    );
  };
}
