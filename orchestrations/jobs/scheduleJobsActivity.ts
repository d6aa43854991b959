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
import { jobSlotsPerNode } from '../../shared/domain/clusterRules';
import { scheduleCluster } from '../../shared/domain/scheduling/schedulingPolicy';
import type { SchedulingInput, WaitingJob } from '../../shared/domain/scheduling/schedulingInput';
import type { WaitReason } from '../../shared/domain/scheduling/schedulingDecision';
import type { ResourceRecord, Stored } from '../../shared/domain/resourceRecord';
import type { JobQueueEntry } from '../../shared/ports/resourceStore';
import type { JsonObject } from '../../shared/domain/specValidator';
import { notYetConsideredQueueInfo } from '../../shared/domain/services/resourceView';
import {
  handedBack,
  jobLifecycleInstanceId,
  jobLifecycleName,
  nodesGrantedEvent,
  scheduleJobsActivityName,
  type JobLifecycleInput,
  type LaunchJobTasksInput,
  type NodesGranted,
  type ScheduleJobsResult,
  type TaskPhase,
} from './jobLifecycleContract';
import { launchJobTasks } from './launchJobTasksActivity';
import { jobRefWireOf } from '../../shared/contracts/jobCommand';
import { clusterRefOfKey, updateJob, withAttemptsView } from './jobRecords';
import { getJobServices } from './jobServices';
import { durableClientOf } from '../durableClientOf';
import { restartJobLifecycle } from './jobCommandRunner';
import { isActiveStatus } from '../startOrSignal';
import { runInTraceContext } from '../../shared/telemetry/traceContextPropagation';

/**
 * A pass that is not due to explain the queue (housekeeping, below) reads the cluster's maximum node count (times
 * its job slots per node) plus this many waiting jobs: every job that could start on the nodes, with some
 * look-ahead. It reads the whole look-ahead (`queueLookAhead`) only when that head leaves nodes free (a job further
 * back may backfill them) or started every job it read. Most passes of a busy cluster start one job on the node an
 * exit freed, or none, and need no more.
 */
const quickLookAhead = 8;
/** While jobs are queued or running, the scheduler re-checks this often (node changes, missed signals). */
const periodicCheckMs = 10_000;
/**
 * At most this many waiting jobs get their queueInfo rewritten per pass (the first ones in queue order): with the
 * bounded read of the queue's head, a pass costs about the same with 10 or 100,000 queued jobs.
 */
const queueInfoWritesPerPass = 32;

/** How old the explanation of a job too large for its cluster may grow before a pass writes it again. */
const oversizedRefreshMs = 5 * 60_000;
const lastHousekeeping = new Map<string, number>();

/**
 * Whether this pass also looks beyond the head (jobs too large for the cluster, jobs the head left behind) and
 * reads the whole look-ahead (the explanations of the jobs behind the first few): queries not needed at every pass
 * of a busy queue, done every `SCHEDULER_HOUSEKEEPING_SECONDS`. Per process; another instance looking too is
 * harmless.
 */
function housekeepingDue(clusterKey: string, nowMs: number, everyMs: number): boolean {
  const last = lastHousekeeping.get(clusterKey);
  if (last !== undefined && nowMs - last < everyMs) return false;
  if (lastHousekeeping.size > 10_000) lastHousekeeping.clear();
  lastHousekeeping.set(clusterKey, nowMs);
  return true;
}
/**
 * A queueInfo whose reason is unchanged (only the position, the free node count or the expected start moved) is
 * rewritten at most this often: in a busy queue every start moves every position, and one write per queued job per
 * start would cost more than the jobs. A new reason is written at the next pass.
 */
const queueInfoRefreshMs = 15_000;
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

function maxWallClockSeconds(entry: JobQueueEntry): number | undefined {
  const text = entry.maxWallClockTime;
  return typeof text === 'string' ? parseDurationSeconds('constraints.maxWallClockTime', text) : undefined;
}

function clusterLimits(
  cluster: ResourceRecord | undefined,
): SchedulingInput['limits'] & Required<Omit<SchedulingInput['limits'], 'quotaNodeCount'>> {
  const scale = (cluster?.spec.scaleSettings as JsonObject | undefined) ?? {};
  const manual = scale.manual as JsonObject | undefined;
  const auto = scale.autoScale as JsonObject | undefined;
  const slotsPerNode = cluster ? jobSlotsPerNode(cluster.spec) : 1;
  // The cluster monitor's word that the core quota holds its growth back (explains the first job's wait).
  const quota = cluster?.cluster?.quotaHold;
  const quotaNodeCount = quota ? { quotaNodeCount: quota.nodeCount } : {};
  if (auto) {
    return {
      maxNodeCount: Number(auto.maximumNodeCount ?? 0),
      minNodeCount: Number(auto.minimumNodeCount ?? 0),
      autoscale: true,
      slotsPerNode,
      ...quotaNodeCount,
    };
  }
  return {
    maxNodeCount: Number(manual?.targetNodeCount ?? 0),
    minNodeCount: 0,
    autoscale: false,
    slotsPerNode,
    ...quotaNodeCount,
  };
}

