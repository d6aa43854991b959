// A workspace's automation (this service's extension, docs/event-sources.md) as the dashboard shows it: one row per
// scoring rule (which blobs start which jobs) and per job schedule (when it runs next, what its last run did).
// Pure: no DOM.

export interface DefinitionWire {
  name?: string;
  properties?: Record<string, unknown>;
}

export interface ScoringRuleRowView {
  name: string;
  /** e.g. `mydata/incoming/batch/*.csv` (any account when the rule names none). */
  source: string;
  experiment: string;
  /** `one job per blob`, or `a job per 60 s window, up to 200 blobs` */
  jobs: string;
  enabled: boolean;
  creationTime?: string;
}

export interface JobScheduleRowView {
  name: string;
  schedule: string;
  experiment: string;
  overlap: string;
  enabled: boolean;
  nextRunTime?: string;
  /** The job the last run created, if it created one. */
  lastJob: string;
  /** `created`, `skipped`, `failed: <message>`, with missed due times. */
  lastRun: string;
  lastRunFailed: boolean;
  lastDueTime?: string;
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

function obj(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

export function scoringRuleRow(wire: DefinitionWire): ScoringRuleRowView {
  const p = obj(wire.properties);
  const source = obj(p.source);
  const account = str(source.storageAccount) || '(any account)';
  const pattern = `${str(source.blobPrefix)}*${str(source.blobSuffix)}`;
  const batching = obj(p.batching);
  const window = typeof batching.windowSeconds === 'number' ? batching.windowSeconds : undefined;
  const maxBlobs = typeof batching.maxBlobs === 'number' ? batching.maxBlobs : undefined;
  return {
    name: str(wire.name),
    source: `${account}/${str(source.container)}/${pattern}${source.caseSensitive === true ? ' (case-sensitive)' : ''}`,
    experiment: str(p.experimentName),
    jobs:
      window === undefined
        ? 'one job per blob'
        : `a job per ${window} s window${maxBlobs === undefined ? '' : `, up to ${maxBlobs} blobs`}`,
    enabled: p.enabled !== false,
    creationTime: str(p.creationTime) || undefined,
  };
}

export function jobScheduleRow(wire: DefinitionWire): JobScheduleRowView {
  const p = obj(wire.properties);
  const last = obj(p.lastRun);
  const result = str(last.result);
  const missed = typeof last.missed === 'number' && last.missed > 0 ? last.missed : 0;
  let lastRun = result === 'failed' ? `failed: ${str(last.message) || 'no reason given'}` : result;
  if (result === 'skipped' && str(last.message)) lastRun = `skipped: ${str(last.message)}`;
  if (missed > 0) lastRun += ` (${missed} missed due time${missed === 1 ? '' : 's'} collapsed into it)`;
  return {
    name: str(wire.name),
    schedule: str(p.schedule),
    experiment: str(p.experimentName),
    overlap: str(p.overlapPolicy) || 'skip',
    enabled: p.enabled !== false,
    nextRunTime: str(p.nextRunTime) || undefined,
    lastJob: result === 'created' ? str(last.jobName) : '',
    lastRun: lastRun || 'not run yet',
    lastRunFailed: result === 'failed',
    lastDueTime: str(last.dueTime) || undefined,
  };
}
