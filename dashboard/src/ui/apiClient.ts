// The dashboard's only door to the service: the Batch AI REST API of the same origin (`/api`), with the
// api-version, JSON bodies, ARM paging, long-running operations polled to the end, and CloudErrors as ApiError.
import { parseCloudError, describeApiError, type ApiErrorInfo } from '../model/cloudErrorText.js';
import { accumulatePages, type AccumulatedList, type ArmPage } from '../model/pageAccumulator.js';

export const apiVersion = '2018-05-01';

export class ApiError extends Error {
  constructor(readonly info: ApiErrorInfo) {
    super(describeApiError(info));
    this.name = 'ApiError';
  }
}

/** The API did not answer at all (down, restarting, no network): fetch threw before any response. */
export class ApiUnreachableError extends Error {
  constructor(readonly root: string) {
    super(`Cannot reach the API at ${root}`);
    this.name = 'ApiUnreachableError';
  }
}

/** The resource is not there (deleted, or never was): its page keeps showing, its actions must not be offered. */
export function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && error.info.status === 404;
}

export interface Scope {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
}

/** The API root: the dashboard is served at {root}/dashboard/, the API at {root}/. */
export function apiRoot(location: Location = window.location): string {
  const path = location.pathname;
  const cut = path.toLowerCase().lastIndexOf('/dashboard');
  return `${location.origin}${cut >= 0 ? path.slice(0, cut) : '/api'}`;
}

/** The bearer token of the next request (dashboard/src/ui/signIn.ts), or undefined to send none. */
export type AccessTokenProvider = () => Promise<string | undefined>;

const e = encodeURIComponent;

export function providerPath(subscriptionId: string, resourceGroup: string): string {
  return `/subscriptions/${e(subscriptionId)}/resourceGroups/${e(resourceGroup)}/providers/Microsoft.BatchAI`;
}

export function workspacePath(scope: Scope): string {
  return `${providerPath(scope.subscriptionId, scope.resourceGroup)}/workspaces/${e(scope.workspace)}`;
}

export function jobPath(scope: Scope, experiment: string, job: string): string {
  return `${workspacePath(scope)}/experiments/${e(experiment)}/jobs/${e(job)}`;
}

export function sweepPath(scope: Scope, experiment: string, sweep?: string): string {
  const base = `${workspacePath(scope)}/experiments/${e(experiment)}/sweeps`;
  return sweep === undefined ? base : `${base}/${e(sweep)}`;
}

export class ApiClient {
  constructor(
    private readonly accessToken: AccessTokenProvider,
    private readonly root: string = apiRoot(),
  ) {}

  /**
   * The URL of an API path (or of an absolute link the API gave: nextLink, Azure-AsyncOperation). Throws when URL
   * normalisation would change the path (a '..' or '.' segment, even encoded as %2e, folds into the parent: a
   * DELETE of job '..' would delete its experiment), so a request never reaches another resource than it names.
   */
  url(path: string, query: Record<string, string> = {}): string {
    const raw = path.startsWith('http') ? path : `${this.root}${path}`;
    const url = new URL(raw);
    const rawPath = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^?#]*)/i.exec(raw)?.[1] ?? '';
    if (url.pathname !== (rawPath === '' ? '/' : rawPath))
      throw new Error(`Refused to call '${rawPath}': the URL would be read as '${url.pathname}'.`);
    if (!url.searchParams.has('api-version')) url.searchParams.set('api-version', apiVersion);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return url.toString();
  }

  /** Whether a URL is on the API's own origin: the only one that gets the bearer token. */
  isApiOrigin(url: string): boolean {
    return new URL(url).origin === new URL(this.root).origin;
  }

  async request(
    method: string,
    path: string,
    body?: unknown,
    query?: Record<string, string>,
  ): Promise<Response> {
    const url = this.url(path, query);
    // Links the API answered with (nextLink, Azure-AsyncOperation) are followed, but the token goes only to the API.
    const token = this.isApiOrigin(url) ? await this.accessToken() : undefined;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch {
      // fetch throws only when no answer came ("Failed to fetch"): say which address did not answer.
      throw new ApiUnreachableError(this.isApiOrigin(url) ? this.root : new URL(url).origin);
    }
    if (!response.ok)
      throw new ApiError(parseCloudError(response.status, response.statusText, await jsonOf(response)));
    return response;
  }

  async get<T>(path: string, query?: Record<string, string>): Promise<T> {
    return (await jsonOf(await this.request('GET', path, undefined, query))) as T;
  }

  /** Every page of a list (up to `maxItems`). */
  list<T>(path: string, maxItems = 2000): Promise<AccumulatedList<T>> {
    return accumulatePages<T>(this.url(path), (url) => this.get<ArmPage<T>>(url), maxItems);
  }

  /**
   * PUT/PATCH/DELETE/POST; a 202 is followed until its operation ends or `waitMs` passes (terminating a running
   * job waits on the node: the table shows the rest). A failed operation throws its CloudError.
   */
  async change(method: string, path: string, body?: unknown, waitMs = 20_000): Promise<void> {
    const response = await this.request(method, path, body);
    // Read the answer to its end (its body is not needed): a response left unread shows as net::ERR_ABORTED.
    await response.arrayBuffer().catch(() => undefined);
    const operation = response.headers.get('Azure-AsyncOperation');
    if (response.status !== 202 || !operation) return;
    const deadline = Date.now() + waitMs;
    for (;;) {
      const status = await this.get<{ status?: string; error?: unknown }>(operation);
      const state = (status.status ?? '').toLowerCase();
      if (state === 'succeeded') return;
      if (state === 'failed' || state === 'canceled') {
        const error = status.error ?? { code: 'OperationFailed', message: `The operation ${state}.` };
        throw new ApiError(parseCloudError(200, `Operation ${state}`, { error }));
      }
      if (Date.now() > deadline) return;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function jsonOf(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
