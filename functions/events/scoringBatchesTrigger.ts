// Queue trigger: a blob batch's wake-up, visible once its window has closed: the batch is closed and its job
// created. Malformed wake-ups are logged and dropped (they carry no user data); transient failures are retried.
import { app, type InvocationContext } from '@azure/functions';
import { scoringBatchesQueue } from '../../shared/config/resourceNames';
import { ContractError } from '../../shared/contracts/contractError';
import { parseScoringBatchFlush } from '../../shared/contracts/scoringBatchFlush';
import { flushBlobBatch } from '../../shared/domain/eventSources/blobScoringService';
import { parseQueuePayload } from '../compute/queuePayload';
import { getEventSourceServices } from './eventSourceServices';

export async function handleScoringBatchFlush(payload: unknown, context: InvocationContext): Promise<void> {
  let batchId: string;
  try {
    batchId = parseScoringBatchFlush(parseQueuePayload(payload)).batchId;
  } catch (error: unknown) {
    if (!(error instanceof ContractError)) throw error;
    context.warn(`Dropped malformed batch wake-up: ${error.message}`);
    return;
  }
  const outcome = await flushBlobBatch(await getEventSourceServices(), batchId);
  const message = `Batch ${batchId}: ${outcome.result} ${outcome.jobName ?? ''} (${outcome.blobCount ?? 0} blobs)`;
  if (outcome.result === 'failed')
    context.warn(`${message}: ${outcome.error?.code}: ${outcome.error?.message}`);
  else context.log(message);
}

app.storageQueue('scoringBatches', {
  queueName: scoringBatchesQueue,
  connection: 'AzureWebJobsStorage',
  handler: handleScoringBatchFlush,
});
