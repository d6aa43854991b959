// The Durable Functions HTTP API (the extension's HttpApiHandler routes) served on the host's listener under
// /runtime/webhooks/durabletask: used by df.getClient (rpcBaseUrl) and by the management URLs of
// createCheckStatusResponse. Same routes, status codes and payloads as the extension, and the same access rule: a
// request presents the `durabletask_extension` system key or the master key (query `code` or header
// `x-functions-key`), else 401. The URLs handed to the app's durable client carry `code=<system key>`, as on Azure.
import type * as http from 'http';
import { parseTraceParent, type TraceContext } from '../../shared/telemetry/traceContext';
import type { HostKeys } from '../host/plugin';
import { ClientError, type DurableEngine, type InstanceQuery } from './durableEngine';
import type { RuntimeStatus } from './engineState';

export const webhookPath = '/runtime/webhooks/durabletask';
/** The extension's system key name (the master key is accepted too). */
export const durableSystemKeyName = 'durabletask_extension';
const runtimeStatuses: ReadonlySet<string> = new Set([
  'Pending',
  'Running',
  'Completed',
  'ContinuedAsNew',
  'Failed',
  'Canceled',
  'Terminated',
  'Suspended',
]);

export interface ManagementUrls {
  id: string;
  statusQueryGetUri: string;
  sendEventPostUri: string;
  terminatePostUri: string;
  rewindPostUri: string;
  purgeHistoryDeleteUri: string;
  restartPostUri: string;
  suspendPostUri: string;
  resumePostUri: string;
}

/** The query every management URL carries: task hub, connection and, when given, the system key (`code`). */
function requiredQuery(hubName: string, systemKey: string | undefined): string {
  const query = `taskHub=${encodeURIComponent(hubName)}&connection=Storage`;
  return systemKey ? `${query}&code=${encodeURIComponent(systemKey)}` : query;
}

/**
 * The management URLs of an instance. With `systemKey` they carry `code=<key>` (as the extension's do): hand them
 * only to callers allowed to manage every instance of the hub.
 */
export function managementUrls(
  baseUrl: string,
  hubName: string,
  instanceId: string,
  systemKey?: string,
): ManagementUrls {
  const prefix = `${baseUrl}${webhookPath}/instances/${encodeURIComponent(instanceId)}`;
  const query = requiredQuery(hubName, systemKey);
  return {
    id: instanceId,
    statusQueryGetUri: `${prefix}?${query}`,
    sendEventPostUri: `${prefix}/raiseEvent/{eventName}?${query}`,
    terminatePostUri: `${prefix}/terminate?reason={text}&${query}`,
    rewindPostUri: `${prefix}/rewind?reason={text}&${query}`,
    purgeHistoryDeleteUri: `${prefix}?${query}`,
    restartPostUri: `${prefix}/restart?${query}`,
    suspendPostUri: `${prefix}/suspend?reason={text}&${query}`,
    resumePostUri: `${prefix}/resume?reason={text}&${query}`,
  };
}

/**
 * The durableClient input binding's data (OrchestrationClientInputData). With `systemKey`, the creation and
 * management URLs and `requiredQueryStringParameters` carry `code=<key>`, as on Azure. `rpcBaseUrl` cannot carry a
 * query (the client resolves paths against it): its calls are served in process with the key (plugin.ts).
 */
