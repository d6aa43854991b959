// The payload of a compute queue trigger: the Functions host hands over the decoded message as parsed JSON when
// it is JSON, else as text; both become the unvalidated message value here. Rejections keep the original text.
import type { ContractError } from '../../shared/contracts/contractError';
import { decodeQueueMessage } from '../../shared/contracts/wireEncoding';

export function parseQueuePayload(payload: unknown): unknown {
  if (typeof payload === 'string') return decodeQueueMessage(payload);
  if (Buffer.isBuffer(payload)) return decodeQueueMessage(payload.toString('utf8'));
  return payload;
}

export function rejectedMessage(queue: string, error: ContractError, payload: unknown): object {
  return {
    queue,
    reason: error.message,
    field: error.field,
    rejectedTime: new Date().toISOString(),
    message: typeof payload === 'string' ? payload : JSON.stringify(payload),
  };
}
