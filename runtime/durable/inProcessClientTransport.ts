// The durable client of the app's functions calls the host's Durable HTTP API (start, raise event, status) with the
// axios that `durable-functions` bundles. Inside the host process those calls go to the host itself: this transport
// serves them with the same management handler, in process, instead of over loopback HTTP (a request costs a
// socket write and an HTTP parse on both sides, several per job). Same handler, same status codes and bodies; any
// other URL goes out over the network as before. On Azure the Functions host serves these calls; nothing changes.
// The handler asks for a key; the client's rpcBaseUrl calls carry none (on Azure that endpoint is the extension's
// local RPC listener), so a request served here that presents no key is given the host's system key.
import * as http from 'http';
import * as path from 'path';
import { Readable } from 'stream';

/** What the management handler needs of a request and response (see managementApi.ts). */
export type ManagementHandler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
) => Promise<void> | void;

/** The slice of an axios 1.x request config and response that an adapter sees and returns. */
interface AdapterConfig {
  url?: string;
  baseURL?: string;
  method?: string;
  data?: unknown;
  headers?: { toJSON?: () => Record<string, unknown> } & Record<string, unknown>;
  validateStatus?: ((status: number) => boolean) | null;
}
interface AdapterResponse {
  data: string;
  status: number;
  statusText: string;
  headers: Record<string, string>;
  config: AdapterConfig;
  request: object;
}
type Adapter = (config: AdapterConfig) => Promise<AdapterResponse>;
interface AxiosStatic {
  defaults: { adapter?: unknown };
  getAdapter(adapters: unknown, config?: AdapterConfig): Adapter;
  AxiosError: new (
    message: string,
    code?: string,
    config?: AdapterConfig,
    request?: object,
    response?: AdapterResponse,
  ) => Error;
}

/** The axios instance `durable-functions` resolves (it bundles its own version). */
function durableAxios(): AxiosStatic {
  const durableDir = path.dirname(require.resolve('durable-functions/package.json'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(require.resolve('axios', { paths: [durableDir] })) as AxiosStatic;
}

/** Headers of an axios config as lower-cased strings (what a Node request would carry). */
function headersOf(config: AdapterConfig): Record<string, string> {
  const raw = (config.headers?.toJSON ? config.headers.toJSON() : config.headers) ?? {};
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined && value !== null && typeof value !== 'function' && typeof value !== 'object')
      out[name.toLowerCase()] = String(value);
  }
  return out;
}

/** Runs the handler on an in-memory request and collects what it writes. */
async function serve(
  handler: ManagementHandler,
  config: AdapterConfig,
  url: URL,
  key: string | undefined,
): Promise<AdapterResponse> {
  const body =
    config.data === undefined || config.data === null
      ? Buffer.alloc(0)
      : Buffer.from(typeof config.data === 'string' ? config.data : JSON.stringify(config.data));
  const req = Readable.from(body.length > 0 ? [body] : []) as unknown as http.IncomingMessage;
  const requestHeaders = headersOf(config);
  if (key !== undefined && requestHeaders['x-functions-key'] === undefined && !url.searchParams.has('code'))
    requestHeaders['x-functions-key'] = key;
  Object.assign(req, {
    method: (config.method ?? 'get').toUpperCase(),
    url: url.pathname + url.search,
    headers: requestHeaders,
  });
  let status = 200;
  let headers: Record<string, string> = {};
  const chunks: string[] = [];
  const finished = new Promise<void>((resolve) => {
    const res = {
      headersSent: false,
      writeHead(code: number, fields?: Record<string, string>) {
        status = code;
        headers = Object.fromEntries(Object.entries(fields ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
        this.headersSent = true;
        return this;
      },
      end(text?: string) {
        if (text) chunks.push(text);
        resolve();
        return this;
      },
    };
    void Promise.resolve(handler(req, res as unknown as http.ServerResponse, url)).then(
      () => resolve(),
      () => {
        status = 500;
        resolve();
      },
    );
  });
  await finished;
  return {
    data: chunks.join(''),
    status,
    statusText: http.STATUS_CODES[status] ?? '',
    headers,
    config,
    request: {},
  };
}

/** Management handlers by host origin: one process may run several hosts (tests do). */
const handlers = new Map<string, { webhookPath: string; handler: ManagementHandler; key?: string }>();
let installed: { axios: AxiosStatic; original: unknown } | undefined;

function install(): void {
  const axios = durableAxios();
  const original = axios.defaults.adapter;
  const adapter: Adapter = async (config) => {
    const url = new URL(config.url ?? '', config.baseURL ?? undefined);
    const local = handlers.get(url.origin);
    if (!local || !url.pathname.startsWith(local.webhookPath)) {
      return axios.getAdapter(original, config)(config);
    }
    const response = await serve(local.handler, config, url, local.key);
    const valid = config.validateStatus ? config.validateStatus(response.status) : true;
    if (valid) return response;
    throw new axios.AxiosError(
      `Request failed with status code ${response.status}`,
      response.status >= 500 ? 'ERR_BAD_RESPONSE' : 'ERR_BAD_REQUEST',
      config,
      {},
      response,
    );
  };
  axios.defaults.adapter = adapter;
  installed = { axios, original };
}

/**
 * Serves durable client requests to `baseUrl` + `webhookPath` in process; returns the function that stops it.
 * Other requests of that axios keep its default transport. `key`, when given, is presented (header
 * `x-functions-key`) by the requests that present none: only this process's own durable client reaches here.
 */
export function serveDurableClientInProcess(
  baseUrl: string,
  webhookPath: string,
  handler: ManagementHandler,
  key?: string,
): () => void {
  if (!installed) install();
  const origin = new URL(baseUrl).origin;
  const entry = { webhookPath, handler, key };
  handlers.set(origin, entry);
  return () => {
    if (handlers.get(origin) === entry) handlers.delete(origin);
    if (handlers.size === 0 && installed) {
      installed.axios.defaults.adapter = installed.original;
      installed = undefined;
    }
  };
}