export function durableClientData(
  baseUrl: string,
  hubName: string,
  systemKey?: string,
): Record<string, unknown> {
  const base = `${baseUrl}${webhookPath}`;
  const query = requiredQuery(hubName, systemKey);
  return {
    taskHubName: hubName,
    creationUrls: {
      createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?${query}`,
      createAndWaitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${query}`,
    },
    managementUrls: managementUrls(baseUrl, hubName, 'INSTANCEID', systemKey),
    baseUrl: base,
    requiredQueryStringParameters: query,
    rpcBaseUrl: `${base}/`,
  };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(
  res: http.ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
}

/** Body text as JSON text: empty means no value; anything else must parse. */
function jsonBody(text: string, field: string): string | undefined {
  if (text.length === 0) return undefined;
  try {
    JSON.parse(text);
  } catch {
    throw new ClientError(400, `${field}: invalid JSON content`);
  }
  return text;
}

function parseDate(value: string | null, field: string): Date | undefined {
  if (value === null || value === '') return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new ClientError(400, `${field}: '${value}' is not a date`);
  return date;
}

function parseQuery(url: URL): InstanceQuery {
  const statuses = url.searchParams
    .getAll('runtimeStatus')
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
  for (const s of statuses)
    if (!runtimeStatuses.has(s)) throw new ClientError(400, `runtimeStatus: unknown status '${s}'`);
  return {
    runtimeStatus: statuses as RuntimeStatus[],
    createdTimeFrom: parseDate(url.searchParams.get('createdTimeFrom'), 'createdTimeFrom'),
    createdTimeTo: parseDate(url.searchParams.get('createdTimeTo'), 'createdTimeTo'),
    instanceIdPrefix: url.searchParams.get('instanceIdPrefix') ?? undefined,
  };
}

const flag = (url: URL, name: string): boolean | undefined => {
  const v = url.searchParams.get(name);
  return v === null ? undefined : v.toLowerCase() === 'true';
};

/**
 * The caller's W3C trace context: the durable-functions client sends `traceparent` when the starter runs inside an
 * OpenTelemetry context (see shared/telemetry/invocationTracing.ts), as the extension's distributed tracing expects.
 */
function callerTraceContext(req: http.IncomingMessage): TraceContext | undefined {
  const traceParent = req.headers.traceparent;
  if (typeof traceParent !== 'string' || !parseTraceParent(traceParent)) return undefined;
  const traceState = req.headers.tracestate;
  return typeof traceState === 'string' && traceState !== '' ? { traceParent, traceState } : { traceParent };
}

/** The key a request presents: header `x-functions-key`, else query parameter `code`. */
function presentedKey(req: http.IncomingMessage, url: URL): string | undefined {
  const header = req.headers['x-functions-key'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  return fromHeader ?? url.searchParams.get('code') ?? undefined;
}

/** The handler of the routes under webhookPath: 401 unless the request presents the system key or the master key. */
export function createManagementHandler(
  engine: DurableEngine,
  hubName: string,
  keys: Pick<HostKeys, 'isSystemKey' | 'systemKey'>,
) {
  return async (req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> => {
    if (!keys.isSystemKey(durableSystemKeyName, presentedKey(req, url))) return send(res, 401);
    try {
      await route(engine, hubName, keys.systemKey(durableSystemKeyName), req, res, url);
    } catch (error: unknown) {
      if (error instanceof ClientError) send(res, error.status, { Message: error.message });
      else
        send(res, 500, {
          Message: 'Something went wrong while processing your request',
          ExceptionMessage: String(error),
        });
    }
  };
}

async function route(
  engine: DurableEngine,
  hubName: string,
  systemKey: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
): Promise<void> {
  const rest = url.pathname.startsWith(webhookPath) ? url.pathname.slice(webhookPath.length) : url.pathname;
  const parts = rest
    .split('/')
    .filter((p) => p.length > 0)
    .map(decodeURIComponent);
  const method = req.method ?? 'GET';
  const origin = `${url.protocol}//${url.host}`;
  const [controller, a, b, c] = parts;

  if (controller === 'orchestrators' && a && method === 'POST') {
    const input = jsonBody(await readBody(req), 'input');
    const version = url.searchParams.get('version') ?? undefined;
    const id = await engine.startNew(a, b, input, callerTraceContext(req), version);
    // The caller presented the system key or the master key: the links carry the system key, as the extension's.
    const links = managementUrls(origin, hubName, id, systemKey);
    return send(res, 202, links, { Location: links.statusQueryGetUri, 'Retry-After': '10' });
  }
  if (controller === 'entities' && a && b !== undefined) {
    const key = b === '$' ? '' : b;
    if (method === 'GET') {
      const entity = await engine.readEntity(a, key);
      return entity.exists ? send(res, 200, entity.state) : send(res, 404);
    }
    if (method === 'POST' || method === 'DELETE') {
      const operation = method === 'DELETE' ? 'delete' : (url.searchParams.get('op') ?? '');
      const body = await readBody(req);
      const contentType = req.headers['content-type'] ?? '';
      const input =
        body.length === 0
          ? undefined
          : contentType.includes('json')
            ? jsonBody(body, 'operation input')
            : JSON.stringify(body);
      await engine.signalEntity(a, key, operation, input, callerTraceContext(req));
      return send(res, 202);
    }
  }
  if (controller === 'instances') {
    if (!a) {
      if (method === 'GET') {
        const top = Number(url.searchParams.get('top') ?? '100');
        if (!Number.isInteger(top) || top < 1) throw new ClientError(400, 'top: expected a positive integer');
        const token = req.headers['x-ms-continuation-token'];
        const page = await engine.list(
          parseQuery(url),
          top,
          typeof token === 'string' && token.length > 0 ? token : undefined,
          flag(url, 'showInput') !== false,
        );
        return send(res, 200, page.items, page.next ? { 'x-ms-continuation-token': page.next } : {});
      }
      if (method === 'DELETE') {
        const query = parseQuery(url);
        if (!query.createdTimeFrom)
          throw new ClientError(400, "Please provide value for 'createdTimeFrom' parameter.");
        const deleted = await engine.purgeBy({ ...query, createdTimeTo: query.createdTimeTo ?? new Date() });
        return deleted === 0 ? send(res, 404) : send(res, 200, { instancesDeleted: deleted });
      }
      return send(res, 404);
    }
    if (!b) {
      if (method === 'GET') {
        const status = await engine.statusOf(a, {
          showHistory: flag(url, 'showHistory'),
          showHistoryOutput: flag(url, 'showHistoryOutput'),
          showInput: flag(url, 'showInput'),
        });
        if (!status) return send(res, 404);
        const running = ['Running', 'Pending', 'ContinuedAsNew', 'Suspended'].includes(status.runtimeStatus);
        const failedAs500 =
          status.runtimeStatus === 'Failed' && flag(url, 'returnInternalServerErrorOnFailure') === true;
        if (running) return send(res, 202, status, { Location: url.href, 'Retry-After': '5' });
        return send(res, failedAs500 ? 500 : 200, status);
      }
      if (method === 'DELETE') {
        const deleted = await engine.purge(a);
        return send(res, 200, { instancesDeleted: deleted });
      }
      return send(res, 404);
    }
    if (method !== 'POST') return send(res, 404);
    const reason = url.searchParams.get('reason') ?? undefined;
    switch (b.toLowerCase()) {
      case 'raiseevent': {
        if (!c) throw new ClientError(400, 'eventName: missing from the URL');
        const data = jsonBody(await readBody(req), 'event data');
        await engine.raiseEvent(a, c, data);
        return send(res, 202);
      }
      case 'terminate':
        await engine.terminate(a, reason);
        return send(res, 202);
      case 'suspend':
        await engine.suspend(a, reason);
        return send(res, 202);
      case 'resume':
        await engine.resume(a, reason);
        return send(res, 202);
      case 'rewind':
        await engine.rewind(a, reason);
        return send(res, 202);
      default:
        return send(res, 404);
    }
  }
  return send(res, 404);
}
