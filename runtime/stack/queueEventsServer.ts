// Runs in the Azurite child: tells local subscribers (the local Functions host) at once when any process put a
// message on a queue, so their queue triggers need not wait for their polling backoff. Node's
// `http.server.response.finish` diagnostics channel reports each request Azurite's queue server answered; a `201` to
// `POST /<account>/<queue>/messages` is a put. `GET /queue-messages` streams one `<queueName>\n` line per put.
import * as diagnostics from 'diagnostics_channel';
import * as http from 'http';
import type { AddressInfo } from 'net';

export const queueEventsPath = '/queue-messages';

/** A subscriber that lets this much pile up unread loses lines: a notification is only a hint to poll. */
const maxUnreadBytes = 64 * 1024;
const channel = 'http.server.response.finish';
const messagesPath = /\/([a-z0-9][a-z0-9-]{1,61}[a-z0-9])\/messages\/?(?:\?|$)/;

export interface QueueEventsServer {
  port: number;
  close(): Promise<void>;
}

/** The queue name of a request that put a message, or undefined. Exported for tests. */
export function putQueueName(
  method: string | undefined,
  url: string | undefined,
  status: number,
): string | undefined {
  if (method !== 'POST' || status !== 201 || url === undefined) return undefined;
  return messagesPath.exec(url)?.[1];
}

/**
 * Serves put notifications of the requests answered by `queueServer` (Azurite's queue HTTP server; the blob and
 * table servers of the same process answer 201 to POSTs too) on `host:port` (0 = a free port).
 */
export async function startQueueEventsServer(
  queueServer: http.Server,
  host: string,
  port: number,
): Promise<QueueEventsServer> {
  const subscribers = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || new URL(req.url ?? '/', 'http://local').pathname !== queueEventsPath) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    res.flushHeaders(); // the subscriber knows it is connected before the first put
    subscribers.add(res);
    res.on('close', () => subscribers.delete(res));
  });

  const onResponseFinish = (message: unknown): void => {
    const {
      request,
      response,
      server: answeredBy,
    } = message as {
      request?: http.IncomingMessage;
      response?: http.ServerResponse;
      server?: http.Server;
    };
    if (answeredBy !== queueServer || subscribers.size === 0) return;
    const queueName = putQueueName(request?.method, request?.url, response?.statusCode ?? 0);
    if (queueName === undefined) return;
    const line = `${queueName}\n`;
    for (const subscriber of subscribers) {
      if (subscriber.writableLength <= maxUnreadBytes) subscriber.write(line);
    }
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  diagnostics.subscribe(channel, onResponseFinish);
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      diagnostics.unsubscribe(channel, onResponseFinish);
      for (const subscriber of subscribers) subscriber.end();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