/** The waiting explanation shown on a queued job (`properties.queueInfo`): a Batch AI extension. */
export function queueInfoOf(
  reason: WaitReason,
  updatedTime: string,
  /** A job's name by its GUID: the message names the jobs it waits for as their users know them. */
  nameOf: (jobId: string) => string | undefined = () => undefined,
): JsonObject {
  let message = reason.message;
  for (const id of [reason.blockedByJobId, ...(reason.waitingForJobIds ?? [])]) {
    const name = id === undefined ? undefined : nameOf(id);
    if (id && name) message = message.replaceAll(id, name);
  }
  const info: JsonObject = {
    position: reason.position,
    reason: reason.code,
    message,
    nodesNeeded: reason.nodesNeeded,
    nodesFree: reason.nodesFree,
  };
  if (reason.blockedByJobId) info.blockedByJobId = reason.blockedByJobId;
  if (reason.expectedStartTime) info.expectedStartTime = reason.expectedStartTime;
  info.updatedTime = updatedTime;
  return info;
}

/**
 * Whether a waiting job's stored queueInfo must be rewritten: 'reason' when the reason itself changed (its code or
 * the nodes it needs), 'refresh' when only its figures moved (position, free nodes, the job holding the
 * reservation, the expected start) and the stored one is older than queueInfoRefreshMs, undefined when it can stay.
 */
export function queueInfoChange(
  stored: JsonObject | undefined,
  next: JsonObject,
  nowMs: number,
): 'reason' | 'refresh' | undefined {
  if (!stored) return 'reason';
  const keys = ['reason', 'nodesNeeded'] as const;
  if (keys.some((key) => stored[key] !== next[key])) return 'reason';
  const figures = (info: JsonObject): string => JSON.stringify({ ...info, updatedTime: undefined });
  if (figures(stored) === figures(next)) return undefined;
  const at = Date.parse(String(stored.updatedTime ?? ''));
  return Number.isNaN(at) || nowMs - at >= queueInfoRefreshMs ? 'refresh' : undefined;
}

/**
 * Writes the demand on the cluster record when it changed what the cluster monitor does with it (the wanted node
 * count clamped to the autoscale range; ETag, re-read on a concurrent change) and tells
 * the monitor at once, so a scale up does not wait for its next periodic pass. A manual-scale cluster does not
 * follow demand: nothing to write (each started job would otherwise change it, and wake the monitor).
 */
async function recordAutoscaleDemand(
  clusterKey: string,
  read: Stored | undefined,
  limits: SchedulingInput['limits'],
  demand: AutoscaleDemand,
  context: InvocationContext,
): Promise<void> {
  if (!limits.autoscale) return;
  const clamp = (wanted: number): number =>
    Math.min(limits.maxNodeCount, Math.max(limits.minNodeCount ?? 0, wanted));
  const { store } = getJobServices();
  const ref = clusterRefOfKey(clusterKey);
  let stored = read; // the pass's read first; re-read only after a concurrent change
  for (let attempt = 0; attempt < 10; attempt++, stored = await store.get(ref)) {
    if (!stored) return;
    const before = stored.record.cluster?.autoscaleDemand;
    // The monitor follows the wanted count only; the unsatisfiable jobs ride along (as the pass that last changed
    // the count saw them: a pass sees the jobs too large for the cluster only now and then).
    if (before !== undefined && clamp(before.wantedNodeCount) === clamp(demand.wantedNodeCount)) return;
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
    await durableClientOf(context)
      .raiseEvent(clusterMonitorInstanceId(clusterKey), clusterChangedEvent, { reason: 'autoscaleDemand' })
      .catch(() => undefined); // no monitor running (yet): its next start reads the record anyway
    return;
  }
}

/**
 * Sets a queued job's queueInfo: one partial update with the ETag this pass read; on a conflict (the job changed
 * meanwhile) a read-modify-write that leaves a job no longer queued alone.
 */
