// Timer trigger: once an hour, blob batches older than the retention (SCORING_BATCH_RETENTION_HOURS, default 48,
// at least 25: Event Grid's 24 hours of redeliveries plus the longest window) are deleted; one still without its job
// that long (its wake-up lost, or its flush failed until the wake-up was given up) is flushed instead
// (shared/domain/eventSources/blobScoringService.ts).
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { readBatchRetentionMs } from '../../shared/config/scoringBatchConfig';
import { expireBlobBatches } from '../../shared/domain/eventSources/blobScoringService';
import { getEventSourceServices } from './eventSourceServices';

export const scoringBatchesExpirySchedule = '0 7 * * * *';

export async function handleScoringBatchesExpiry(_timer: Timer, context: InvocationContext): Promise<void> {
  const retentionMs = readBatchRetentionMs(process.env);
  const services = await getEventSourceServices();
  const { deleted, flushed } = await expireBlobBatches(services, services.service.now(), retentionMs);
  for (const outcome of flushed) {
    context.warn(
      `Batch ${outcome.batchId} still had no job ${retentionMs / 3600_000} hours after its window (its wake-up ` +
        `was lost or its flush failed): flushed, ${outcome.result}${outcome.jobName ? ` ${outcome.jobName}` : ''}` +
        `${outcome.error ? `: ${outcome.error.code}: ${outcome.error.message}` : ''}`,
    );
  }
  if (deleted > 0)
    context.log(`Deleted ${deleted} blob batch(es) older than ${retentionMs / 3600_000} hours.`);
}

app.timer('scoringBatchesExpiry', {
  schedule: scoringBatchesExpirySchedule,
  handler: handleScoringBatchesExpiry,
});
