// The one place where errors become HTTP responses: typed API errors map to their status and an ARM CloudError
// body; anything else is an internal error whose details go to the log, not to the caller.
import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { isApiError } from '../../shared/domain/errors';

export function cloudErrorResponse(
  error: unknown,
  context: InvocationContext,
  headers: Record<string, string>,
): HttpResponseInit {
  if (isApiError(error)) {
    return {
      status: error.httpStatus,
      headers,
      jsonBody: {
        error: { code: error.code, message: error.message, target: error.target, details: error.details },
      },
    };
  }
  const described =
    error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error);
  context.error(`Internal error (request ${headers['x-ms-request-id']}): ${described}`);
  return {
    status: 500,
    headers,
    jsonBody: {
      error: {
        code: 'InternalServerError',
        message: `An internal error occurred; request id ${headers['x-ms-request-id']}.`,
        details: [],
      },
    },
  };
}
