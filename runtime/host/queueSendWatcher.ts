// Tells the local host when a message was put on a Storage queue by code in this process (the app's SDK clients
// talk to Azurite over HTTP): Node's `http.client.response.finish` diagnostics channel reports each answered
// request, and a `201` to `POST .../<queue>/messages` means a message is there. Queue listeners use it to poll at
// once instead of after their idle backoff, so a hop through a queue costs milliseconds, with no busy polling.
import * as diagnostics from 'diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'http';

type SentListener = (queueName: string) => void;

const listeners = new Set<SentListener>();
const channel = 'http.client.response.finish';
const messagesPath = /\/([a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9])\/messages(?:\?|$)/;

function onResponse(message: unknown): void {
  const { request, response } = message as { request?: ClientRequest; response?: IncomingMessage };
  if (request?.method !== 'POST' || response?.statusCode !== 201) return;
  const match = messagesPath.exec(request.path);
  if (!match) return;
  for (const listener of listeners) listener(match[1]);
}

/** Calls `listener(queueName)` after each message this process put on a queue; returns the unsubscribe. */
export function onQueueMessageSent(listener: SentListener): () => void {
  if (listeners.size === 0) diagnostics.subscribe(channel, onResponse);
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) diagnostics.unsubscribe(channel, onResponse);
  };
}
