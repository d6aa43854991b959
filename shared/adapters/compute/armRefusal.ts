// Resource Manager's refusals, told apart from transient failures: a 4xx other than timeout and throttling, or a
// failed long-running operation (quota, capacity, a bad image or subnet). Refusals are recorded on the resource and
// not retried; anything else is thrown again so the caller retries.
export interface ArmRefusal {
  code: string;
  message: string;
}

/** Codes Resource Manager uses for a failure that the same request can get past later. */
const transientCodes = new Set([
  'OperationPreempted',
  'InternalExecutionError',
  'RetryableError',
  'InternalServerError',
  'ServiceUnavailable',
  'TooManyRequests',
  'Conflict', // another operation on the resource is in progress
  'AnotherOperationInProgress',
]);

export function armRefusalOf(error: unknown): ArmRefusal | undefined {
  const e = error as { code?: unknown; message?: unknown; statusCode?: unknown } | undefined;
  // A failed long-running operation: core-lro reports "The long-running operation has failed. CODE. MESSAGE".
  const lro = /^The long-running operation has failed\. ([A-Za-z]+)\. ([\s\S]*)$/.exec(
    String(e?.message ?? ''),
  );
  if (lro) return transientCodes.has(lro[1]) ? undefined : { code: lro[1], message: lro[2] };
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const status = Number(e?.statusCode ?? 0);
  if (code && transientCodes.has(code)) return undefined;
  if (code && status >= 400 && status < 500 && status !== 408 && status !== 429) {
    return { code, message: String(e?.message ?? code) };
  }
  return undefined;
}
