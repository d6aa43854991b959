// Function-level retry policies (fixedDelay / exponentialBackoff, maxRetryCount; -1 = forever), applied by the
// trigger plugins whose triggers Azure retries this way (timer). Queue triggers use the dequeue count; Event Grid
// triggers rely on Event Grid's redelivery (Azure does not apply a function retry policy to them).
import type {
  HostServices,
  InvocationInput,
  InvocationResult,
  RegisteredFunction,
  RetryOptions,
} from './plugin';
import { parseTimeSpan } from './timeSpan';

/** Milliseconds of a retry interval as the library sends it (`{ seconds }`), a number (ms) or a TimeSpan string. */
export function retryIntervalMs(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return parseTimeSpan(value, field);
  if (typeof value === 'object') {
    const { seconds, nanos } = value as { seconds?: unknown; nanos?: unknown };
    const s = typeof seconds === 'number' ? seconds : typeof seconds === 'string' ? Number(seconds) : 0;
    const n = typeof nanos === 'number' ? nanos : 0;
    if (Number.isFinite(s)) return s * 1000 + n / 1e6;
  }
  throw new Error(`${field}: expected a duration ({ seconds }, milliseconds or "hh:mm:ss").`);
}

/** Delay before retry number `retry` (1-based). */
export function retryDelayMs(options: RetryOptions, retry: number, functionName: string): number {
  const where = `Function "${functionName}" retry`;
  if (options.strategy === 'fixedDelay') {
    const d = retryIntervalMs(options.delayInterval, `${where}.delayInterval`);
    if (d === undefined) throw new Error(`${where}.delayInterval is required for the fixedDelay strategy.`);
    return d;
  }
  const min = retryIntervalMs(options.minimumInterval, `${where}.minimumInterval`);
  const max = retryIntervalMs(options.maximumInterval, `${where}.maximumInterval`);
  if (min === undefined || max === undefined) {
    throw new Error(`${where}: minimumInterval and maximumInterval are required for exponentialBackoff.`);
  }
  return Math.min(min * 2 ** (retry - 1), max);
}

/** Invokes with the function's retry policy; gives up early when `shouldStop()` turns true (host stopping). */
export async function invokeWithRetry(
  host: HostServices,
  fn: RegisteredFunction,
  input: InvocationInput,
  shouldStop: () => boolean,
  sleep: (ms: number) => Promise<void>,
): Promise<InvocationResult> {
  const options = fn.retryOptions;
  let retry = 0;
  for (;;) {
    try {
      return await host.invoke(fn.name, {
        ...input,
        invocationId: retry === 0 ? input.invocationId : undefined,
        retryContext: options ? { retryCount: retry, maxRetryCount: options.maxRetryCount } : undefined,
      });
    } catch (err: unknown) {
      if (!options || (options.maxRetryCount !== -1 && retry >= options.maxRetryCount) || shouldStop())
        throw err;
      retry++;
      const delay = retryDelayMs(options, retry, fn.name);
      host.log.warn(
        `Function "${fn.name}" failed; retry ${retry} of ${options.maxRetryCount} in ${delay} ms.`,
      );
      await sleep(delay);
      if (shouldStop()) throw err;
    }
  }
}
