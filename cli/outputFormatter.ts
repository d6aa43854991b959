// Renders command results like az: resources flattened as the Azure SDK models show them (`properties` merged into
// the top level, `resourceGroup` added), then printed as json (default), table (per-resource columns) or tsv.
import { UsageError } from './usageError';

export type OutputFormat = 'json' | 'table' | 'tsv' | 'none';
export const OUTPUT_FORMATS: readonly string[] = ['json', 'jsonc', 'table', 'tsv', 'none'];

export type OutputView =
  | 'workspace'
  | 'experiment'
  | 'cluster'
  | 'fileServer'
  | 'job'
  | 'file'
  | 'node'
  | 'usage'
  | 'operation'
  | 'sweep'
  | 'trial'
  | 'scoringRule'
  | 'jobSchedule'
  | 'roleAssignment';

type Row = Record<string, unknown>;

interface Column {
  header: string;
  value(row: Row): unknown;
}

const field =
  (...path: string[]) =>
  (row: Row): unknown =>
    path.reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Row)[key] : undefined), row);

/** Segment of an ARM id after `key` (e.g. resourceGroups), case-insensitive. */
function idSegment(id: unknown, key: string): string | undefined {
  if (typeof id !== 'string') return undefined;
  const parts = id.split('/');
  const i = parts.findIndex((p) => p.toLowerCase() === key.toLowerCase());
  return i >= 0 ? parts[i + 1] : undefined;
}

