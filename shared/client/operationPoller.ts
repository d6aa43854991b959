// Long-running operations (creating PUT, DELETE, terminate) as ARM runs them: the first answer is 200/201/204
// (done) or 202 with Azure-AsyncOperation (a status document: InProgress, Succeeded, Failed, Canceled) and/or
// Location (202 until done). The poller follows them, waiting Retry-After between polls, then fetches the result.
import { BatchAiRestError } from './batchAiRestError';
import type { AsyncOperationStatus } from './batchAiTypes';
import { parseJson, type RestPipeline, type RestResponse } from './restPipeline';

const DEFAULT_INTERVAL_MS = 1000;
const DEFAULT_TIMEOUT_MS = 30 * 60_000;

export type OperationState = 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';

export class OperationPoller<T> {
  /** The Azure-AsyncOperation URL, when the server started an asynchronous operation. */
  readonly operationUrl: string | undefined;
  readonly locationUrl: string | undefined;
  private state: OperationState;
  private retryAfterMs: number | undefined;
  private result: T | undefined;
  private lastStatus: AsyncOperationStatus | undefined;

  /**
   * @param initial the first response (already checked to be 2xx)
   * @param finalResult what the caller gets once the operation succeeded (e.g. a GET of the created resource)
   * @param immediateResult the result when the first response already finished the operation
   */
  constructor(
    private readonly pipeline: RestPipeline,
    initial: RestResponse,
    private readonly finalResult: () => Promise<T>,
    immediateResult: (response: RestResponse) => T,
  ) {
    this.operationUrl = initial.headers.get('azure-asyncoperation') ?? undefined;
    this.locationUrl = initial.headers.get('location') ?? undefined;
    this.retryAfterMs = retryAfterMs(initial.headers);
    if (initial.status === 202 && (this.operationUrl || this.locationUrl)) {
      this.state = 'InProgress';
    } else {
      this.state = 'Succeeded';
      this.result = immediateResult(initial);
    }
  }

  get status(): OperationState {
    return this.state;
  }

  isDone(): boolean {
    return this.state !== 'InProgress';
  }

  /** The status document of the last poll (Azure-AsyncOperation only). */
  get operationStatus(): AsyncOperationStatus | undefined {
    return this.lastStatus;
  }

  /** The result once the operation succeeded (after pollUntilDone). */
  getResult(): T | undefined {
    return this.result;
  }

  /** One poll: reads the operation's status and updates `status`. */
  async poll(): Promise<OperationState> {
    if (this.isDone()) return this.state;
    if (this.operationUrl) {
      const response = await this.pipeline.send('GET', this.operationUrl);
      this.retryAfterMs = retryAfterMs(response.headers) ?? this.retryAfterMs;
      const status = parseJson<AsyncOperationStatus | undefined>(response);
      if (!status || typeof status.status !== 'string') {
        throw new BatchAiRestError({
          statusCode: response.status,
          code: 'InvalidResponse',
          message: `The operation status at ${this.operationUrl} has no 'status'.`,
        });
      }
      this.lastStatus = status;
      this.state = normaliseState(status.status);
      if (this.state === 'Failed' || this.state === 'Canceled') throw this.failure(status);
      return this.state;
    }
    // Location only: 202 while running; any other 2xx is the end, an error status throws from send().
    const response = await this.pipeline.send('GET', this.locationUrl as string);
    this.retryAfterMs = retryAfterMs(response.headers) ?? this.retryAfterMs;
    if (response.status !== 202) this.state = 'Succeeded';
    return this.state;
  }

  /** Polls until the operation ends; returns the final result or throws the operation's error. */
  async pollUntilDone(): Promise<T> {
    const options = this.pipeline.options;
    const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const deadline = Date.now() + (options.pollTimeoutMs ?? DEFAULT_TIMEOUT_MS);
    while (!this.isDone()) {
      if (Date.now() > deadline) {
        throw new BatchAiRestError({
          code: 'OperationTimeout',
          message: `The operation ${this.operationUrl ?? this.locationUrl} did not finish in time.`,
        });
      }
      await sleep(options.pollIntervalMs ?? this.retryAfterMs ?? DEFAULT_INTERVAL_MS);
      await this.poll();
    }
    if (this.result === undefined) this.result = await this.finalResult();
    return this.result;
  }

  private failure(status: AsyncOperationStatus): BatchAiRestError {
    const error = status.error ?? {};
    return new BatchAiRestError({
      code: error.code ?? (this.state === 'Canceled' ? 'OperationCanceled' : 'OperationFailed'),
      message: error.message ?? `The operation ended ${this.state}.`,
      target: error.target,
      details: error.details,
    });
  }
}

function normaliseState(status: string): OperationState {
  switch (status.toLowerCase()) {
    case 'succeeded':
      return 'Succeeded';
    case 'failed':
      return 'Failed';
    case 'canceled':
    case 'cancelled':
      return 'Canceled';
    default:
      // ARM allows resource-specific in-progress states (Accepted, Creating, Deleting, ...).
      return 'InProgress';
  }
}

/** Retry-After in seconds or as an HTTP date. */
function retryAfterMs(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
