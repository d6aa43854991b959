// The job execution state machine (Batch AI executionState). The API creates jobs `queued`; the lifecycle moves
// them on with `transitionJob` and writes the result with the record's ETag, so two writers cannot both win.
import { ConflictError } from './errors';
import type { ExecutionState, JobAttempt, ResourceRecord } from './resourceRecord';

const allowed: Record<ExecutionState, ExecutionState[]> = {
  // queued -> failed: terminated before it started, or a launch error.
  queued: ['running', 'terminating', 'failed'],
  // running -> queued: a lost or preempted node puts the job back in the queue.
  running: ['succeeded', 'failed', 'terminating', 'queued'],
  terminating: ['failed', 'succeeded'],
  succeeded: [],
  failed: [],
};

export function isTerminal(state: ExecutionState): boolean {
  return allowed[state].length === 0;
}

export interface TransitionDetails {
  at: Date;
  exitCode?: number;
  errors?: { code: string; message: string; details?: { name: string; value: string }[] }[];
  /** For -> running: the nodes of the new attempt. */
  nodeIds?: string[];
  /** Why an attempt ended (recorded on the current attempt). */
  outcome?: string;
  /** What happened to a preempted attempt's nodes (recorded on the current attempt). */
  reason?: string;
}

/** Returns a new job record in state `to`, or throws ConflictError for a transition the machine does not allow. */
export function transitionJob(
  job: ResourceRecord,
  to: ExecutionState,
  details: TransitionDetails,
): ResourceRecord {
  if (!job.job) throw new Error(`transitionJob needs a job record; '${job.armId}' is a ${job.kind}.`);
  const from = job.job.executionState;
  if (!allowed[from].includes(to)) {
    throw new ConflictError(
      'InvalidJobStateTransition',
      `The job '${job.ref.name}' cannot go from '${from}' to '${to}'.`,
      'executionState',
    );
  }
  const next = structuredClone(job);
  const runtime = next.job!;
  const at = details.at.toISOString();
  runtime.executionState = to;
  next.status.executionState = to;
  // Never dated before the transition it follows: an attempt's end is dated at its last exit, which may come
  // before a terminate that arrived after it (the job then went terminating -> succeeded).
  const previous = Date.parse(String(job.status.executionStateTransitionTime ?? ''));
  next.status.executionStateTransitionTime =
    previous > details.at.getTime() ? new Date(previous).toISOString() : at;
  const current: JobAttempt | undefined = runtime.attempts[runtime.attempts.length - 1];
  const info = { ...((next.status.executionInfo as Record<string, unknown> | undefined) ?? {}) };
  if (to === 'running') {
    runtime.attempts.push({
      attempt: runtime.attempts.length + 1,
      startTime: at,
      nodeIds: details.nodeIds ?? [],
    });
    info.startTime = at;
    delete info.endTime;
    delete info.exitCode;
  } else if (to === 'queued' && current && !current.endTime) {
    current.endTime = at;
    current.outcome = details.outcome ?? 'requeued';
    if (details.reason) current.reason = details.reason;
  } else if (to === 'succeeded' || to === 'failed') {
    info.endTime = at;
    if (details.exitCode !== undefined) info.exitCode = details.exitCode;
    if (current && !current.endTime) {
      current.endTime = at;
      current.exitCode = details.exitCode;
      current.outcome = details.outcome ?? to;
      if (details.reason) current.reason = details.reason;
    }
  }
  if (details.errors) info.errors = details.errors;
  if (Object.keys(info).length > 0) next.status.executionInfo = info as never;
  // Why a job waits is only true while it waits (a job terminated in the queue ends with its last reason otherwise).
  if (to !== 'queued') delete next.status.queueInfo;
  return next;
}