const views: Record<OutputView, Column[]> = {
  workspace: [
    { header: 'Name', value: field('name') },
    { header: 'Resource Group', value: field('resourceGroup') },
    { header: 'Location', value: field('location') },
    { header: 'State', value: field('provisioningState') },
  ],
  experiment: [
    { header: 'Name', value: field('name') },
    { header: 'Resource Group', value: field('resourceGroup') },
    { header: 'Workspace', value: (r) => idSegment(r.id, 'workspaces') },
    { header: 'State', value: field('provisioningState') },
  ],
  cluster: [
    { header: 'Name', value: field('name') },
    { header: 'Resource Group', value: field('resourceGroup') },
    { header: 'Workspace', value: (r) => idSegment(r.id, 'workspaces') },
    { header: 'VM Size', value: field('vmSize') },
    { header: 'State', value: field('allocationState') },
    { header: 'Target', value: scaleTarget },
    { header: 'Idle', value: field('nodeStateCounts', 'idleNodeCount') },
    { header: 'Running', value: field('nodeStateCounts', 'runningNodeCount') },
    { header: 'Preparing', value: field('nodeStateCounts', 'preparingNodeCount') },
    { header: 'Leaving', value: field('nodeStateCounts', 'leavingNodeCount') },
    { header: 'Unusable', value: field('nodeStateCounts', 'unusableNodeCount') },
    { header: 'Errors', value: errorCodes },
  ],
  fileServer: [
    { header: 'Name', value: field('name') },
    { header: 'Resource Group', value: field('resourceGroup') },
    { header: 'Size', value: field('vmSize') },
    {
      header: 'Disks',
      value: (r) => {
        const disks = field('dataDisks')(r) as Row | undefined;
        return disks ? `${String(disks.diskCount)} x ${String(disks.diskSizeInGB)} GB` : undefined;
      },
    },
    { header: 'Public IP', value: field('mountSettings', 'fileServerPublicIP') },
    { header: 'Internal IP', value: field('mountSettings', 'fileServerInternalIP') },
    { header: 'Mount Point', value: field('mountSettings', 'mountPoint') },
    { header: 'State', value: field('provisioningState') },
  ],
  job: [
    { header: 'Name', value: field('name') },
    { header: 'Cluster', value: (r) => idSegment(field('cluster', 'id')(r), 'clusters') },
    { header: 'Cluster RG', value: (r) => idSegment(field('cluster', 'id')(r), 'resourceGroups') },
    { header: 'Cluster Workspace', value: (r) => idSegment(field('cluster', 'id')(r), 'workspaces') },
    { header: 'Tool', value: field('toolType') },
    { header: 'Nodes', value: field('nodeCount') },
    { header: 'State', value: field('executionState') },
    { header: 'Exit code', value: field('executionInfo', 'exitCode') },
    { header: 'Attempts', value: (r) => (Array.isArray(r.attempts) ? r.attempts.length : undefined) },
    { header: 'Wait reason', value: waitReason },
  ],
  file: [
    { header: 'Name', value: field('name') },
    { header: 'Type', value: field('fileType') },
    { header: 'Size', value: field('contentLength') },
    { header: 'Modified', value: field('lastModified') },
  ],
  node: [
    { header: 'ID', value: field('nodeId') },
    { header: 'IP', value: field('ipAddress') },
    { header: 'SSH Port', value: field('port') },
  ],
  usage: [
    { header: 'Name', value: field('name', 'localizedValue') },
    { header: 'Current', value: field('currentValue') },
    { header: 'Limit', value: field('limit') },
  ],
  operation: [
    { header: 'Name', value: field('name') },
    { header: 'Description', value: field('display', 'description') },
  ],
  sweep: [
    { header: 'Name', value: field('name') },
    { header: 'Experiment', value: (r) => idSegment(r.id, 'experiments') },
    { header: 'State', value: field('executionState') },
    { header: 'Trials', value: (r) => trialTotal(field('trialCounts')(r)) },
    { header: 'Not started', value: field('trialCounts', 'notStarted') },
    { header: 'Running', value: field('trialCounts', 'running') },
    { header: 'Succeeded', value: field('trialCounts', 'succeeded') },
    { header: 'Failed', value: field('trialCounts', 'failed') },
    { header: 'Best trial', value: field('bestTrial', 'name') },
    { header: 'Best metric', value: field('bestTrial', 'metric') },
  ],
  trial: [
    { header: 'Name', value: field('name') },
    { header: 'State', value: field('state') },
    { header: 'Metric', value: field('metric') },
    { header: 'Step', value: field('step') },
    { header: 'Parameters', value: (r) => parameterText(r.parameters) },
    { header: 'Reason', value: field('reason') },
  ],
  scoringRule: [
    { header: 'Name', value: field('name') },
    { header: 'Resource Group', value: field('resourceGroup') },
    { header: 'Experiment', value: field('experimentName') },
    { header: 'Container', value: field('source', 'container') },
    { header: 'Prefix', value: field('source', 'blobPrefix') },
    { header: 'Enabled', value: field('enabled') },
  ],
  jobSchedule: [
    { header: 'Name', value: field('name') },
    { header: 'Resource Group', value: field('resourceGroup') },
    { header: 'Experiment', value: field('experimentName') },
    { header: 'Schedule', value: field('schedule') },
    { header: 'Enabled', value: field('enabled') },
    { header: 'Next run', value: field('nextRunTime') },
    { header: 'Last job', value: field('lastJobName') },
  ],
  roleAssignment: [
    { header: 'Principal', value: field('principalId') },
    { header: 'Type', value: field('principalType') },
    { header: 'Role', value: field('role') },
    { header: 'Workspace', value: (r) => idSegment(r.id, 'workspaces') },
  ],
};

/** A queued job's wait: the reason code and its queue position, e.g. `InsufficientFreeNodes (#2)`. */
function waitReason(row: Row): string | undefined {
  const info = row.queueInfo as Row | undefined;
  if (!info || typeof info.reason !== 'string') return undefined;
  return typeof info.position === 'number' ? `${info.reason} (#${info.position})` : info.reason;
}

/** A resource's `errors` by their codes, e.g. `CoreQuotaReached, NodeSetupTaskFailed` (`show` has the messages). */
function errorCodes(row: Row): string | undefined {
  const errors = row.errors;
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  return errors.map((error) => String((error as Row | null)?.code ?? '?')).join(', ');
}

