// Job lifecycle settings, read once from the app settings and validated: how many attempts a job gets when its
// nodes are preempted or lost, how often a running job's nodes are checked, and how far into a cluster's queue a
// scheduling pass looks.
import { ConfigurationError } from './appConfig';

export interface JobLifecycleConfig {
  /** Attempts a job may have in all (the first run included); preemption beyond this fails the job. */
  maxAttempts: number;
  /** A running job checks that its nodes are still there this often (seconds). */
  nodeCheckSeconds: number;
  /**
   * A task its node's heartbeats stopped listing, with no exit applied, is lost after this long (seconds): longer
   * than an exit sent before such a heartbeat can take to be applied.
   */
  taskVanishedSeconds: number;
  /** A running job's orchestration continues as new after this many watch rounds (bounds its history). */
  watchRoundsPerEpisode: number;
  /**
   * A scheduling pass reads the first (this + the cluster's maximum node count) waiting jobs in queue order, not
   * the whole queue: enough to fill every node that could come free and to backfill around the head job.
   */
  queueLookAhead: number;
  /**
   * How often (seconds) a cluster's scheduling passes read the whole look-ahead and beyond it (the explanations of
   * the jobs behind the first few, jobs too large for the cluster, jobs the head left behind); the passes between
   * read the first few waiting jobs, and the look-ahead only when those leave nodes free.
   */
  housekeepingSeconds: number;
  /**
   * Finished orchestration instances (a job's lifecycle, a sweep's run, a deleted cluster's monitor) are purged
   * from the task hub once created this many days ago (0: at the next purge); their records keep what users see.
   */
  historyRetentionDays: number;
}

/** An integer app setting from `min` to `max`, `fallback` when unset; a ConfigurationError naming it otherwise. */
export function integerSetting(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  fallback: number,
  max: number,
  min = 1,
): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigurationError(name, `must be an integer from ${min} to ${max}; it is '${text}'.`);
  }
  return value;
}

export function readJobLifecycleConfig(
  env: Readonly<Record<string, string | undefined>>,
): JobLifecycleConfig {
  return {
    maxAttempts: integerSetting(env, 'JOB_MAX_ATTEMPTS', 3, 100),
    nodeCheckSeconds: integerSetting(env, 'JOB_NODE_CHECK_SECONDS', 30, 3600),
    taskVanishedSeconds: integerSetting(env, 'JOB_TASK_VANISHED_SECONDS', 60, 3600),
    watchRoundsPerEpisode: integerSetting(env, 'JOB_WATCH_ROUNDS_PER_EPISODE', 100, 10_000),
    queueLookAhead: integerSetting(env, 'SCHEDULER_QUEUE_LOOKAHEAD', 100, 10_000),
    housekeepingSeconds: integerSetting(env, 'SCHEDULER_HOUSEKEEPING_SECONDS', 5, 3600),
    historyRetentionDays: integerSetting(env, 'DURABLE_HISTORY_RETENTION_DAYS', 7, 3650, 0),
  };
}
