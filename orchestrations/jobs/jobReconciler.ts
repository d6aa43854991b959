// The job reconciler: a job whose record says it is queued, running or terminating must have a lifecycle running.
// One can end while the record does not (its last activity failed all its retries and so did recording the
// result, an operator terminated or purged the instance, the task hub was changed or lost): the job would then hold
// its nodes, or wait, for ever. The reconciler finds such jobs among those holding nodes and starts their lifecycle
// again, which takes each job up from its record (`restartJobLifecycle`). A queued job's lifecycle that is gone
// altogether is started again when the scheduler grants it nodes (scheduleJobsActivity); one that ended is found
// here once the job runs.
import type { DurableClient } from 'durable-functions';
import { isTerminal } from '../../shared/domain/jobExecutionState';
import { jobRefWireOf } from '../../shared/contracts/jobCommand';
import type { JobQueueEntry } from '../../shared/ports/resourceStore';
import { restartJobLifecycle } from './jobCommandRunner';
import { getJobServices } from './jobServices';

export interface ReconcileJobsResult {
  /** Jobs looked at (those holding or giving back nodes). */
  checked: number;
  /** ARM ids of the jobs whose lifecycle was started again. */
  restarted: string[];
  /** ARM ids and reasons of the jobs that could not be looked at or started again (the next round tries again). */
  failed: { job: string; message: string }[];
}

/** Lifecycles checked at once. */
const concurrency = 8;

export async function reconcileJobs(client: DurableClient): Promise<ReconcileJobsResult> {
  const { store } = getJobServices();
  const entries = await store.listActiveJobs();
  const result: ReconcileJobsResult = { checked: entries.length, restarted: [], failed: [] };
  const reconcile = async (entry: JobQueueEntry): Promise<void> => {
    try {
      const input = {
        job: jobRefWireOf(entry.ref),
        jobUuid: entry.job.uuid,
        clusterKey: entry.job.clusterKey,
      };
      // The record read a moment ago may be behind a lifecycle that just recorded the end and finished: only a job
      // still unfinished now, under the same GUID, is taken up.
      const fresh = await store.get(entry.ref);
      const runtime = fresh?.record.job;
      if (!runtime || runtime.uuid !== entry.job.uuid || isTerminal(runtime.executionState)) return;
      if (await restartJobLifecycle(client, input)) result.restarted.push(entry.armId);
    } catch (error: unknown) {
      result.failed.push({ job: entry.armId, message: (error as Error).message });
    }
  };
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, entries.length) }, async () => {
      while (next < entries.length) await reconcile(entries[next++]);
    }),
  );
  return result;
}
