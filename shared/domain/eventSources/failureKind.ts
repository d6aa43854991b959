// The retry decision for a job an event source could not create: bad input or a missing parent will fail the
// same way every time (set it aside with the reason), anything else may pass on a retry (Cosmos unreachable,
// an ETag race), so the trigger throws and the host retries.
import { isApiError, type ErrorDetail } from '../errors';

/** The reason when `error` is permanent; undefined when a retry may succeed. */
export function permanentFailure(error: unknown): ErrorDetail | undefined {
  if (!isApiError(error)) return undefined;
  const transient = error.httpStatus === 412 || (error.httpStatus >= 500 && error.httpStatus !== 501);
  if (transient) return undefined;
  return { code: error.code, message: error.message, ...(error.target ? { target: error.target } : {}) };
}
