// Picks a sweep's best trial: among the trials that succeeded and reported the objective, the best final value
// (the last value reported); ties go to the earlier trial, so the answer never depends on completion order.
import { isBetter } from './objectiveSeries';
import type { Goal } from './sweepDefinition';

export interface TrialResult {
  index: number;
  succeeded: boolean;
  final?: number;
}

export function bestTrialIndex(trials: TrialResult[], goal: Goal): number | undefined {
  let best: TrialResult | undefined;
  for (const trial of trials) {
    if (!trial.succeeded || trial.final === undefined) continue;
    if (
      best === undefined ||
      isBetter(trial.final, best.final as number, goal) ||
      (trial.final === best.final && trial.index < best.index)
    )
      best = trial;
  }
  return best?.index;
}
