// What a sweep keeps of a trial's objective metric: the last report (the trial's final metric) and the points where
// its best value so far improved, which is all the early-termination policies need ("best value up to step s").
import type { Goal } from './sweepDefinition';
import type { MetricReport } from './metricLine';

export interface ObjectiveSeries {
  /** Reports seen so far (numbers the reports printed without a step). */
  reports: number;
  lastStep?: number;
  last?: number;
  /** [step, best so far] each time the best improved. */
  improvements: [number, number][];
}

/** Improvement points kept per trial (beyond it every other point is dropped: the state stays bounded). */
const maxImprovements = 256;

export function emptySeries(): ObjectiveSeries {
  return { reports: 0, improvements: [] };
}

export function isBetter(a: number, b: number, goal: Goal): boolean {
  return goal === 'maximize' ? a > b : a < b;
}

/** The reports of the objective with their steps filled in (printed step, else the report's ordinal). */
export function numberReports(
  reports: MetricReport[],
  metric: string,
  seen: number,
): { step: number; value: number }[] {
  return reports
    .filter((r) => r.name === metric)
    .map((r, i) => ({ step: r.step ?? seen + i, value: r.value }));
}

/**
 * The series after more (numbered) reports. `keepFirstImprovement`: thinning keeps the first point, so the best value
 * up to the earliest steps stays known (false only for sweep orchestrations older than 1.2, which dropped it).
 */
export function addReports(
  series: ObjectiveSeries,
  points: { step: number; value: number }[],
  goal: Goal,
  keepFirstImprovement = true,
): ObjectiveSeries {
  let improvements = series.improvements;
  let best = improvements.length > 0 ? improvements[improvements.length - 1][1] : undefined;
  let { lastStep, last } = series;
  for (const { step, value } of points) {
    lastStep = step;
    last = value;
    if (best === undefined || isBetter(value, best, goal)) {
      best = value;
      improvements = [...improvements, [step, value]];
    }
  }
  if (improvements.length > maxImprovements)
    improvements = improvements.filter(
      (_, i) => (keepFirstImprovement && i === 0) || i % 2 === 1 || i === improvements.length - 1,
    );
  return { reports: series.reports + points.length, lastStep, last, improvements };
}

/** The best value reported at a step not after `step` (undefined when none was). */
export function bestUpTo(series: ObjectiveSeries, step: number, goal: Goal): number | undefined {
  let best: number | undefined;
  for (const [at, value] of series.improvements) {
    if (at > step) continue;
    if (best === undefined || isBetter(value, best, goal)) best = value;
  }
  return best;
}