async function writeQueueInfo(entry: JobQueueEntry, info: JsonObject): Promise<void> {
  const { store } = getJobServices();
  if (await store.setJobQueueInfo(entry.ref, entry.etag, info)) return;
  const change = (current: ResourceRecord): ResourceRecord | undefined =>
    current.job?.executionState === 'queued' && current.job.uuid === entry.job.uuid
      ? { ...current, status: { ...current.status, queueInfo: info } }
      : undefined;
  await updateJob(store, entry.ref, change);
}

/** Queued jobs of a deleted cluster failed per pass (the next pass, 10 s later, takes the next ones). */
const deletedClusterFailuresPerPass = 500;

/**
 * The cluster was deleted: its waiting jobs can never run, so they fail with `ClusterNotFound` (a requeued job's
 * waiting lifecycle finds that at its next re-check). Jobs still holding its released nodes are requeued by their
 * lifecycles when the nodes are found gone, and fail at the next pass.
 */
async function failJobsOfDeletedCluster(
  clusterKey: string,
  jobs: JobQueueEntry[],
  context: InvocationContext,
): Promise<ScheduleJobsResult> {
  const { store } = getJobServices();
  const fail = async (entry: JobQueueEntry): Promise<void> => {
    const stored = await updateJob(store, entry.ref, (current) =>
      current.job?.executionState === 'queued' && current.job.uuid === entry.job.uuid
        ? withAttemptsView(
            transitionJob(current, 'failed', {
              at: new Date(),
              errors: [
                {
                  code: 'ClusterNotFound',
                  message: `The cluster '${current.job.clusterId}' was deleted; the job cannot run.`,
                },
              ],
            }),
          )
        : undefined,
    );
    if (stored?.record.job?.executionState === 'failed')
      context.warn(`Job ${entry.armId} failed: its cluster was deleted.`);
  };
  let queued = jobs.filter((entry) => entry.job.executionState === 'queued');
  let failed = 0;
  while (queued.length > 0 && failed < deletedClusterFailuresPerPass) {
    await forEachLimited(queued, writeConcurrency, fail);
    failed += queued.length;
    queued = await store.listQueueHead(clusterKey, 100);
  }
  const holding = jobs.filter((entry) => ['running', 'terminating'].includes(entry.job.executionState));
  return {
    activeJobs: holding.length + queued.length,
    started: [],
    nextCheckMs: periodicCheckMs,
    clusterGone: true,
  };
}

