// The job reconciler: a job whose record says it is running or terminating must have a lifecycle running. One can
// end while the record does not (its last activity failed all its retries and so did recording the result, an
// operator terminated or purged the instance, the task hub was changed or lost): the job would then hold its
// nodes, or wait, for ever. The reconciler finds such jobs among those holding nodes and starts their lifecycle
// again, which takes each job up from its record (`restartJobLifecycle`). A queued job has no lifecycle (the
// scheduler starts it at the grant): for those the reconciler asks each cluster that has one for a scheduling pass
// (and so starts a scheduler that ended, or takes a signal that was lost), so no queued job waits on a lost signal
// longer than a round.
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
  /** Keys of the clusters with queued jobs whose scheduler was asked for a pass. */
  scheduled: string[];
  /** Keys of the clusters whose queue could not be read or scheduler not asked, and why. */
  notScheduled: { cluster: string; message: string }[];
}

/** Asks a cluster's job scheduler for a pass (starting it when it does not run): `requestJobScheduling`. */
export type WakeScheduler = (clusterKey: string) => Promise<void>;

/** Lifecycles checked at once. */
const concurrency = 8;

export async function reconcileJobs(
  client: DurableClient,
  wake: WakeScheduler,
): Promise<ReconcileJobsResult> {
  const { store } = getJobServices();
  const entries = await store.listActiveJobs();
  const result: ReconcileJobsResult = {
    checked: entries.length,
    restarted: [],
    failed: [],
    scheduled: [],
    notScheduled: [],
  };
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
      if (await restartJobLifecycle(client, input, runtime.trace)) result.restarted.push(entry.armId);
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
  await wakeSchedulersOfQueuedJobs(wake, result);
  return result;
}

/**
 * Every cluster with a job queued gets a scheduling pass asked for; a deleted one too, so its scheduler (started
 * again if need be) fails its queued jobs with ClusterNotFound.
 */
async function wakeSchedulersOfQueuedJobs(wake: WakeScheduler, result: ReconcileJobsResult): Promise<void> {
  const { store } = getJobServices();
  let clusterKeys: string[];
  try {
    clusterKeys = await store.listClustersWithQueuedJobs();
  } catch (error: unknown) {
    result.notScheduled.push({ cluster: 'every cluster', message: (error as Error).message });
    return;
  }
  for (const clusterKey of clusterKeys) {
    try {
      await wake(clusterKey);
      result.scheduled.push(clusterKey);
    } catch (error: unknown) {
      result.notScheduled.push({ cluster: clusterKey, message: (error as Error).message });
    }
  }
}
