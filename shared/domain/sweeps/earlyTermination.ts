// Early-termination policies over the sweep's trials, pure: median stopping (a running trial whose best value so
// far is worse than the median of the finished trials' best values at the same step) and bandit (worse than the
// best trial at that step by more than the slack factor).
import { bestUpTo, isBetter, type ObjectiveSeries } from './objectiveSeries';
import type { EarlyTerminationSpec, Goal } from './sweepDefinition';

export interface TrialProgress {
  name: string;
  /** Running trials are judged; finished ones (succeeded) are the median policy's reference. */
  status: 'running' | 'finished' | 'other';
  series: ObjectiveSeries;
}

export interface StopDecision {
  name: string;
  reason: string;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The running trials the policy stops now, each with the reason (recorded on the sweep's trial list). */
export function trialsToStop(
  policy: EarlyTerminationSpec,
  goal: Goal,
  trials: TrialProgress[],
): StopDecision[] {
  const decisions: StopDecision[] = [];
  for (const trial of trials) {
    if (trial.status !== 'running' || trial.series.lastStep === undefined) continue;
    const step = trial.series.lastStep;
    if (step < policy.delayEvaluation) continue;
    const own = bestUpTo(trial.series, step, goal);
    if (own === undefined) continue;
    if (policy.policy === 'median') {
      const references = trials
        .filter((t) => t.status === 'finished' && t.name !== trial.name)
        .map((t) => bestUpTo(t.series, step, goal))
        .filter((v): v is number => v !== undefined);
      if (references.length === 0) continue;
      const m = median(references);
      if (isBetter(m, own, goal))
        decisions.push({
          name: trial.name,
          reason: `Median stopping at step ${step}: best value ${figure(own)} is worse than the median ${figure(m)} of ${references.length} finished trial(s).`,
        });
      continue;
    }
    const slack = policy.slackFactor ?? 0;
    let best: number | undefined;
    for (const other of trials) {
      if (other.name === trial.name) continue;
      const value = bestUpTo(other.series, step, goal);
      if (value !== undefined && (best === undefined || isBetter(value, best, goal))) best = value;
    }
    if (best === undefined) continue;
    // Azure ML's best / (1 + slack) (maximize) and best * (1 + slack) (minimize), on the magnitude of the best
    // value: the same for positive values, and for negative ones (neg_mse, log-likelihood) still a threshold worse
    // than the best, where the plain formula would put it past the best and stop the best trial itself.
    const threshold =
      goal === 'maximize' ? best - (Math.abs(best) * slack) / (1 + slack) : best + Math.abs(best) * slack;
    if (isBetter(threshold, own, goal))
      decisions.push({
        name: trial.name,
        reason: `Bandit policy at step ${step}: best value ${figure(own)} is outside slack ${figure(slack)} of the best trial's ${figure(best)}.`,
      });
  }
  return decisions;
}

/** A metric value as a person reads it: at most 6 significant digits (0.6111125000000001 -> 0.611113). */
function figure(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(6))) : String(value);
}