/** What the cluster scales to: the manual target node count, or `min-max (auto)` for auto-scale. */
function scaleTarget(row: Row): string | undefined {
  const manual = field('scaleSettings', 'manual', 'targetNodeCount')(row);
  if (typeof manual === 'number') return String(manual);
  const auto = field('scaleSettings', 'autoScale')(row) as Row | undefined;
  if (auto && typeof auto === 'object')
    return `${String(auto.minimumNodeCount ?? 0)}-${String(auto.maximumNodeCount ?? '?')} (auto)`;
  return undefined;
}

/**
 * The trials created so far (every state but notStarted). notStarted counts the trials still to come while the
 * sweep runs and drops to 0 when it is cancelled, so a total including it would shrink on cancel.
 */
function trialTotal(counts: unknown): number | undefined {
  if (!counts || typeof counts !== 'object') return undefined;
  return Object.entries(counts as Row).reduce<number>(
    (sum, [state, n]) => sum + (state !== 'notStarted' && typeof n === 'number' ? n : 0),
    0,
  );
}

/** `lr=0.01 layers=3`: a trial's parameter values on one line. */
function parameterText(parameters: unknown): string | undefined {
  if (!parameters || typeof parameters !== 'object') return undefined;
  return Object.entries(parameters as Row)
    .map(([name, value]) => `${name}=${String(value)}`)
    .join(' ');
}

/** A resource as az shows it: `properties` merged into the top level, `resourceGroup` taken from the id. */
export function flattenResource(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(flattenResource);
  if (!value || typeof value !== 'object') return value;
  const { properties, ...rest } = value as Row;
  if (!properties || typeof properties !== 'object' || Array.isArray(properties)) return value;
  const flat: Row = { ...rest, ...(properties as Row) };
  const resourceGroup = idSegment(rest.id, 'resourceGroups');
  if (resourceGroup !== undefined) flat.resourceGroup = resourceGroup;
  return flat;
}

export function parseOutputFormat(raw: string): OutputFormat {
  const format = raw.toLowerCase();
  if (format === 'jsonc' || format === 'json') return 'json';
  if (format === 'table' || format === 'tsv' || format === 'none') return format;
  throw new UsageError(`--output/-o: invalid choice '${raw}'; allowed values: ${OUTPUT_FORMATS.join(', ')}`);
}

/** The text to print (ending with a newline), or '' for nothing. */
export function formatOutput(value: unknown, format: OutputFormat, view?: OutputView): string {
  if (value === undefined || format === 'none') return '';
  if (format === 'json') return `${JSON.stringify(value, null, 2)}\n`;
  const rows = Array.isArray(value) ? value : [value];
  if (format === 'tsv') return rows.map((row) => `${tsvLine(row)}\n`).join('');
  return formatTable(rows, view);
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** az's tsv: the scalar fields of an object in order (nested objects left out), or a scalar as is. */
function tsvLine(row: unknown): string {
  if (row === null || typeof row !== 'object') return cell(row);
  if (Array.isArray(row)) return row.map(cell).join('\t');
  return Object.values(row as Row)
    .filter((v) => v === null || typeof v !== 'object')
    .map(cell)
    .join('\t');
}

function formatTable(rows: unknown[], view?: OutputView): string {
  if (rows.length === 0) return '';
  if (rows.some((r) => r === null || typeof r !== 'object' || Array.isArray(r))) {
    return rows.map((r) => `${cell(r)}\n`).join('');
  }
  const objects = rows as Row[];
  const columns: Column[] = view
    ? views[view]
    : [
        ...new Set(
          objects.flatMap((r) => Object.keys(r).filter((k) => r[k] === null || typeof r[k] !== 'object')),
        ),
      ].map((key) => ({ header: key, value: field(key) }));
  const cells = objects.map((row) => columns.map((c) => cell(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i].length)));
  const line = (values: string[]): string =>
    values
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [
    line(columns.map((c) => c.header)),
    line(widths.map((w) => '-'.repeat(w))),
    ...cells.map((r) => line(r)),
  ]
    .map((l) => `${l}\n`)
    .join('');
}
