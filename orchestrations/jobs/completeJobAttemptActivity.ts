// Ends a job attempt: collects its outputs (local nodes; their temp directory goes once the job ended), records how it ended (`succeeded` or `failed` with exit
// code, end time and errors: the stderr tail of the failing process, termination, wall-clock limit; or back to
// `queued` after a preemption) and asks the cluster's scheduler for a pass, since the attempt's nodes are free
// (unless its tasks' exits handed them back already, which told the scheduler then).
// Only the job's current attempt may write: a stale attempt (the job was requeued or recreated) changes nothing.
// Writes are ETag-checked read-modify-writes; every step is idempotent, so a retried activity is harmless.
// With Application Insights, the attempt's end is reported once: an event in the job's trace and the queue wait,
// attempt and job duration metrics (docs/observability.md).
import * as df from 'durable-functions';
import type { InvocationContext } from '@azure/functions';
import type { BlobPath } from '../../shared/contracts/nodeTask';
import { isTerminal } from '../../shared/domain/jobExecutionState';
import type { ResourceRecord } from '../../shared/domain/resourceRecord';
import { invocationTelemetry } from '../../shared/telemetry/invocationTracing';
import type { Telemetry } from '../../shared/telemetry/telemetry';
import { getTelemetry, telemetryExported } from '../../shared/telemetry/telemetryFactory';
import {
  completeJobAttemptActivityName,
  type CompleteJobAttemptInput,
  type JobStateView,
} from './jobLifecycleContract';
import { completedRecord } from './attemptCompletion';
import { collectJobOutputs, removeLocalJobTemp } from './collectJobOutputs';
import { requestJobScheduling } from './requestJobSchedulingActivity';
import { jobRefOf, updateJob } from './jobRecords';
import { getJobServices } from './jobServices';

/** How much of the failing process's stderr goes into executionInfo.errors. */
const stderrTailBytes = 2048;

async function stderrTail(path: BlobPath | undefined): Promise<string | undefined> {
  if (!path) return undefined;
  const blob = getJobServices().blobs.getContainerClient(path.container).getBlobClient(path.name);
  try {
    const size = (await blob.getProperties()).contentLength ?? 0;
    if (size === 0) return undefined;
    const offset = Math.max(0, size - stderrTailBytes);
    const text = (await blob.downloadToBuffer(offset, size - offset)).toString('utf8');
    return offset > 0 ? `...${text}` : text;
  } catch (error: unknown) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}

export async function completeJobAttempt(
  input: CompleteJobAttemptInput,
  context: InvocationContext,
): Promise<JobStateView> {
  const view = await recordAttemptEnd(input, context);
  // Nodes handed back by their tasks' exits were announced to the scheduler then (node-events trigger).
  const outcome = input.outcome;
  const announced = (outcome.kind === 'succeeded' || outcome.kind === 'failed') && outcome.nodesHandedBack;
  if (!announced) await requestJobScheduling(input.lifecycle.clusterKey, context);
  return view;
}

async function recordAttemptEnd(
  input: CompleteJobAttemptInput,
  context: InvocationContext,
): Promise<JobStateView> {
  const { store, config } = getJobServices();
  const ref = jobRefOf(input.lifecycle.job);
  // The outputs need only the job's settings, which never change: the record as this process last saw it serves
  // (unless it belongs to another job of the same name), and the update below checks its ETag anyway.
  const found = await store.getForUpdate(ref);
  const read =
    found?.recalled && found.stored.record.job?.uuid !== input.lifecycle.jobUuid
      ? await store.get(ref)
      : found?.stored;
  await collectJobOutputs(input, read?.record);
  const outcome = input.outcome;
  const tail = outcome.kind === 'failed' ? await stderrTail(outcome.stderrOf) : undefined;
  const stored = await updateJob(store, ref, (current) =>
    completedRecord(current, input, { at: new Date(), stderrTail: tail, maxAttempts: config.maxAttempts }),
  );
  const runtime = stored?.record.job;
  if (!runtime || runtime.uuid !== input.lifecycle.jobUuid)
    return { state: 'missing', attempt: 0, nodeIds: [] };
  if (isTerminal(runtime.executionState)) await removeLocalJobTemp(input.lifecycle.clusterKey, runtime.uuid);
  if (telemetryExported()) reportAttemptEnd(invocationTelemetry(context), input, read?.record, stored.record);
  const current = runtime.attempts[runtime.attempts.length - 1];
  return { state: runtime.executionState, attempt: runtime.attempts.length, nodeIds: current?.nodeIds ?? [] };
}

df.app.activity(completeJobAttemptActivityName, {
  extraInputs: [df.input.durableClient()],
  handler: completeJobAttempt,
});

/** Seconds from one ISO time to another; undefined when either is missing. */
function secondsBetween(from: unknown, to: unknown): number | undefined {
  if (typeof from !== 'string' || typeof to !== 'string') return undefined;
  const seconds = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

/**
 * The attempt's end, once (a retried activity finds it recorded already in the record it read): `JobAttemptEnded`
 * in the job's trace; `JobAttemptSeconds` (its start to its end), at the first attempt's end `JobQueueWaitSeconds`
 * (submission to first start), at the job's end `JobDurationSeconds` (first start to end). Dimensions: the
 * cluster's ARM id and the outcome.
 */
function reportAttemptEnd(
  telemetry: Telemetry,
  input: CompleteJobAttemptInput,
  before: ResourceRecord | undefined,
  after: ResourceRecord,
): void {
  const runtime = after.job;
  const attempt = runtime?.attempts[input.attempt - 1];
  if (!runtime || !attempt?.endTime) return;
  const earlier = before?.job?.uuid === runtime.uuid ? before.job.attempts[input.attempt - 1] : undefined;
  if (earlier?.endTime) return;
  const cluster = runtime.clusterId;
  const outcome = attempt.outcome ?? input.outcome.kind;
  const attemptSeconds = secondsBetween(attempt.startTime, attempt.endTime);
  const queueWaitSeconds =
    input.attempt === 1 ? secondsBetween(after.status.creationTime, attempt.startTime) : undefined;
  const jobEnded = runtime.executionState === 'succeeded' || runtime.executionState === 'failed';
  const jobSeconds = jobEnded ? secondsBetween(runtime.attempts[0]?.startTime, attempt.endTime) : undefined;
  const measurements: Record<string, number> = {};
  if (attemptSeconds !== undefined) measurements.attemptSeconds = attemptSeconds;
  if (queueWaitSeconds !== undefined) measurements.queueWaitSeconds = queueWaitSeconds;
  if (jobSeconds !== undefined) measurements.jobSeconds = jobSeconds;
  telemetry.event(
    'JobAttemptEnded',
    {
      jobId: after.armId,
      cluster,
      attempt: input.attempt,
      outcome,
      exitCode: attempt.exitCode,
      executionState: runtime.executionState,
    },
    measurements,
  );
  // Metrics from the process telemetry: the invocation's properties would make every value its own series.
  const metrics = getTelemetry();
  if (attemptSeconds !== undefined) metrics.metric('JobAttemptSeconds', attemptSeconds, { cluster, outcome });
  if (queueWaitSeconds !== undefined) metrics.metric('JobQueueWaitSeconds', queueWaitSeconds, { cluster });
  if (jobSeconds !== undefined) {
    metrics.metric('JobDurationSeconds', jobSeconds, { cluster, outcome: runtime.executionState });
  }
}
