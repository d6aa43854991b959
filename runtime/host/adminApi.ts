// The host's admin endpoints (master key required, as in Azure): `GET /admin/host/status` and
// `POST /admin/functions/{name}` with `{ "input": ... }` to run a non-HTTP function by hand (202 Accepted).
import type * as http from 'http';
import type { HostServices, RpcTypedData } from './plugin';

export class AdminApi {
  constructor(private readonly host: HostServices) {}

  mount(): void {
    this.host.addSystemRoute('/admin', (req, res, url) => this.handle(req, res, url));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const presented =
      (req.headers['x-functions-key'] as string | undefined) ?? url.searchParams.get('code') ?? undefined;
    if (!this.host.keys.isMasterKey(presented)) {
      res.writeHead(401).end();
      return;
    }
    if (url.pathname.toLowerCase() === '/admin/host/status' && req.method === 'GET') {
      res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ state: 'Running', version: 'local' }));
      return;
    }
    const m = /^\/admin\/functions\/([^/]+)$/i.exec(url.pathname);
    if (m && req.method === 'POST') {
      const fn = this.host.functions.get(decodeURIComponent(m[1]));
      if (!fn) {
        res.writeHead(404).end();
        return;
      }
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      let input: unknown = undefined;
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        input = text ? (JSON.parse(text) as { input?: unknown }).input : undefined;
      } catch {
        res.writeHead(400, { 'Content-Type': 'text/plain' }).end('Body must be JSON: { "input": ... }.');
        return;
      }
      const triggerData: RpcTypedData =
        fn.trigger.type.toLowerCase() === 'timertrigger'
          ? {
              json: JSON.stringify({
                Schedule: { AdjustForDST: true },
                ScheduleStatus: null,
                IsPastDue: false,
              }),
            }
          : typeof input === 'string'
            ? { string: input }
            : { json: JSON.stringify(input ?? null) };
      this.host.invoke(fn.name, { triggerData }).catch(() => undefined);
      res.writeHead(202).end();
      return;
    }
    res.writeHead(404).end();
  }
}
