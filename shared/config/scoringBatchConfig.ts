// SCORING_BATCH_RETENTION_HOURS: how long blob batches are kept after their window started (default 48 hours, at
// least 25: Event Grid redelivers for up to 24 hours and a window lasts up to one).
import { defaultBatchRetentionMs, minBatchRetentionMs } from '../domain/eventSources/blobScoringService';

export const batchRetentionSetting = 'SCORING_BATCH_RETENTION_HOURS';

/** The retention in ms from the app settings; a bad value is an error naming the setting. */
export function readBatchRetentionMs(env: Readonly<Record<string, string | undefined>>): number {
  const text = env[batchRetentionSetting]?.trim();
  if (!text) return defaultBatchRetentionMs;
  const hours = Number(text);
  const minHours = minBatchRetentionMs / 3600_000;
  if (!Number.isFinite(hours) || hours < minHours) {
    throw new Error(
      `${batchRetentionSetting} must be a number of hours of at least ${minHours}, got '${text}'.`,
    );
  }
  return hours * 3600_000;
}
