// The payload of a compute queue trigger: the Functions host hands over the decoded message as parsed JSON when
// it is JSON, else as text; both become the unvalidated message value here. Rejections keep the original text.
import type { InvocationContext, StorageQueueOutput } from '@azure/functions';
import { ContractError } from '../../shared/contracts/contractError';
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

/**
 * The message parsed by its contract; a message the contract refuses is set aside on `rejected` with the reason
 * (never retried, never failing the function) and undefined is returned. Other errors propagate (retry).
 */
export function acceptQueueMessage<T>(
  payload: unknown,
  parse: (value: unknown) => T,
  queue: string,
  context: InvocationContext,
  rejected: StorageQueueOutput,
  what: string,
): T | undefined {
  try {
    return parse(parseQueuePayload(payload));
  } catch (error: unknown) {
    if (!(error instanceof ContractError)) throw error;
    context.warn(`Rejected ${what}: ${error.message}`);
    context.extraOutputs.set(rejected, rejectedMessage(queue, error, payload));
    return undefined;
  }
}
