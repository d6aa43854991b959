// The client's HTTP layer: URL building with api-version, auth and correlation headers, JSON bodies, and every
// non-2xx answer turned into a BatchAiRestError. No Azure SDK: the global fetch (or an injected one).
import { randomUUID } from 'crypto';
import { BatchAiRestError } from './batchAiRestError';

export const API_VERSION = '2018-05-01';

export type FetchFunction = (input: string, init?: RequestInit) => Promise<Response>;

export interface BatchAiClientOptions {
  /** Base of the API including the route prefix, e.g. http://127.0.0.1:7071/api */
  endpoint: string;
  subscriptionId: string;
  /** Extra headers on every request (e.g. x-functions-key). */
  headers?: Record<string, string>;
  /** Returns a bearer token; called before each request so it may refresh. */
  tokenProvider?: () => string | Promise<string>;
  /** Replaces the global fetch (tests, proxies). */
  fetch?: FetchFunction;
  /** Poll interval for long-running operations; default: the server's Retry-After (1 s when absent). */
  pollIntervalMs?: number;
  /** Gives up polling a long-running operation after this long. Default 30 minutes. */
  pollTimeoutMs?: number;
  /** Waits between polls (replaceable so tests can observe the intervals without waiting). */
  sleep?: (ms: number) => Promise<void>;
}

export interface RestResponse {
  status: number;
  headers: Headers;
  text: string;
}

export interface SendOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Statuses that are not errors (default: any 2xx). */
  accept?: (status: number) => boolean;
}

export class RestPipeline {
  readonly endpoint: string;
  readonly subscriptionId: string;
  private readonly fetchFn: FetchFunction;

  constructor(readonly options: BatchAiClientOptions) {
    if (!options.endpoint) throw new TypeError("BatchAiClient: 'endpoint' is required.");
    let parsed: URL;
    try {
      parsed = new URL(options.endpoint);
    } catch {
      throw new TypeError(`BatchAiClient: 'endpoint' is not a URL: '${options.endpoint}'.`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new TypeError(`BatchAiClient: 'endpoint' must be http or https: '${options.endpoint}'.`);
    if (!options.subscriptionId) throw new TypeError("BatchAiClient: 'subscriptionId' is required.");
    this.endpoint = options.endpoint.replace(/\/+$/, '');
    this.subscriptionId = options.subscriptionId;
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** An absolute URL for `path` (relative to the endpoint) with api-version and the given query. */
  url(path: string, query: Record<string, string | number | undefined> = {}): string {
    const url = new URL(`${this.endpoint}${path}`);
    url.searchParams.set('api-version', API_VERSION);
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url.toString();
  }

  /** Sends to `pathOrUrl` (a path under the endpoint, or an absolute URL the server gave: nextLink, LRO). */
  async send(method: string, pathOrUrl: string, options: SendOptions = {}): Promise<RestResponse> {
    const url = /^https?:\/\//i.test(pathOrUrl) ? pathOrUrl : this.url(pathOrUrl, options.query);
    const headers: Record<string, string> = {
      accept: 'application/json',
      'x-ms-client-request-id': randomUUID(),
      ...this.options.headers,
    };
    if (this.options.tokenProvider) headers.authorization = `Bearer ${await this.options.tokenProvider()}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    let response: Response;
    try {
      response = await this.fetchFn(url, { method, headers, body });
    } catch (error: unknown) {
      const cause =
        error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : '';
      throw new BatchAiRestError({
        code: 'EndpointUnreachable',
        message: `Cannot reach ${new URL(url).origin}: ${cause || String(error)}`,
      });
    }
    const text = await response.text();
    const accept = options.accept ?? ((status: number) => status >= 200 && status < 300);
    if (!accept(response.status)) {
      throw BatchAiRestError.fromResponse(
        response.status,
        text,
        response.headers.get('x-ms-request-id') ?? undefined,
      );
    }
    return { status: response.status, headers: response.headers, text };
  }

  async json<T>(method: string, pathOrUrl: string, options: SendOptions = {}): Promise<T> {
    return parseJson<T>(await this.send(method, pathOrUrl, options));
  }
}

export function parseJson<T>(response: RestResponse): T {
  if (!response.text) return undefined as T;
  try {
    return JSON.parse(response.text) as T;
  } catch {
    throw new BatchAiRestError({
      statusCode: response.status,
      code: 'InvalidResponse',
      message: `The server answered ${response.status} with a body that is not JSON: ${response.text.slice(0, 200)}`,
    });
  }
}
