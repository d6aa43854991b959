// A parameter sweep (this service's extension) as the dashboard shows it: one row of the sweeps list (state,
// trial counts, best trial) and the rows of its trials table (parameters, state, metric). Pure: no DOM.

export interface SweepWire {
  id?: string;
  name?: string;
  properties?: Record<string, unknown>;
}

export interface SweepRowView {
  name: string;
  experiment: string;
  executionState: string;
  cancelRequested: boolean;
  objective: string;
  /** e.g. `3 of 5 done, 2 running, 1 not started` */
  progress: string;
  /** Trials created so far (every state but notStarted): it never shrinks, not even when the sweep is cancelled. */
  total: number;
  bestTrial: string;
  bestMetric: string;
  bestParameters: string;
  creationTime?: string;
  error: string;
}

export interface TrialRowView {
  name: string;
  state: string;
  metric: string;
  step: string;
  parameters: string;
  reason: string;
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

function count(counts: Record<string, unknown>, key: string): number {
  const value = counts[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function segmentAfter(id: string, key: string): string {
  const parts = id.split('/');
  const i = parts.findIndex((p) => p.toLowerCase() === key);
  return i >= 0 && i + 1 < parts.length ? decodeURIComponent(parts[i + 1]) : '';
}

/** `lr=0.01, layers=3`: parameter values in the order the sweep defined them. */
export function parametersText(parameters: unknown): string {
  if (!parameters || typeof parameters !== 'object' || Array.isArray(parameters)) return '';
  return Object.entries(parameters as Record<string, unknown>)
    .map(([name, value]) => `${name}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join(', ');
}

/** A metric with at most 6 significant digits (what trials print is often longer). */
export function metricText(value: unknown): string {
  return typeof value === 'number' && Number.isFinite(value) ? String(Number(value.toPrecision(6))) : '';
}

const finishedStates = ['succeeded', 'failed', 'earlyTerminated', 'cancelled'];

export function sweepRow(sweep: SweepWire): SweepRowView {
  const p = sweep.properties ?? {};
  const counts = (p.trialCounts as Record<string, unknown> | undefined) ?? {};
  // notStarted (trials still to come) drops to 0 on cancel: counting it would make the total shrink.
  const total = Object.keys(counts)
    .filter((key) => key !== 'notStarted')
    .reduce((sum, key) => sum + count(counts, key), 0);
  const notStarted = count(counts, 'notStarted');
  const done = finishedStates.reduce((sum, key) => sum + count(counts, key), 0);
  const running = count(counts, 'running');
  const queued = count(counts, 'queued');
  const best = (p.bestTrial as Record<string, unknown> | undefined) ?? {};
  const objective = (p.objective as Record<string, unknown> | undefined) ?? {};
  const error = (p.error as Record<string, unknown> | undefined) ?? {};
  return {
    name: str(sweep.name) || segmentAfter(str(sweep.id), 'sweeps'),
    experiment: segmentAfter(str(sweep.id), 'experiments'),
    executionState: str(p.executionState),
    cancelRequested: p.cancelRequested === true,
    objective: str(objective.metric) ? `${str(objective.goal)} ${str(objective.metric)}` : '',
    progress: [
      `${done} of ${total} done`,
      running ? `${running} running` : '',
      queued ? `${queued} queued` : '',
      notStarted ? `${notStarted} not started` : '',
    ]
      .filter((s) => s !== '')
      .join(', '),
    total,
    bestTrial: str(best.name),
    bestMetric: metricText(best.metric),
    bestParameters: parametersText(best.parameters),
    creationTime: str(p.creationTime) || undefined,
    error: [str(error.code), str(error.message)].filter((s) => s !== '').join(': '),
  };
}

export function trialRows(sweep: SweepWire): TrialRowView[] {
  const trials = sweep.properties?.trials;
  if (!Array.isArray(trials)) return [];
  return trials.map((t) => {
    const trial = (t ?? {}) as Record<string, unknown>;
    return {
      name: str(trial.name),
      state: str(trial.state),
      metric: metricText(trial.metric),
      step: str(trial.step),
      parameters: parametersText(trial.parameters),
      reason: str(trial.reason),
    };
  });
}

/** A sweep can be cancelled while it runs and no cancel is under way. */
export function canCancelSweep(row: SweepRowView): boolean {
  return row.executionState === 'running' && !row.cancelRequested;
}