export async function scheduleJobs(
  clusterKey: string,
  context: InvocationContext,
): Promise<ScheduleJobsResult> {
  const services = getJobServices();
  const clusterRead = services.store.get(clusterRefOfKey(clusterKey));
  const housekeeping = housekeepingDue(clusterKey, Date.now(), services.config.housekeepingSeconds * 1000);
  // Jobs too large for the cluster are out of the head: their explanation is refreshed this often (a resize).
  const explainedBefore = new Date(Date.now() - oversizedRefreshMs).toISOString();
  const [cluster, holding, queued, nodes] = await Promise.all([
    clusterRead,
    services.store.listActiveJobs(clusterKey),
    // The head of the queue only: every job that could start on a node that is or could come free, and the
    // look-ahead to backfill around the head job. Jobs further back wait their turn to be looked at. Jobs that need
    // more nodes than the cluster can ever have are not in it (they would fill it and hide jobs that fit): now and
    // then a pass explains those not yet told, and tells the jobs the head left behind that they are not looked
    // at any more.
    clusterRead.then(async (read) => {
      const readLimits = read ? clusterLimits(read.record) : undefined;
      const maxNodeCount = readLimits?.maxNodeCount;
      // Every job that could start at once: one per slot.
      const maxSlots = readLimits ? readLimits.maxNodeCount * readLimits.slotsPerNode : 0;
      const fullLimit = services.config.queueLookAhead + maxSlots;
      const limit =
        housekeeping || maxNodeCount === undefined
          ? fullLimit
          : Math.min(fullLimit, maxSlots + quickLookAhead);
      const head = await services.store.listQueueHead(clusterKey, limit, maxNodeCount);
      // The rest of the look-ahead, when the decision on this head asks for it (below).
      const readMore =
        head.length === limit && limit < fullLimit
          ? () => services.store.listQueueHead(clusterKey, fullLimit, maxNodeCount)
          : undefined;
      // A pass with nothing to run explains jobs too large for the cluster at once, due or not: the scheduler may
      // end after it, and such a job would otherwise say nothing until its lifecycle's re-check.
      if (maxNodeCount === undefined || (!housekeeping && head.length > 0))
        return { head, oversized: [], behind: [], readMore };
      const last = head.length === limit ? head[head.length - 1].queueOrder : undefined;
      const [oversized, behind] = await Promise.all([
        services.store.listOversizedQueued(clusterKey, maxNodeCount, explainedBefore, queueInfoWritesPerPass),
        last === undefined
          ? Promise.resolve([])
          : services.store.listExplainedBehindHead(clusterKey, last, maxNodeCount, queueInfoWritesPerPass),
      ]);
      return { head, oversized, behind, readMore };
    }),
    services.nodes.listForScheduling(clusterKey),
  ]);
  const { oversized, behind, readMore } = queued;
  // A queued job stored before its queue order key was can be in both lists.
  const entriesWith = (head: JobQueueEntry[]) =>
    new Map([...holding, ...head, ...oversized].map((entry) => [entry.job.uuid, entry]));
  let byUuid = entriesWith(queued.head);
  if (!cluster) return failJobsOfDeletedCluster(clusterKey, [...byUuid.values()], context);
  const lowPriority = String(cluster?.record.spec.vmPriority ?? '').toLowerCase() === 'lowpriority';
  const nodeById = new Map(nodes.map((node) => [node.nodeId, node]));
  const now = new Date();
  const limits = clusterLimits(cluster?.record);
  const decide = (entries: Iterable<JobQueueEntry>) => {
    const queue: WaitingJob[] = [];
    const running: SchedulingInput['running'] = [];
    for (const entry of entries) {
      const runtime = entry.job;
      const current = runtime.attempts[runtime.attempts.length - 1];
      if (runtime.executionState === 'queued') {
        queue.push({
          id: runtime.uuid,
          priority: runtime.priority,
          submitTime: entry.creationTime,
          nodeCount: runtime.nodeCount,
          attempt: runtime.attempts.length + 1,
          maxWallClockSeconds: maxWallClockSeconds(entry),
        });
      } else if (
        current &&
        !current.endTime &&
        !handedBack(runtime.uuid, runtime.attempts.length, current.nodeIds, nodeById)
      ) {
        running.push({
          jobId: runtime.uuid,
          nodeIds: current.nodeIds,
          startTime: current.startTime ?? String(entry.executionStateTransitionTime),
          maxWallClockSeconds: maxWallClockSeconds(entry),
        });
      }
    }
    return scheduleCluster({
      now: now.toISOString(),
      nodes: nodes.map((node) => ({
        id: node.nodeId,
        state: node.state,
        lowPriority,
        slots: limits.slotsPerNode,
      })),
      running,
      queue,
      limits,
    });
  };
  let decision = decide(byUuid.values());
  // The first few waiting jobs left nodes free (one further back may backfill them) or all started: the whole
  // look-ahead, and the decision again.
  if (readMore && (decision.waiting.length === 0 || decision.waiting[0].reason.nodesFree > 0)) {
    byUuid = entriesWith(await readMore());
    decision = decide(byUuid.values());
  }
  const jobs = [...byUuid.values()];
  await recordAutoscaleDemand(clusterKey, cluster, limits, decision.autoscale, context);
  const client = durableClientOf(context);
  const started: string[] = [];
  // Each start touches its own job and nodes (the policy already made the decisions): grant them in parallel.
  const granting = forEachLimited(decision.starts, writeConcurrency, async (start) => {
    const entry = byUuid.get(start.jobId)!;
    const instanceId = jobLifecycleInstanceId(start.jobId);
    const stored = await updateJob(services.store, entry.ref, (current) => {
      if (
        current.job?.executionState !== 'queued' ||
        current.job.uuid !== start.jobId ||
        current.job.attempts.length + 1 !== start.attempt
      ) {
        // Terminated or started meanwhile, or deleted and created again under its name (another GUID): not ours to
        // start.
        return undefined;
      }
      const next = transitionJob(current, 'running', { at: new Date(), nodeIds: start.nodeIds });
      delete next.status.queueInfo;
      return withAttemptsView(next);
    });
    const runtime = stored?.record.job;
    if (!runtime || runtime.executionState !== 'running' || runtime.attempts.length !== start.attempt) return;
    const hasPreparation = stored!.record.spec.jobPreparation !== undefined;
    const granted: NodesGranted = { attempt: start.attempt, nodeIds: start.nodeIds, hasPreparation };
    started.push(start.jobId);
    context.log(`Job ${entry.armId} attempt ${start.attempt} granted nodes ${start.nodeIds.join(', ')}`);
    // Its first phase is launched now, with the records this pass holds: the lifecycle only watches it.
    const phase: TaskPhase = hasPreparation ? 'preparation' : 'main';
    const launch: LaunchJobTasksInput = {
      lifecycle: { job: jobRefWireOf(entry.ref), jobUuid: start.jobId, clusterKey },
      instanceId,
      attempt: start.attempt,
      phase,
    };
    try {
      granted.launched = { phase, result: await launchJobTasks(launch, { job: stored, cluster, nodes }) };
    } catch (error: unknown) {
      context.warn(
        `Launching ${instanceId} at its grant failed (${(error as Error).message}); it launches itself.`,
      );
    }
    // A queued job has no lifecycle: its first grant starts it, with the grant as its input. A job requeued after a
    // preemption has one waiting for the grant event (so may a job queued by code from before queued jobs had
    // none): one is there when starting refuses (409).
    const waiting = entry.job.lifecycleStarted === true || entry.job.attempts.length > 0;
    if (!waiting) {
      const lifecycle: JobLifecycleInput = { ...launch.lifecycle, granted };
      try {
        // In the job's trace (its submission's), not this pass's: the lifecycle's work is the job's.
        await runInTraceContext(runtime.trace, () =>
          client.startNew(jobLifecycleName, { instanceId, input: lifecycle }),
        );
        return;
      } catch (error: unknown) {
        const status = await client.getStatus(instanceId).catch(() => undefined);
        if (!isActiveStatus(status?.runtimeStatus)) {
          // Durable failing: the job is recorded running on its nodes, and its process launched; the job
          // reconciler starts its lifecycle, which takes the job up from its record.
          context.warn(`Could not start ${instanceId} with its grant: ${(error as Error).message}`);
          return;
        }
      }
    }
    try {
      await client.raiseEvent(instanceId, nodesGrantedEvent, granted);
    } catch (error: unknown) {
      // The job is recorded running on its nodes: a waiting lifecycle finds that when it re-checks its record, and
      // a missing one (purged, or the task hub lost: 404) is started again to take the job up. One that ended but
      // is still recorded takes the event silently (410): the job reconciler finds the job running without it.
      context.warn(`Could not tell ${instanceId} about its nodes: ${(error as Error).message}`);
      const restarted = await restartJobLifecycle(client, launch.lifecycle, runtime.trace).catch(
        (failure: unknown) => {
          context.warn(`Could not start ${instanceId} again: ${(failure as Error).message}`);
          return false;
        },
      );
      if (restarted) context.warn(`${instanceId} had ended: started again to take up ${entry.armId}.`);
    }
  });
  const updatedTime = now.toISOString();
  const oversizedIds = new Set(oversized.map((entry) => entry.job.uuid));
  const changes = decision.waiting.flatMap(({ jobId, reason }) => {
    const entry = byUuid.get(jobId);
    const info = queueInfoOf(reason, updatedTime, (id) => byUuid.get(id)?.ref.name);
    const stale = String(entry?.queueInfo?.updatedTime ?? '') < explainedBefore && oversizedIds.has(jobId);
    const change =
      entry && (queueInfoChange(entry.queueInfo, info, now.getTime()) ?? (stale ? 'refresh' : undefined));
    return change ? [{ entry, info, change }] : [];
  });
  // New reasons first (they are what a waiting user needs to see), then the refreshes, in queue order.
  const writes = [
    ...changes.filter((c) => c.change === 'reason'),
    ...changes.filter((c) => c.change === 'refresh'),
  ].slice(0, queueInfoWritesPerPass);
  for (const { entry, info, change } of writes) {
    if (change === 'reason') context.log(`Job ${entry.armId} waits: ${String(info.message)}`);
  }
  // Jobs the head left behind: back to NotYetConsidered (their old position and expected start are not true now).
  const leftBehind = behind
    .filter((entry) => !byUuid.has(entry.job.uuid))
    .map((entry) => ({
      entry,
      info: { ...notYetConsideredQueueInfo(entry.job.nodeCount), updatedTime },
    }));
  // The waiting jobs' reasons go out while the grants do (distinct jobs): a pass lasts as long as the longer.
  await Promise.all([
    granting,
    forEachLimited([...writes, ...leftBehind], writeConcurrency, ({ entry, info }) =>
      writeQueueInfo(entry, info),
    ),
  ]);
  const active = jobs.filter((entry) => !isTerminal(entry.job.executionState)).length;
  return { activeJobs: active, started, nextCheckMs: periodicCheckMs };
}

df.app.activity(scheduleJobsActivityName, {
  extraInputs: [df.input.durableClient()],
  handler: (clusterKey: string, context: InvocationContext) => scheduleJobs(clusterKey, context),
});
