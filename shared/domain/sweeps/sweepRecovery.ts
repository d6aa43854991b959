// The run state a sweep's orchestration starts from when it is started again (its instance failed, was terminated
// or purged, or a failed sweep is cancelled or deleted while trials it created still run): the trials its record
// lists and the trial jobs it created after its last status write, so nothing is created twice, stopped trials keep
// how they were stopped, and cancel or delete reaches every trial that runs.
import type { ResourceStore } from '../../ports/resourceStore';
import { emptySeries } from './objectiveSeries';
import {
  sweepCancelledReason,
  trialsPerCreationBatch,
  type SweepRunState,
  type SweepStatus,
  type TrialPhase,
  type TrialState,
} from './sweepProgress';
import type { SweepRecord } from './sweepStore';
import { isOwnTrialJob, trialJobName } from './trialJobBody';

function isActivePhase(phase: TrialPhase): boolean {
  return phase === 'queued' || phase === 'running';
}

/** The sweep's record lists trials that may still run (a sweep failed before it could stop them). */
export function hasActiveTrials(status: SweepStatus): boolean {
  return status.trials.some((t) => isActivePhase(t.state));
}

/** The index of trial job `name` of sweep `sweepName` (`<sweep>-t<index>`), or undefined. */
export function trialIndexOf(sweepName: string, name: string): number | undefined {
  const prefix = `${sweepName}-t`;
  if (!name.startsWith(prefix)) return undefined;
  const digits = name.slice(prefix.length);
  return /^(0|[1-9]\d*)$/.test(digits) ? Number(digits) : undefined;
}

/**
 * The state rebuilt from the record's trial list and the indexes of trial jobs found beyond it. Trials the record
 * shows ended keep their phase, reason and last metric; the others are observed again from their job, their stdout
 * read from the start (a trial with a stop reason keeps being counted as stopped early or cancelled).
 */
export function recoveredRunState(record: SweepRecord, foundIndexes: number[], nowMs: number): SweepRunState {
  const trials: TrialState[] = [];
  const known = new Set<number>();
  for (const summary of record.status.trials) {
    const index = trialIndexOf(record.address.name, summary.name);
    if (index === undefined || known.has(index)) continue;
    known.add(index);
    const base = { index, name: summary.name, attempt: 0, offset: 0 };
    if (isActivePhase(summary.state)) {
      // An active trial with a reason was being stopped (a trial's other reasons come with its end).
      const stop: Pick<TrialState, 'stop'> =
        summary.reason === undefined
          ? {}
          : { stop: summary.reason === sweepCancelledReason ? 'cancel' : 'early' };
      trials.push({
        ...base,
        phase: summary.state,
        ...stop,
        ...(summary.reason !== undefined ? { reason: summary.reason } : {}),
        series: emptySeries(),
      });
    } else {
      const last = summary.metric;
      const step = summary.step ?? 0;
      trials.push({
        ...base,
        phase: summary.state,
        ...(summary.state === 'earlyTerminated' ? { stop: 'early' as const } : {}),
        ...(summary.state === 'cancelled' ? { stop: 'cancel' as const } : {}),
        ...(summary.reason !== undefined ? { reason: summary.reason } : {}),
        series:
          last === undefined
            ? emptySeries()
            : { reports: 0, lastStep: step, last, improvements: [[step, last]] },
      });
    }
  }
  for (const index of foundIndexes) {
    if (known.has(index)) continue;
    known.add(index);
    trials.push({
      index,
      name: trialJobName(record.address.name, index),
      phase: 'queued',
      attempt: 0,
      offset: 0,
      series: emptySeries(),
    });
  }
  trials.sort((a, b) => a.index - b.index);
  const failed = record.status.executionState === 'failed' && record.status.error !== undefined;
  return {
    nextIndex: trials.reduce((next, t) => Math.max(next, t.index + 1), 0),
    trials,
    lastEvaluationMs: nowMs,
    // A failed sweep started again only stops what still runs: it creates nothing more.
    cancelling: failed,
    deleting: false,
    ...(failed ? { failure: record.status.error } : {}),
  };
}

/**
 * Indexes of the sweep's trial jobs created after its record's last status write (trials are created in index
 * order, at most `trialsPerCreationBatch` a round): looked up a batch at a time from the next index while a batch
 * finds one. A job another sweep marked as its own (a deleted sweep of the same name left it), or an unmarked one
 * older than the sweep, is not adopted.
 */
export async function findUnrecordedTrials(store: ResourceStore, record: SweepRecord): Promise<number[]> {
  const recorded = record.status.trials
    .map((t) => trialIndexOf(record.address.name, t.name))
    .filter((i): i is number => i !== undefined);
  const sweepCreated = Date.parse(record.creationTime);
  const found: number[] = [];
  let from = recorded.reduce((next, i) => Math.max(next, i + 1), 0);
  while (from < record.definition.maxTrials) {
    const indexes = Array.from(
      { length: Math.min(trialsPerCreationBatch, record.definition.maxTrials - from) },
      (_, i) => from + i,
    );
    const jobs = await Promise.all(
      indexes.map((index) =>
        store.get({ kind: 'job', ...record.address, name: trialJobName(record.address.name, index) }),
      ),
    );
    const ours = indexes.filter((_, i) => {
      const job = jobs[i];
      return job !== undefined && isOwnTrialJob(job.record, record.uuid, sweepCreated);
    });
    if (ours.length === 0) break;
    found.push(...ours);
    from += indexes.length;
  }
  return found;
}

/** The state a restarted sweep orchestration starts from (see the module comment). */
export async function recoverRunState(
  store: ResourceStore,
  record: SweepRecord,
  nowMs: number,
): Promise<SweepRunState> {
  return recoveredRunState(record, await findUnrecordedTrials(store, record), nowMs);
}
