// httpTrigger: serves the app's HTTP functions on the host's listener under the route prefix (host.json
// extensions.http.routePrefix, default "api"), with route templates, methods and authLevel keys. Requests and
// responses go through the library's RPC shapes; when the app enabled HTTP streaming (app.setup({ enableHttpStream }))
// they are proxied to the library's stream server instead, so large bodies are streamed both ways.
import * as http from 'http';
import { childTraceContext, type TraceContext } from '../../../shared/telemetry/traceContext';
import { parseHostJson } from '../hostJson';
import type { HostServices, RegisteredFunction, RpcTypedData, TriggerPlugin } from '../plugin';
import { matchRoute, parseRouteTemplate, type RouteTemplate } from '../routeTemplate';
import { writeRpcHttpResponse } from './rpcHttpResponse';

const maxBufferedBodyBytes = 100 * 1024 * 1024;

interface HttpRoute {
  fn: RegisteredFunction;
  route: RouteTemplate;
  /** Upper-case methods; empty = all methods. */
  methods: string[];
  authLevel: 'anonymous' | 'function' | 'admin';
  /** Name of the http output binding that holds the response. */
  responseBinding: string | undefined;
}

function headerRecord(req: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

async function readBody(req: http.IncomingMessage): Promise<Buffer | 'tooLarge'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBufferedBodyBytes) return 'tooLarge';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export class HttpTriggerPlugin implements TriggerPlugin {
  readonly triggerTypes = ['httpTrigger'];
  private routes: HttpRoute[] = [];
  private routePrefix = 'api';
  private host: HostServices | undefined;
  private accepting = false;

  async start(host: HostServices, functions: RegisteredFunction[]): Promise<void> {
    this.host = host;
    this.routePrefix = parseHostJson(host.hostJson).routePrefix;
    this.routes = functions
      .map((fn) => this.toRoute(fn))
      .sort((a, b) => b.route.precedence - a.route.precedence);
    host.addSystemRoute(this.routePrefix === '' ? '/' : `/${this.routePrefix}`, (req, res, url) =>
      this.handle(req, res, url),
    );
    this.accepting = true;
  }

  async stop(): Promise<void> {
    this.accepting = false;
  }

  describeRoutes(baseUrl: string): { functionName: string; methods: string[]; url: string }[] {
    const prefix = this.routePrefix === '' ? '' : `/${this.routePrefix}`;
    return this.routes.map((r) => ({
      functionName: r.fn.name,
      methods: r.methods.length > 0 ? r.methods : ['ALL'],
      url: `${baseUrl}${prefix}/${r.route.template}`,
    }));
  }

  private toRoute(fn: RegisteredFunction): HttpRoute {
    const t = fn.trigger;
    const template = typeof t.route === 'string' ? t.route : fn.name;
    const methods = Array.isArray(t.methods) ? t.methods.map((m) => String(m).toUpperCase()) : [];
    const authLevel = String(t.authLevel ?? 'function').toLowerCase();
    if (authLevel !== 'anonymous' && authLevel !== 'function' && authLevel !== 'admin') {
      throw new Error(
        `Function "${fn.name}": authLevel "${String(t.authLevel)}" is not anonymous, function or admin.`,
      );
    }
    const responseBinding = Object.entries(fn.bindings).find(
      ([, b]) => b.direction === 'out' && b.type.toLowerCase() === 'http',
    )?.[0];
    let route: RouteTemplate;
    try {
      route = parseRouteTemplate(template);
    } catch (err: unknown) {
      throw new Error(`Function "${fn.name}": ${(err as Error).message}`);
    }
    return { fn, route, methods, authLevel, responseBinding };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const host = this.host;
    if (!host || !this.accepting) {
      res.writeHead(503).end();
      return;
    }
    const rest = this.routePrefix === '' ? url.pathname : url.pathname.slice(this.routePrefix.length + 1);
    const method = (req.method ?? 'GET').toUpperCase();
    let chosen: { route: HttpRoute; params: Record<string, string> } | undefined;
    for (const r of this.routes) {
      if (r.methods.length > 0 && !r.methods.includes(method)) continue;
      const params = matchRoute(r.route, rest);
      if (params) {
        chosen = { route: r, params };
        break;
      }
    }
    if (!chosen) {
      // As on Azure: a known route with a method it does not accept (HEAD on a GET route too) is a 404, not a 405
      // (azure-functions-host issues #10098, #11625).
      res.writeHead(404).end();
      return;
    }
    const { route, params } = chosen;
    const presented =
      (req.headers['x-functions-key'] as string | undefined) ?? url.searchParams.get('code') ?? undefined;
    const authorized =
      route.authLevel === 'anonymous' ||
      (route.authLevel === 'function' && host.keys.isFunctionKey(presented)) ||
      (route.authLevel === 'admin' && host.keys.isMasterKey(presented));
    if (!authorized) {
      res.writeHead(401).end();
      return;
    }
    const headers = headerRecord(req);
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) if (!(k in query)) query[k] = v;
    const triggerMetadata: Record<string, RpcTypedData> = {
      Query: { json: JSON.stringify(query) },
      Headers: { json: JSON.stringify(headers) },
    };
    for (const [k, v] of Object.entries(params)) triggerMetadata[k] = { string: v };
    // As the Functions host does: the invocation is a child span of the caller's traceparent (a new trace without one).
    const traceContext = childTraceContext({
      traceParent: headers.traceparent,
      traceState: headers.tracestate,
    });

    if (host.capabilities.HttpUri) {
      await this.invokeStreaming(
        host,
        route,
        req,
        res,
        url,
        headers,
        triggerMetadata,
        params,
        query,
        traceContext,
      );
      return;
    }

    const body = await readBody(req);
    if (body === 'tooLarge') {
      res.writeHead(413).end();
      return;
    }
    const triggerData: RpcTypedData = {
      http: {
        method,
        url: url.toString(),
        headers,
        body: { bytes: body },
        params,
        query,
      },
    };
    let result;
    try {
      result = await host.invoke(route.fn.name, { triggerData, triggerMetadata, traceContext });
    } catch {
      // Details are in the host log; like Azure, the client gets a bare 500.
      if (!res.headersSent) res.writeHead(500).end();
      return;
    }
    const response =
      route.responseBinding === '$return'
        ? result.returnValue
        : route.responseBinding && result.outputData[route.responseBinding];
    writeRpcHttpResponse(res, response);
  }

  /** Streaming mode: the library's proxy server receives the raw request and answers it; we relay both ways. */
  private async invokeStreaming(
    host: HostServices,
    route: HttpRoute,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    headers: Record<string, string>,
    triggerMetadata: Record<string, RpcTypedData>,
    params: Record<string, string>,
    query: Record<string, string>,
    traceContext: TraceContext,
  ): Promise<void> {
    const { randomUUID } = await import('crypto');
    const invocationId = randomUUID();
    const target = new URL(url.pathname + url.search, host.capabilities.HttpUri);
    const proxyReq = http.request(target, {
      method: req.method,
      headers: {
        ...req.headers,
        'x-ms-invocation-id': invocationId,
        'x-forwarded-host': req.headers.host ?? url.host,
        'x-forwarded-proto': 'http',
      },
    });
    const responded = new Promise<void>((resolve) => {
      proxyReq.on('response', (proxyRes) => {
        res.writeHead(proxyRes.statusCode ?? 500, proxyRes.headers);
        proxyRes.pipe(res);
        proxyRes.on('end', () => resolve());
        proxyRes.on('error', () => resolve());
      });
      proxyReq.on('error', () => resolve());
    });
    req.pipe(proxyReq);
    const triggerData: RpcTypedData = {
      http: { method: req.method ?? 'GET', url: url.toString(), headers, params, query },
    };
    try {
      await host.invoke(route.fn.name, { triggerData, triggerMetadata, invocationId, traceContext });
    } catch {
      proxyReq.destroy();
      if (!res.headersSent) res.writeHead(500).end();
      return;
    }
    await responded;
  }
}
