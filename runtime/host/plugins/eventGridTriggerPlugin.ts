// eventGridTrigger: the host's Event Grid webhook `POST /runtime/webhooks/eventgrid?functionName=NAME`, guarded by
// the `eventgrid_extension` system key (or the master key) in `code` or `x-functions-key`. Accepts the Event Grid
// schema (array) and CloudEvents 1.0 (single or batch), answers the subscription validation handshake and the
// CloudEvents OPTIONS abuse-protection handshake, and invokes the function once per event. Any failed event makes
// the delivery fail with 500, which Event Grid retries. As on Azure, a function-level retry policy does not apply to
// Event Grid triggers (Event Grid's redelivery is the retry): it is ignored with a warning at startup.
import type * as http from 'http';
import type { HostServices, RegisteredFunction, TriggerPlugin } from '../plugin';

export const eventGridSystemKeyName = 'eventgrid_extension';
const validationEventType = 'Microsoft.EventGrid.SubscriptionValidationEvent';
const maxBodyBytes = 1024 * 1024;

function send(res: http.ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res
    .writeHead(status, { 'Content-Type': typeof body === 'string' ? 'text/plain' : 'application/json' })
    .end(text);
}

async function readJson(
  req: http.IncomingMessage,
): Promise<{ ok: true; value: unknown } | { ok: false; status: number; error: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes)
      return { ok: false, status: 413, error: 'Event Grid delivery larger than 1 MB.' };
    chunks.push(chunk as Buffer);
  }
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
  } catch {
    return { ok: false, status: 400, error: 'The request body is not valid JSON.' };
  }
}

export class EventGridTriggerPlugin implements TriggerPlugin {
  readonly triggerTypes = ['eventGridTrigger'];
  private functions = new Map<string, RegisteredFunction>();
  private host: HostServices | undefined;
  private stopped = false;

  async start(host: HostServices, functions: RegisteredFunction[]): Promise<void> {
    this.host = host;
    this.functions = new Map(functions.map((f) => [f.name.toLowerCase(), f]));
    this.stopped = false;
    for (const fn of functions) {
      if (fn.retryOptions) {
        host.log.warn(
          `Function "${fn.name}": a retry policy is not supported for eventGridTrigger (Event Grid redelivers a failed delivery with its own retry policy); its "retry" setting is ignored.`,
        );
      }
    }
    host.addSystemRoute('/runtime/webhooks/eventgrid', (req, res, url) => this.handle(req, res, url));
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const host = this.host;
    if (!host || this.stopped) return send(res, 503);
    const presented =
      (req.headers['x-functions-key'] as string | undefined) ?? url.searchParams.get('code') ?? undefined;
    if (!host.keys.isSystemKey(eventGridSystemKeyName, presented)) return send(res, 401);
    const functionName = url.searchParams.get('functionName');
    const fn = functionName ? this.functions.get(functionName.toLowerCase()) : undefined;
    if (!fn) {
      return send(
        res,
        404,
        `No eventGridTrigger function named "${functionName ?? ''}" (query parameter functionName).`,
      );
    }
    const method = (req.method ?? '').toUpperCase();
    if (method === 'OPTIONS') {
      // CloudEvents webhook abuse protection: allow the origin that asks.
      const origin = req.headers['webhook-request-origin'];
      if (typeof origin !== 'string' || origin === '')
        return send(res, 400, 'Missing WebHook-Request-Origin header.');
      res
        .writeHead(200, {
          'WebHook-Allowed-Origin': origin,
          'WebHook-Allowed-Rate': '*',
          Allow: 'POST, OPTIONS',
        })
        .end();
      return;
    }
    if (method !== 'POST') {
      res.writeHead(405, { Allow: 'POST, OPTIONS' }).end();
      return;
    }
    const body = await readJson(req);
    if (!body.ok) return send(res, body.status, body.error);
    const contentType = String(req.headers['content-type'] ?? '').toLowerCase();
    const aegType = String(req.headers['aeg-event-type'] ?? '');
    let events: unknown[];
    if (Array.isArray(body.value)) events = body.value;
    else if (
      body.value &&
      typeof body.value === 'object' &&
      (contentType.includes('cloudevents') || 'specversion' in body.value)
    ) {
      events = [body.value];
    } else {
      return send(res, 400, 'Expected an array of Event Grid events or a CloudEvents 1.0 event.');
    }
    for (const [i, e] of events.entries()) {
      if (!e || typeof e !== 'object') return send(res, 400, `Event ${i} is not a JSON object.`);
      const ev = e as Record<string, unknown>;
      const isCloudEvent = typeof ev.specversion === 'string';
      const missing = isCloudEvent
        ? ['id', 'source', 'type'].filter((k) => typeof ev[k] !== 'string')
        : ['id', 'eventType', 'subject'].filter((k) => typeof ev[k] !== 'string');
      if (missing.length > 0)
        return send(res, 400, `Event ${i} lacks ${missing.map((m) => `"${m}"`).join(', ')}.`);
    }
    const first = events[0] as Record<string, unknown> | undefined;
    if (aegType === 'SubscriptionValidation' || first?.eventType === validationEventType) {
      const code = (first?.data as { validationCode?: unknown } | undefined)?.validationCode;
      if (typeof code !== 'string')
        return send(res, 400, 'Subscription validation event without data.validationCode.');
      host.log.info(`Event Grid subscription validated for function "${fn.name}".`);
      return send(res, 200, { validationResponse: code });
    }
    if (aegType === 'SubscriptionDeletion') return send(res, 202);

    let failed = 0;
    for (const event of events) {
      try {
        await host.invoke(fn.name, { triggerData: { json: JSON.stringify(event) } });
      } catch {
        failed++;
      }
    }
    if (failed > 0) return send(res, 500, `${failed} of ${events.length} event(s) failed.`);
    send(res, 200);
  }
}
