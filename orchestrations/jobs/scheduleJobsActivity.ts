// One scheduling pass of a cluster (called only by its scheduler orchestration, so passes never overlap): reads
// the cluster, its nodes and its queued and running jobs, asks the scheduling policy, moves the started jobs to
// `running` on their gang (ETag-checked), tells their lifecycles, and records why every other job still waits.
// Its autoscale demand (jobs that can never fit left out) goes on the cluster record for the cluster monitor: one
// demand figure, so a job larger than the cluster's maximum never scales the pool up.
import * as df from 'durable-functions';
import type { InvocationContext } from '@azure/functions';
import { isTerminal, transitionJob } from '../../shared/domain/jobExecutionState';
import { PreconditionFailedError } from '../../shared/domain/errors';
import type { AutoscaleDemand } from '../../shared/domain/scheduling/schedulingDecision';
import { clusterChangedEvent, clusterMonitorInstanceId } from '../compute/clusterMonitorContract';
import { parseDurationSeconds } from '../../shared/domain/duration';
import { scheduleCluster } from '../../shared/domain/scheduling/schedulingPolicy';
import type { SchedulingInput, WaitingJob } from '../../shared/domain/scheduling/schedulingInput';
import type { WaitReason } from '../../shared/domain/scheduling/schedulingDecision';
import type { ResourceRecord, Stored } from '../../shared/domain/resourceRecord';
import type { JsonObject } from '../../shared/domain/specValidator';
import {
  jobLifecycleInstanceId,
  nodesGrantedEvent,
  scheduleJobsActivityName,
  type NodesGranted,
  type ScheduleJobsResult,
} from './jobLifecycleContract';
import { clusterRefOfKey, updateJob, withAttemptsView } from './jobRecords';
import { getJobServices } from './jobServices';

/** While jobs are queued or running, the scheduler re-checks this often (node changes, missed signals). */
const periodicCheckMs = 10_000;
/**
 * At most this many waiting jobs get their queueInfo rewritten per pass (the first ones in queue order): a pass
 * costs the same with 10 or 1,000 queued jobs, and the positions deeper in the queue catch up on later passes.
 */
const queueInfoWritesPerPass = 32;
/** Parallel record writes within one pass (the grants and queueInfo updates touch distinct jobs). */
const writeConcurrency = 8;

/** Runs `work` over `items`, at most `limit` at a time. */
async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  });
  await Promise.all(lanes);
}

function maxWallClockSeconds(job: ResourceRecord): number | undefined {
  const text = (job.spec.constraints as JsonObject | undefined)?.maxWallClockTime;
  return typeof text === 'string' ? parseDurationSeconds('constraints.maxWallClockTime', text) : undefined;
}

function clusterLimits(cluster: ResourceRecord | undefined): SchedulingInput['limits'] {
  const scale = (cluster?.spec.scaleSettings as JsonObject | undefined) ?? {};
  const manual = scale.manual as JsonObject | undefined;
  const auto = scale.autoScale as JsonObject | undefined;
  if (auto) {
    return {
      maxNodeCount: Number(auto.maximumNodeCount ?? 0),
      minNodeCount: Number(auto.minimumNodeCount ?? 0),
      autoscale: true,
    };
  }
  return { maxNodeCount: Number(manual?.targetNodeCount ?? 0), autoscale: false };
}

/** The waiting explanation shown on a queued job (`properties.queueInfo`): a Batch AI extension. */
export function queueInfoOf(reason: WaitReason): JsonObject {
  const info: JsonObject = {
    position: reason.position,
    reason: reason.code,
    message: reason.message,
    nodesNeeded: reason.nodesNeeded,
    nodesFree: reason.nodesFree,
  };
  if (reason.blockedByJobId) info.blockedByJobId = reason.blockedByJobId;
  if (reason.expectedStartTime) info.expectedStartTime = reason.expectedStartTime;
  return info;
}

/**
 * Writes the demand on the cluster record when it changed (ETag; re-read on a concurrent change) and tells the
 * cluster monitor at once, so a scale up does not wait for its next periodic pass.
 */
async function recordAutoscaleDemand(
  clusterKey: string,
  demand: AutoscaleDemand,
  context: InvocationContext,
): Promise<void> {
  const { store } = getJobServices();
  const ref = clusterRefOfKey(clusterKey);
  for (let attempt = 0; attempt < 10; attempt++) {
    const stored = await store.get(ref);
    if (!stored) return;
    const before = stored.record.cluster?.autoscaleDemand;
    if (
      before?.wantedNodeCount === demand.wantedNodeCount &&
      JSON.stringify(before.unsatisfiableJobIds) === JSON.stringify(demand.unsatisfiableJobIds)
    ) {
      return;
    }
    const record = structuredClone(stored.record);
    record.cluster = {
      ...record.cluster,
      autoscaleDemand: {
        wantedNodeCount: demand.wantedNodeCount,
        unsatisfiableJobIds: demand.unsatisfiableJobIds,
        time: new Date().toISOString(),
      },
    };
    try {
      await store.replace(record, stored.etag);
    } catch (error: unknown) {
      if (error instanceof PreconditionFailedError) continue;
      throw error;
    }
    await df
      .getClient(context)
      .raiseEvent(clusterMonitorInstanceId(clusterKey), clusterChangedEvent, { reason: 'autoscaleDemand' })
      .catch(() => undefined); // no monitor running (yet): its next start reads the record anyway
    return;
  }
}

