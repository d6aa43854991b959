// The API's typed errors, each mapped once (functions/api/cloudErrorResponse.ts) to an ARM CloudError response.
// Domain code throws these; anything else reaching the HTTP layer is an internal error.

export interface ErrorDetail {
  code: string;
  message: string;
  target?: string;
}

export abstract class ApiError extends Error {
  abstract readonly httpStatus: number;
  readonly code: string;
  readonly target?: string;
  readonly details: ErrorDetail[];

  constructor(code: string, message: string, target?: string, details: ErrorDetail[] = []) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.target = target;
    this.details = details;
  }
}

/** Bad input: names the offending field in `target` (a JSON path such as `properties.nodeCount`). */
export class ValidationError extends ApiError {
  readonly httpStatus = 400;
  constructor(target: string, message: string, code = 'InvalidRequestContent') {
    super(code, message, target);
  }
}

/** A resource (or its parent) that does not exist. */
export class NotFoundError extends ApiError {
  readonly httpStatus = 404;
  constructor(
    message: string,
    code: 'ResourceNotFound' | 'ParentResourceNotFound' | 'NotFound' = 'ResourceNotFound',
    /** The request path's parameter naming the missing resource (`workspaceName`), when one does. */
    target?: string,
  ) {
    super(code, message, target);
  }
}

/** A request that conflicts with the resource's current state (immutable property changed, wrong state). */
export class ConflictError extends ApiError {
  readonly httpStatus = 409;
  constructor(code: string, message: string, target?: string) {
    super(code, message, target);
  }
}

/** An optimistic-concurrency check failed: the resource changed since the caller read it (stale ETag). */
export class PreconditionFailedError extends ApiError {
  readonly httpStatus = 412;
  constructor(message = 'The resource was modified by another request; read it again and retry.') {
    super('PreconditionFailed', message);
  }
}

/** A request body in a media type the API does not read (only JSON): names the header in `target`. */
export class UnsupportedMediaTypeError extends ApiError {
  readonly httpStatus = 415;
  constructor(message: string) {
    super('UnsupportedMediaType', message, 'Content-Type');
  }
}

/** A capability that a later component provides and that is not configured in this deployment. */
export class NotImplementedError extends ApiError {
  readonly httpStatus = 501;
  constructor(message: string) {
    super('NotImplemented', message);
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

/** A service the request needs is unreachable for now: the same request may succeed later. */
export class ServiceUnavailableError extends ApiError {
  readonly httpStatus = 503;
  constructor(message: string, target?: string) {
    super('ServiceUnavailable', message, target);
  }
}
