// A job as one row of the jobs table and the head of its detail page: the wire resource flattened into the
// texts the dashboard shows (state, priority, cluster, nodes, times, exit code, why it still waits).
import type { StateView } from './resourceStates';

export interface JobWire {
  id?: string;
  name?: string;
  properties?: Record<string, unknown>;
}

export interface JobRowView {
  name: string;
  experiment: string;
  executionState: string;
  /** Filled by the caller from resourceStates (kept out of here so this module has no runtime imports). */
  state?: StateView;
  priority: string;
  cluster: string;
  nodeCount: string;
  toolType: string;
  creationTime?: string;
  startTime?: string;
  endTime?: string;
  exitCode: string;
  waitReason: string;
  errors: string[];
  /** The errors' details (`executionInfo.errors[].details`), e.g. a failed job's stderr excerpt. */
  errorDetails: { name: string; value: string }[];
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

function segmentAfter(id: string, key: string): string {
  const parts = id.split('/');
  const i = parts.findIndex((p) => p.toLowerCase() === key);
  return i >= 0 && i + 1 < parts.length ? decodeURIComponent(parts[i + 1]) : '';
}

/** The wait explanation of a queued job (`properties.queueInfo`, this service's extension of Batch AI). */
export function waitReasonText(queueInfo: unknown): string {
  if (!queueInfo || typeof queueInfo !== 'object') return '';
  const q = queueInfo as Record<string, unknown>;
  // The scheduler's message already says the position; a bare reason code gets it added.
  if (str(q.message)) return str(q.message);
  const position = typeof q.position === 'number' ? `#${q.position} in queue` : '';
  return [position, str(q.reason)].filter((s) => s !== '').join(': ');
}

export function jobRow(job: JobWire): JobRowView {
  const p = job.properties ?? {};
  const info = (p.executionInfo as Record<string, unknown> | undefined) ?? {};
  const cluster = (p.cluster as { id?: unknown } | undefined)?.id;
  const state = str(p.executionState);
  const errors = Array.isArray(info.errors)
    ? info.errors.map((e) => {
        const err = (e ?? {}) as Record<string, unknown>;
        return [str(err.code), str(err.message)].filter((s) => s !== '').join(': ');
      })
    : [];
  const errorDetails = Array.isArray(info.errors)
    ? info.errors.flatMap((e) => {
        const details = ((e ?? {}) as Record<string, unknown>).details;
        return Array.isArray(details)
          ? details
              .map((d) => (d ?? {}) as Record<string, unknown>)
              .map((d) => ({ name: str(d.name), value: str(d.value) }))
              .filter((d) => d.value !== '')
          : [];
      })
    : [];
  return {
    name: str(job.name) || segmentAfter(str(job.id), 'jobs'),
    experiment: segmentAfter(str(job.id), 'experiments'),
    executionState: state,
    priority: str(p.schedulingPriority) || 'normal',
    cluster: typeof cluster === 'string' ? segmentAfter(cluster, 'clusters') || cluster : '',
    nodeCount: str(p.nodeCount),
    toolType: str(p.toolType),
    creationTime: str(p.creationTime) || undefined,
    startTime: str(info.startTime) || undefined,
    endTime: str(info.endTime) || undefined,
    exitCode: str(info.exitCode),
    waitReason: state === 'queued' ? waitReasonText(p.queueInfo) : '',
    errors,
    errorDetails,
  };
}

/** Newest first (creation time), then by name, so the table keeps its order between refreshes. */
export function sortJobsNewestFirst<T extends JobRowView>(rows: T[]): T[] {
  return [...rows].sort(
    (a, b) => (b.creationTime ?? '').localeCompare(a.creationTime ?? '') || a.name.localeCompare(b.name),
  );
}