async function allJobs(clusterKey: string): Promise<Stored[]> {
  const { store } = getJobServices();
  const jobs: Stored[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await store.listJobsByCluster(clusterKey, ['queued', 'running', 'terminating'], {
      maxItems: 500,
      continuationToken,
    });
    jobs.push(...page.items);
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return jobs;
}

/** Sets a queued job's queueInfo: one write with the ETag read by this pass, a re-read only on a conflict. */
async function writeQueueInfo(job: Stored, info: JsonObject): Promise<void> {
  const { store } = getJobServices();
  const change = (current: ResourceRecord): ResourceRecord | undefined =>
    current.job?.executionState === 'queued'
      ? { ...current, status: { ...current.status, queueInfo: info } }
      : undefined;
  const next = change(job.record);
  if (!next) return;
  try {
    await store.replace(next, job.etag);
  } catch (error: unknown) {
    if (!(error instanceof PreconditionFailedError)) throw error;
    await updateJob(store, job.record.ref, change);
  }
}

export async function scheduleJobs(
  clusterKey: string,
  context: InvocationContext,
): Promise<ScheduleJobsResult> {
  const services = getJobServices();
  const cluster = await services.store.get(clusterRefOfKey(clusterKey));
  const jobs = await allJobs(clusterKey);
  const nodes = await services.nodes.list(clusterKey);
  const lowPriority = String(cluster?.record.spec.vmPriority ?? '').toLowerCase() === 'lowpriority';
  const byUuid = new Map(jobs.map((job) => [job.record.job!.uuid, job]));
  const queue: WaitingJob[] = [];
  const running: SchedulingInput['running'] = [];
  for (const { record } of jobs) {
    const runtime = record.job!;
    const current = runtime.attempts[runtime.attempts.length - 1];
    if (runtime.executionState === 'queued') {
      queue.push({
        id: runtime.uuid,
        priority: runtime.priority,
        submitTime: String(record.status.creationTime),
        nodeCount: runtime.nodeCount,
        attempt: runtime.attempts.length + 1,
        maxWallClockSeconds: maxWallClockSeconds(record),
      });
    } else if (current && !current.endTime) {
      running.push({
        jobId: runtime.uuid,
        nodeIds: current.nodeIds,
        startTime: current.startTime ?? String(record.status.executionStateTransitionTime),
        maxWallClockSeconds: maxWallClockSeconds(record),
      });
    }
  }
  const decision = scheduleCluster({
    now: new Date().toISOString(),
    nodes: nodes.map((node) => ({ id: node.nodeId, state: node.state, lowPriority })),
    running,
    queue,
    limits: clusterLimits(cluster?.record),
  });
  await recordAutoscaleDemand(clusterKey, decision.autoscale, context);
  const client = df.getClient(context);
  const started: string[] = [];
  // Each start touches its own job and nodes (the policy already made the decisions): grant them in parallel.
  await forEachLimited(decision.starts, writeConcurrency, async (start) => {
    const job = byUuid.get(start.jobId)!;
    const instanceId = jobLifecycleInstanceId(start.jobId);
    // A job queued a moment ago may not have its lifecycle yet: it asks for scheduling once it exists.
    if (!(await client.getStatus(instanceId).catch(() => undefined))) return;
    const stored = await updateJob(services.store, job.record.ref, (current) => {
      if (current.job?.executionState !== 'queued' || current.job.attempts.length + 1 !== start.attempt) {
        return undefined; // terminated or started meanwhile: not ours to start
      }
      const next = transitionJob(current, 'running', { at: new Date(), nodeIds: start.nodeIds });
      delete next.status.queueInfo;
      return withAttemptsView(next);
    });
    const runtime = stored?.record.job;
    if (!runtime || runtime.executionState !== 'running' || runtime.attempts.length !== start.attempt) return;
    const granted: NodesGranted = { attempt: start.attempt, nodeIds: start.nodeIds };
    started.push(start.jobId);
    context.log(`Job ${job.record.armId} attempt ${start.attempt} granted nodes ${start.nodeIds.join(', ')}`);
    try {
      await client.raiseEvent(instanceId, nodesGrantedEvent, granted);
    } catch (error: unknown) {
      // The job is recorded running on its nodes: its lifecycle finds that when it re-checks its record.
      context.warn(`Could not tell ${instanceId} about its nodes: ${(error as Error).message}`);
    }
  });
  const changed = decision.waiting
    .map(({ jobId, reason }) => ({ job: byUuid.get(jobId), info: queueInfoOf(reason) }))
    .filter(({ job, info }) => job && JSON.stringify(job.record.status.queueInfo) !== JSON.stringify(info))
    .slice(0, queueInfoWritesPerPass);
  await forEachLimited(changed, writeConcurrency, ({ job, info }) => writeQueueInfo(job!, info));
  const active = jobs.filter((job) => !isTerminal(job.record.job!.executionState)).length;
  return { activeJobs: active, started, nextCheckMs: periodicCheckMs };
}

df.app.activity(scheduleJobsActivityName, {
  extraInputs: [df.input.durableClient()],
  handler: (clusterKey: string, context: InvocationContext) => scheduleJobs(clusterKey, context),
});
