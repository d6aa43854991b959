// Delay before the next attempt of a task with RetryOptions, computed as DurableTask.Core's RetryInterceptor does:
// firstRetryInterval * backoffCoefficient^(attempt-1), capped by maxRetryInterval; zero once retryTimeout expired.
import type { RetryOptionsWire } from './orchestratorAction';

/**
 * @param failedAttempt 1-based number of the attempt that just failed.
 * @returns the delay in ms, or undefined when no further attempt may run (attempts exhausted or timeout expired).
 */
export function nextRetryDelayMs(
  options: RetryOptionsWire,
  failedAttempt: number,
  firstAttemptAt: number,
  now: number,
): number | undefined {
  if (failedAttempt >= options.maxNumberOfAttempts) return undefined;
  const timeout = options.retryTimeoutInMilliseconds;
  if (
    typeof timeout === 'number' &&
    timeout > 0 &&
    timeout < Number.MAX_SAFE_INTEGER &&
    now >= firstAttemptAt + timeout
  ) {
    return undefined;
  }
  const coefficient =
    typeof options.backoffCoefficient === 'number' && options.backoffCoefficient > 0
      ? options.backoffCoefficient
      : 1;
  const delay = options.firstRetryIntervalInMilliseconds * Math.pow(coefficient, failedAttempt - 1);
  const max = options.maxRetryIntervalInMilliseconds;
  return typeof max === 'number' && max > 0 && delay > max ? max : delay;
}

export function validateRetryOptions(value: unknown, field: string): RetryOptionsWire {
  if (typeof value !== 'object' || value === null) throw new Error(`${field}: expected RetryOptions`);
  const options = value as Record<string, unknown>;
  const first = options.firstRetryIntervalInMilliseconds;
  const max = options.maxNumberOfAttempts;
  if (typeof first !== 'number' || !(first > 0)) {
    throw new Error(`${field}.firstRetryIntervalInMilliseconds: expected a number > 0`);
  }
  // maxNumberOfAttempts < 1 is accepted (the library accepts it): no attempt runs and the task fails (see
  // noAttemptFailure), as DurableTask.Core's RetryInterceptor runs no attempt and throws.
  if (typeof max !== 'number' || Number.isNaN(max))
    throw new Error(`${field}.maxNumberOfAttempts: expected a number`);
  return value as RetryOptionsWire;
}

/** The failure of a task whose RetryOptions allow no attempt at all (maxNumberOfAttempts < 1). */
export function noAttemptFailure(what: string, options: RetryOptionsWire): string | undefined {
  return options.maxNumberOfAttempts >= 1
    ? undefined
    : `${what} was not run: its RetryOptions.maxNumberOfAttempts is ${options.maxNumberOfAttempts} ` +
        '(at least 1 attempt is needed)';
}
