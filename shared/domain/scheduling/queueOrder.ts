// The order of a cluster's queue: priority high > normal > low, then first come first served, then id, so two
// schedulers given the same queue always agree.
import type { JobPriority, WaitingJob } from './schedulingInput';

const priorityRank: Record<JobPriority, number> = { high: 0, normal: 1, low: 2 };

export function compareQueueOrder(a: WaitingJob, b: WaitingJob): number {
  return (
    priorityRank[a.priority] - priorityRank[b.priority] ||
    Date.parse(a.submitTime) - Date.parse(b.submitTime) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/**
 * The same order as one string, for a store to sort by (a single-field ORDER BY): the priority's rank, then the
 * submit time as `Date.toISOString` writes it (fixed width, so text order is time order), then the id.
 */
export function queueOrderKey(priority: JobPriority, submitTime: string, id: string): string {
  return `${priorityRank[priority]}|${submitTime}|${id}`;
}
