// Generic HTTP shapes of the ARM verbs over the domain services: GET one, list a page, PUT (create or confirm,
// 202 + operation headers on creation, 200 when it already existed), DELETE (202, or 204 when nothing existed).
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { ResourceKind, ResourceRef } from '../../shared/domain/resourceId';
import type { Stored } from '../../shared/domain/resourceRecord';
import type { PutResult } from '../../shared/domain/services/createOrConfirm';
import { finishPendingDelete } from '../../shared/domain/services/deletionService';
import { recordOperation } from '../../shared/domain/services/operationService';
import { requireResource } from '../../shared/domain/services/parentLookup';
import { toWire } from '../../shared/domain/services/resourceView';
import type { ServiceDeps } from '../../shared/domain/services/serviceDeps';
import { validateRef } from '../../shared/domain/resourceId';
import type { Page } from '../../shared/ports/resourceStore';
import { acceptedResponse, jsonResponse, pageBody } from './apiRequest';
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
  if (!existing) {
    await requireParentsOf(deps, ref);
    return { status: 204 };
  }
  const done = await finishPendingDelete(deps, ref);
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
