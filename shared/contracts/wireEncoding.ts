// How wire messages ride on Storage queues: JSON, base64-encoded, which is the Functions queue trigger's default
// `messageEncoding` (so the same text works for agents reading with the SDK and for queue-triggered functions).
import { ContractError } from './contractError';
import { parseJsonText } from './wireFields';

export function encodeQueueMessage(message: object): string {
  return Buffer.from(JSON.stringify(message), 'utf8').toString('base64');
}

/** Decodes a queue message text (base64 of JSON; plain JSON is accepted too) into an unvalidated value. */
export function decodeQueueMessage(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return parseJsonText(trimmed, 'message');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(trimmed) || trimmed.length % 4 !== 0) {
    throw new ContractError('message', 'is neither JSON nor base64-encoded JSON.');
  }
  return parseJsonText(Buffer.from(trimmed, 'base64').toString('utf8'), 'message');
}
