// `--timeout`/BATCHAI_REQUEST_TIMEOUT: how long one HTTP request (its headers and its whole body) may take. The
// client turns the failure into `EndpointUnreachable: Cannot reach <origin>: no answer within N s ...`. Per request:
// `job wait` and `job file stream` send many short requests, so they poll for as long as the job runs.
import type { FetchFunction } from '../shared/client/restPipeline';

/** Statuses whose Response must have no body. */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

export function timeoutMessage(seconds: number): string {
  return `no answer within ${seconds} s (the per-request timeout: raise it with --timeout or BATCHAI_REQUEST_TIMEOUT, 0 for none)`;
}

/**
 * `fetchFn` with a deadline per call: the answer is read to its end before the deadline (so a server that sends
 * headers and then stalls is caught too) and handed back as a complete Response. `seconds <= 0` disables it.
 */
export function fetchWithTimeout(fetchFn: FetchFunction, seconds: number): FetchFunction {
  if (!(seconds > 0)) return fetchFn;
  return async (input, init) => {
    const controller = new AbortController();
    // Aborts a caller's signal too: both end the request.
    init?.signal?.addEventListener('abort', () => controller.abort(init.signal?.reason), { once: true });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        const error = new Error(timeoutMessage(seconds));
        controller.abort(error);
        reject(error);
      }, seconds * 1000);
    });
    const request = (async (): Promise<Response> => {
      const response = await fetchFn(input, { ...init, signal: controller.signal });
      const body = await response.arrayBuffer();
      return new Response(NULL_BODY.has(response.status) ? null : body, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    })();
    try {
      return await Promise.race([request, deadline]);
    } finally {
      clearTimeout(timer);
      request.catch(() => undefined); // the request lost the race: its own abort error is of no interest
    }
  };
}
