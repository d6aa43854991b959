// A small HTTP client for the resource API tests: api-version added, JSON in and out, LRO polling to the end.
export const API = '2018-05-01';
export const SUB = '00000000-0000-0000-0000-000000000000';

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  body: Record<string, unknown>;
}

export class ApiClient {
  /** Every response text seen, for the "no secret in any response" check. */
  readonly transcript: string[] = [];

  /** `base`: the API's base URL, or where to read it (a test host restarted on another port). */
  constructor(private readonly base: string | (() => string)) {}

  get baseUrl(): string {
    return typeof this.base === 'string' ? this.base : this.base();
  }

  url(path: string, query: Record<string, string> = {}): string {
    const url = new URL(`${this.baseUrl}/api${path}`);
    if (!('api-version' in query)) url.searchParams.set('api-version', API);
    for (const [k, v] of Object.entries(query)) if (v !== '') url.searchParams.set(k, v);
    return url.toString();
  }

  async send(
    method: string,
    urlOrPath: string,
    body?: unknown,
    headers: Record<string, string> = {},
    rawBody?: string,
  ): Promise<ApiResponse> {
    const url = urlOrPath.startsWith('http') ? urlOrPath : this.url(urlOrPath);
    const response = await fetch(url, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: rawBody ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await response.text();
    this.transcript.push(text, JSON.stringify([...response.headers.entries()]));
    let parsed: Record<string, unknown> = {};
    if (text) parsed = JSON.parse(text) as Record<string, unknown>;
    return { status: response.status, headers: response.headers, text, body: parsed };
  }

  /** Follows Azure-AsyncOperation until the operation is no longer InProgress; returns its final status body. */
  async waitForOperation(response: ApiResponse): Promise<Record<string, unknown>> {
    const statusUrl = response.headers.get('azure-asyncoperation');
    if (!statusUrl)
      throw new Error(`No Azure-AsyncOperation header (status ${response.status}): ${response.text}`);
    // Generous: a cascade waits for running jobs on local nodes to stop, slow on a loaded 2-core CI machine.
    const deadline = Date.now() + 120_000;
    for (;;) {
      const status = await this.send('GET', statusUrl);
      if (status.body.status !== 'InProgress') return status.body;
      if (Date.now() > deadline) throw new Error(`Operation still InProgress: ${status.text}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** PUT then wait for the operation (when one was started). */
  async put(path: string, body?: unknown): Promise<ApiResponse> {
    const response = await this.send('PUT', path, body);
    if (response.status === 202) {
      const final = await this.waitForOperation(response);
      if (final.status !== 'Succeeded') throw new Error(`PUT ${path} failed: ${JSON.stringify(final)}`);
    } else if (response.status !== 200) {
      throw new Error(`PUT ${path} answered ${response.status}: ${response.text}`);
    }
    return response;
  }
}

export function workspacePath(rg: string, ws: string): string {
  return `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.BatchAI/workspaces/${ws}`;
}
