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

/**
 * OperationNotAllowed (409) is the compute provider's answer to a conflict that passes: "VM marked for deletion", an
 * operation in progress on the VM or set, a state the VM is leaving. The same code also refuses a request over a
 * quota ("... results in exceeding approved ... quota"), which does not pass: that one stays a refusal.
 */
function passingConflict(code: string, message: string): boolean {
  return code === 'OperationNotAllowed' && !/quota/i.test(message);
}

/** Whether `error` is a conflict the same request gets past later (retried on the next pass, never recorded). */
export function isTransientConflict(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  const message = String(e?.message ?? '');
  const lro = /^The long-running operation has failed\. ([A-Za-z]+)\. ([\s\S]*)$/.exec(message);
  if (lro) return passingConflict(lro[1], lro[2]);
  return typeof e?.code === 'string' && passingConflict(e.code, message);
}

export function armRefusalOf(error: unknown): ArmRefusal | undefined {
  const e = error as { code?: unknown; message?: unknown; statusCode?: unknown } | undefined;
  if (isTransientConflict(error)) return undefined;
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
