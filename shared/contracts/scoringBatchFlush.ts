// The wake-up message of a blob batch on the scoring-batches queue: hidden until the batch's window closes, then
// the trigger closes the batch and creates its job.
import { ContractError } from './contractError';
import { checkSchemaHeader } from './schemaVersion';
import { requireString } from './wireFields';

export const scoringBatchFlushSchema = 'batchai.scoringBatchFlush';

export interface ScoringBatchFlush {
  schema: typeof scoringBatchFlushSchema;
  version: 1;
  batchId: string;
}

export function parseScoringBatchFlush(value: unknown): ScoringBatchFlush {
  const obj = checkSchemaHeader(value, scoringBatchFlushSchema, [1]);
  const batchId = requireString(obj, 'batchId', 'message', 255);
  if (/[/\\?#]/.test(batchId)) throw new ContractError('message.batchId', 'must not contain / \\ ? or #.');
  return { schema: scoringBatchFlushSchema, version: 1, batchId };
}
