// A `Microsoft.Storage.BlobCreated` event, read from either schema Event Grid delivers (Event Grid schema or
// CloudEvents 1.0), reduced to what scoring rules match on and jobs receive.
import { ValidationError } from '../errors';

export const blobCreatedEventType = 'Microsoft.Storage.BlobCreated';

export interface BlobCreatedEvent {
  /** The event id: Event Grid keeps it across redeliveries, so it is the idempotency key. */
  eventId: string;
  eventTime: Date;
  storageAccount: string;
  container: string;
  /** Path of the blob in its container (may contain '/'). */
  blobName: string;
  url: string;
  contentLength?: number;
}

type EventObject = Record<string, unknown>;

/** The event's type whichever the schema (`eventType` or CloudEvents `type`). */
export function eventTypeOf(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const e = event as EventObject;
  const type = typeof e.specversion === 'string' ? e.type : e.eventType;
  return typeof type === 'string' ? type : undefined;
}

function text(e: EventObject, key: string, path: string): string {
  const value = e[key];
  if (typeof value !== 'string' || value === '')
    throw new ValidationError(`${path}.${key}`, `'${path}.${key}' must be a non-empty string.`);
  return value;
}

const subjectPattern = /^\/blobServices\/default\/containers\/([^/]+)\/blobs\/(.+)$/;
const accountPattern = /\/storageAccounts\/([^/]+)/i;

export function parseBlobCreatedEvent(event: unknown): BlobCreatedEvent {
  if (typeof event !== 'object' || event === null || Array.isArray(event))
    throw new ValidationError('event', 'The event must be a JSON object.');
  const e = event as EventObject;
  const cloud = typeof e.specversion === 'string';
  const type = eventTypeOf(e);
  if (type !== blobCreatedEventType) {
    throw new ValidationError(
      cloud ? 'event.type' : 'event.eventType',
      `Expected a '${blobCreatedEventType}' event; got '${String(type)}'.`,
    );
  }
  const subject = text(e, 'subject', 'event');
  const match = subjectPattern.exec(subject);
  if (!match) {
    throw new ValidationError(
      'event.subject',
      `'${subject}' is not a blob subject (/blobServices/default/containers/{container}/blobs/{name}).`,
    );
  }
  const data = e.data;
  if (typeof data !== 'object' || data === null)
    throw new ValidationError('event.data', `'event.data' must be an object.`);
  const url = text(data as EventObject, 'url', 'event.data');
  const source = text(e, cloud ? 'source' : 'topic', 'event');
  // Event Grid's topic names the account; a hand-made event may leave it out of the path, so fall back to the URL.
  const storageAccount = accountPattern.exec(source)?.[1] ?? accountFromUrl(url);
  const timeText = cloud ? e.time : e.eventTime;
  const eventTime = typeof timeText === 'string' ? new Date(timeText) : new Date(Number.NaN);
  if (Number.isNaN(eventTime.getTime())) {
    const field = cloud ? 'event.time' : 'event.eventTime';
    throw new ValidationError(field, `'${field}' must be an ISO 8601 timestamp.`);
  }
  const length = (data as EventObject).contentLength;
  return {
    eventId: text(e, 'id', 'event'),
    eventTime,
    storageAccount,
    container: match[1],
    blobName: match[2],
    url,
    ...(typeof length === 'number' ? { contentLength: length } : {}),
  };
}

function accountFromUrl(url: string): string {
  try {
    const parsed = new URL(url);
    // https://<account>.blob.core.windows.net/... on Azure; http://127.0.0.1:port/<account>/... on Azurite.
    const first = parsed.hostname.split('.')[0];
    return /^\d+$/.test(first) || parsed.hostname === 'localhost'
      ? (parsed.pathname.split('/')[1] ?? '')
      : first;
  } catch {
    throw new ValidationError('event.data.url', `'event.data.url' must be a URL.`);
  }
}
