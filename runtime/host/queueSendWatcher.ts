// Tells the local host when a message was put on a Storage queue, so queue listeners poll at once instead of after
// their idle backoff and a hop through a queue costs milliseconds, with no busy polling. Two sources:
// - 'in-process': code in this process (the app's SDK clients talk to Azurite over HTTP). Node's
//   `http.client.response.finish` diagnostics channel reports each answered request, and a `201` to
//   `POST .../<queue>/messages` means a message is there.
// - 'queue-events': every process (node agents too), from the local Azurite's notification stream
//   (`runtime/stack/queueEventsServer.ts`, app setting LOCAL_QUEUE_EVENTS_URL; local only, absent on Azure).
import * as diagnostics from 'diagnostics_channel';
import * as http from 'http';
import type { HostLogger } from './plugin';

export type QueueMessageSource = 'in-process' | 'queue-events';
type SentListener = (queueName: string, source: QueueMessageSource) => void;

const listeners = new Set<SentListener>();
const channel = 'http.client.response.finish';
const messagesPath = /\/([a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9])\/messages(?:\?|$)/;
const queueNamePattern = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/** Reconnection delays of the notification stream: Azurite may be restarted (tests do) on the same port. */
const firstRetryMs = 200;
const maxRetryMs = 5000;
/** A line longer than this is not a queue name: the stream is not what we expect, drop what was buffered. */
const maxLineChars = 1024;

function notify(name: string, source: QueueMessageSource): void {
  for (const listener of listeners) listener(name, source);
}

function onResponse(message: unknown): void {
  const { request, response } = message as { request?: http.ClientRequest; response?: http.IncomingMessage };
  if (request?.method !== 'POST' || response?.statusCode !== 201) return;
  const match = messagesPath.exec(request.path);
  if (!match) return;
  notify(match[1], 'in-process');
}

/**
 * Calls `listener(queueName, source)` after each message put on a queue: by this process ('in-process') or, while
 * watchQueueEventsStream runs, by any process ('queue-events'; the host's own puts then come from both sources).
 * Returns the unsubscribe.
 */
export function onQueueMessageSent(listener: SentListener): () => void {
  if (listeners.size === 0) diagnostics.subscribe(channel, onResponse);
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) diagnostics.unsubscribe(channel, onResponse);
  };
}

/**
 * Follows the local notification stream at `url` (`<queueName>\n` lines) and reports each line to the
 * onQueueMessageSent listeners. Reconnects after an error or the end of the stream (200 ms doubling to 5 s); puts
 * made while disconnected are not reported (polling finds them). Returns the stop function, which leaves no
 * socket or timer behind.
 */
/** Streams connected now (a count: tests may run several hosts in one process). */
let connectedStreams = 0;

/** True while a queue events stream is connected: every put is announced, so listeners need not poll again. */
export function isQueueEventsStreamConnected(): boolean {
  return connectedStreams > 0;
}

export function watchQueueEventsStream(url: string, log: Pick<HostLogger, 'info' | 'warn'>): () => void {
  let stopped = false;
  let request: http.ClientRequest | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryDelay = firstRetryMs;
  let broken = false; // warned about a failure and not connected since: say so once when it comes back

  const retryLater = (reason: string): void => {
    request = undefined;
    if (stopped) return;
    if (!broken) {
      broken = true;
      log.warn(`Queue events stream ${url}: ${reason}; reconnecting (queue triggers poll meanwhile).`);
    }
    retryTimer = setTimeout(connect, retryDelay);
    retryDelay = Math.min(retryDelay * 2, maxRetryMs);
  };

  function connect(): void {
    retryTimer = undefined;
    let ended = false;
    let connected = false;
    const endedBecause = (reason: string): void => {
      if (ended) return;
      ended = true;
      if (connected) connectedStreams--;
      req.destroy();
      retryLater(reason);
    };
    const req = http.get(url, { agent: false }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        endedBecause(`answered ${res.statusCode ?? '?'}`);
        return;
      }
      retryDelay = firstRetryMs;
      connected = true;
      connectedStreams++;
      if (broken) {
        broken = false;
        log.info(`Queue events stream ${url}: connected again.`);
      }
      res.setEncoding('utf8');
      let pending = '';
      res.on('data', (chunk: string) => {
        const lines = (pending + chunk).split('\n');
        pending = lines.pop() ?? '';
        if (pending.length > maxLineChars) pending = '';
        for (const line of lines) {
          if (queueNamePattern.test(line)) notify(line, 'queue-events');
        }
      });
      res.on('end', () => endedBecause('the stream ended'));
      res.on('error', (error) => endedBecause(error.message));
      res.on('close', () => endedBecause('the connection closed'));
    });
    req.on('error', (error) => endedBecause(error.message));
    req.on('close', () => endedBecause('the connection closed'));
    request = req;
  }

  connect();
  return () => {
    stopped = true;
    clearTimeout(retryTimer);
    request?.destroy();
  };
}
