// Activity: one reconciliation pass of a cluster. Reads the cluster, its pool nodes, node records and queued
// work; applies the scaling policy (lost nodes, scale up/down with the deallocation option, autoscale); writes node
// states and the cluster's counts and allocation state. Idempotent: a repeated pass converges to the same state.
// The first pass creates the cluster's node data key (stored only sealed on the cluster record) and hands it to the
// pool, which delivers it to the nodes; the setup task's secrets and mount keys go into the pool sealed with it.
import { createHash, createHmac } from 'crypto';
import * as df from 'durable-functions';
import type { ClusterRefWire } from '../../shared/contracts/clusterCommand';
import {
  reconcileClusterActivityName,
  type ReconcileInput,
  type ReconcileResult,
} from './clusterMonitorContract';
import { nodeTaskQueueName } from '../../shared/contracts/nodeQueueNames';
import { nodeTaskSchema, killTaskVersion, type KillTaskMessage } from '../../shared/contracts/nodeTask';
import { generateNodeDataKey, nodeDataKeyContext, sealValues } from '../../shared/crypto/nodeSecretSealing';
import { openSecrets } from '../../shared/domain/services/secretSealing';
import { PreconditionFailedError } from '../../shared/domain/errors';
import type { ResourceRef } from '../../shared/domain/resourceId';
import type { ResourceRecord, Stored } from '../../shared/domain/resourceRecord';
import type { JsonObject } from '../../shared/domain/specValidator';
import { ComputePoolError, type NodeAccess } from '../../shared/ports/computePool';
import type { NodeRecord } from '../../shared/ports/nodeStore';
import type { JobQueueEntry } from '../../shared/ports/resourceStore';
import {
  planCluster,
  type ClusterPlan,
  type ClusterSnapshot,
  type Deallocation,
  type ScaleSettings,
} from './clusterScalingPolicy';
import { coreQuotaRoom, type CoreQuotaRoom } from '../../shared/domain/services/usageService';
import { getComputeServices, type ComputeServices } from './computeServices';
import { poolDefinitionOf, type NodeSealer } from './poolDefinition';
import { fileServerEndpointsOf } from './fileServerEndpoints';
import { sendTaskKills } from '../nodeTaskKills';

function refOf(cluster: ClusterRefWire): ResourceRef {
  return { kind: 'cluster', ...cluster };
}

function scaleSettingsOf(spec: JsonObject): ScaleSettings {
  const scale = (spec.scaleSettings ?? {}) as JsonObject;
  if (scale.autoScale) {
    const auto = scale.autoScale as JsonObject;
    return {
      mode: 'auto',
      minimumNodeCount: Number(auto.minimumNodeCount ?? 0),
      maximumNodeCount: Number(auto.maximumNodeCount ?? 0),
      initialNodeCount: Number(auto.initialNodeCount ?? 0),
    };
  }
  const manual = (scale.manual ?? {}) as JsonObject;
  return {
    mode: 'manual',
    targetNodeCount: Number(manual.targetNodeCount ?? 0),
    deallocation: String(manual.nodeDeallocationOption ?? 'requeue').toLowerCase() as Deallocation,
  };
}

/**
 * The cluster's node data key: opened from the record, or created on the first pass and stored sealed with
 * SECRETS_ENCRYPTION_KEY (ETag; when another pass won the race, its key is used).
 */
async function nodeDataKeyOf(services: ComputeServices, ref: ResourceRef, stored: Stored): Promise<Buffer> {
  let current: Stored | undefined = stored;
  for (let attempt = 0; attempt < 10 && current; attempt++) {
    const context = nodeDataKeyContext(current.record.armId);
    const sealed = current.record.cluster?.sealedNodeDataKey;
    if (sealed) return Buffer.from(services.secrets.open(sealed, context), 'base64');
    const key = generateNodeDataKey();
    const record: ResourceRecord = structuredClone(current.record);
    record.cluster = {
      ...record.cluster,
      sealedNodeDataKey: services.secrets.seal(key.toString('base64'), context),
    };
    try {
      await services.store.replace(record, current.etag);
      return key;
    } catch (e: unknown) {
      if (!(e instanceof PreconditionFailedError)) throw e;
    }
    current = await services.store.get(ref);
  }
  throw new Error(
    `The node data key of ${ref.name} could not be stored (the cluster changed or was deleted).`,
  );
}

/**
 * Seals for the nodes (random IV: differs every time) and a keyed fingerprint of the same values (stable, useless
 * without the key), so the pool is re-applied only when the definition or a secret really changed.
 */
function sealers(nodeDataKey: Buffer): {
  seal: NodeSealer;
  fingerprint: NodeSealer;
  fingerprintValue: (value: string, context: string) => string;
} {
  const fingerprint: NodeSealer = (values, context) =>
    createHmac('sha256', nodeDataKey)
      .update(`${context}\n${JSON.stringify(values)}`)
      .digest('base64');
  return {
    seal: (values, context) => sealValues(nodeDataKey, values, context),
    fingerprint,
    fingerprintValue: (value, context) => fingerprint({ value }, context),
  };
}

/** The nodes of the running (or terminating) jobs' current attempts. */
export function grantedNodesOf(jobs: JobQueueEntry[]): Set<string> {
  const held = jobs
    .filter((entry) => entry.job.executionState === 'running' || entry.job.executionState === 'terminating')
    .map((entry) => entry.job.attempts.at(-1))
    .filter((attempt) => attempt !== undefined && attempt.endTime === undefined);
  return new Set(held.flatMap((attempt) => attempt!.nodeIds));
}

/** The job scheduler's demand on the record (0 before its first pass: no queued job has been looked at yet). */
function demandOf(record: ResourceRecord): number {
  return record.cluster?.autoscaleDemand?.wantedNodeCount ?? 0;
}

/** The code of the cluster's error for the nodes whose setup failed (the others are the platform's refusals). */
const setupFailedCode = 'NodeSetupTaskFailed';

/** Nodes named in a node-setup error's details, at most (the count says how many failed). */
const setupFailuresDetailed = 10;

/** The code of the cluster's error while the location's core quota keeps the pool from growing. */
export const coreQuotaCode = 'CoreQuotaReached';

/** A pass's growth the core quota held back: the room it had and the nodes not added. */
export type QuotaHold = CoreQuotaRoom & { heldBack: number };

function quotaHoldMessage(hold: QuotaHold, vmSize: string): string {
  const kind = hold.lowPriority ? 'low-priority' : 'dedicated';
  const setting = hold.lowPriority ? 'BATCHAI_QUOTA_LOW_PRIORITY_CORES' : 'BATCHAI_QUOTA_DEDICATED_CORES';
  return (
    `The location's ${kind} core quota (${hold.limit}) leaves room for ${hold.nodeCount} node(s) of ${vmSize} ` +
    `(${hold.cores} cores each) in this cluster: the subscription's other clusters there use ${hold.usedByOthers}. ` +
    `${hold.heldBack} node(s) the cluster wants were not added; they will be once cores free up or the quota ` +
    `(${setting}) is raised.`
  );
}

/**
 * The cluster's `errors` as Batch AI gave them: "errors encountered by various compute nodes during node setup",
 * one error for the nodes whose setup task failed (each node's exit code and reason in its details), after the
 * platform's refusal when there is one, or the core quota's hold on its growth.
 */
export function clusterErrorsOf(
  records: NodeRecord[],
  poolError: ComputePoolError | undefined,
  quota?: { hold: QuotaHold; vmSize: string },
): { code: string; message: string; details?: { name: string; value: string }[] }[] {
  const errors: { code: string; message: string; details?: { name: string; value: string }[] }[] = [];
  if (poolError) errors.push({ code: poolError.code, message: poolError.message });
  if (quota) errors.push({ code: coreQuotaCode, message: quotaHoldMessage(quota.hold, quota.vmSize) });
  const failed = records
    .filter((record) => record.setup && !record.setup.succeeded && record.state === 'unusable')
    .sort((a, b) => a.nodeId.localeCompare(b.nodeId));
  if (failed.length > 0) {
    errors.push({
      code: setupFailedCode,
      message:
        `The node setup task failed on ${failed.length} node(s), which are unusable: see its output ` +
        `(nodeSetup.setupTask.stdOutErrPathPrefix) and the details.`,
      details: failed.slice(0, setupFailuresDetailed).map((record) => ({
        name: record.nodeId,
        value:
          [
            record.setup?.exitCode === undefined ? undefined : `exit code ${record.setup.exitCode}`,
            record.setup?.message,
          ]
            .filter((part) => part !== undefined && part !== '')
            .join(': ') || 'failed',
      })),
    });
  }
  return errors;
}

/**
 * Whether autoscale's initial size is still to be asked for: until a pass the platform did not refuse sized the pool
 * (initialAllocationTime, written by that pass). A pass the platform refused records its error on the cluster and
 * returns, and the monitor goes on with `firstPass` false: so the size is still due when the record shows that
 * refusal (an error other than the nodes' setup failures) and no pass succeeded since. A record without the time and
 * without such an error belongs to a cluster sized before the time was recorded (release 1.2 of the monitor): its
 * monitor's first pass (`firstPass`) applies the size as it did then, a later pass does not.
 */
export function initialSizeDue(record: ResourceRecord, firstPass: boolean): boolean {
  if (record.cluster?.initialAllocationTime !== undefined) return false;
  if (firstPass) return true;
  const errors = (record.status.errors ?? []) as { code?: string }[];
  return errors.some((error) => error.code !== setupFailedCode);
}

/** Writes the cluster's read-only compute properties when they changed (ETag; re-read on a concurrent change). */
async function writeClusterStatus(
  services: ComputeServices,
  ref: ResourceRef,
  plan: ClusterPlan,
  records: NodeRecord[],
  error: ComputePoolError | undefined,
  now: Date,
  quota?: QuotaHold,
): Promise<void> {
  // A plan applied without the platform's refusal sized the pool: the initial size has been asked for.
  const allocated = error === undefined;
  for (let attempt = 0; attempt < 10; attempt++) {
    const stored = await services.store.get(ref);
    if (!stored) return;
    const record: ResourceRecord = structuredClone(stored.record);
    const status = record.status;
    const before = JSON.stringify(status);
    if (status.allocationState !== plan.allocationState) {
      status.allocationState = plan.allocationState;
      status.allocationStateTransitionTime = now.toISOString();
    }
    status.currentNodeCount = plan.currentNodeCount;
    status.nodeStateCounts = { ...plan.counts };
    const errors = clusterErrorsOf(
      records,
      error,
      quota && { hold: quota, vmSize: String(record.spec.vmSize) },
    );
    if (errors.length > 0) status.errors = errors;
    else delete status.errors;
    const firstAllocation = allocated && record.cluster?.initialAllocationTime === undefined;
    if (firstAllocation) record.cluster = { ...record.cluster, initialAllocationTime: now.toISOString() };
    // The scheduler tells the jobs waiting for those nodes (queueInfo); kept as it was when the platform refused.
    const holdBefore = JSON.stringify(record.cluster?.quotaHold);
    if (allocated) {
      const cluster = { ...record.cluster };
      if (quota) {
        cluster.quotaHold = {
          nodeCount: quota.nodeCount,
          heldBack: quota.heldBack,
          lowPriority: quota.lowPriority,
        };
      } else delete cluster.quotaHold;
      record.cluster = cluster;
    }
    const holdChanged = JSON.stringify(record.cluster?.quotaHold) !== holdBefore;
    if (JSON.stringify(status) === before && !firstAllocation && !holdChanged) return;
    try {
      await services.store.replace(record, stored.etag);
      return;
    } catch (e: unknown) {
      if (!(e instanceof PreconditionFailedError)) throw e;
    }
  }
}

async function release(services: ComputeServices, clusterKey: string): Promise<void> {
  await services.pool.deletePool(clusterKey);
  for (const record of await services.nodes.list(clusterKey)) {
    await services.queues.getQueueClient(nodeTaskQueueName(clusterKey, record.nodeId)).deleteIfExists();
    await services.nodes.delete(clusterKey, record.nodeId);
  }
}

export async function reconcileCluster(
  input: ReconcileInput,
  services = getComputeServices(),
): Promise<ReconcileResult> {
  const { clusterKey } = input;
  const ref = refOf(input.cluster);
  const stored = await services.store.get(ref);
  if (!stored || stored.record.status.provisioningState === 'deleting') {
    await release(services, clusterKey);
    return { released: true, nextCheckMs: 0 };
  }
  const now = new Date();
  const timings = services.timings;
  const nodeDataKey = await nodeDataKeyOf(services, ref, stored);
  const access = { nodeDataKey };
  const byPath = openSecrets(services.secrets, stored.record);
  const { seal, fingerprint, fingerprintValue } = sealers(nodeDataKey);
  const counters = services.performanceCounters;
  const fileServers = await fileServerEndpointsOf(
    services.store,
    (stored.record.spec.nodeSetup as JsonObject | undefined)?.mountVolumes as JsonObject | undefined,
  );
  const fingerprinted = poolDefinitionOf(
    clusterKey,
    stored.record,
    timings,
    { byPath, seal: fingerprint, reveal: fingerprintValue },
    counters,
    fileServers,
  );
  const definitionHash = createHash('sha256').update(JSON.stringify(fingerprinted)).digest('hex');
  let poolError: ComputePoolError | undefined;
  try {
    if (definitionHash !== input.definitionHash) {
      await services.pool.ensurePool(
        poolDefinitionOf(
          clusterKey,
          stored.record,
          timings,
          { byPath, seal, reveal: (value) => value },
          counters,
          fileServers,
        ),
        access,
      );
    }
    const [poolNodes, records, activeJobs] = await Promise.all([
      services.pool.listNodes(clusterKey),
      services.nodes.list(clusterKey),
      services.store.listActiveJobs(clusterKey),
    ]);
    const work = demandOf(stored.record);
    const heartbeatsDueFrom = heartbeatGraceOf(input, now, timings);
    const snapshot: ClusterSnapshot = {
      now: now.getTime(),
      scale: scaleSettingsOf(stored.record.spec),
      // The initial size applies once per cluster, not once per monitor instance, and still after refused passes.
      firstPass: initialSizeDue(stored.record, input.firstPass),
      poolNodes,
      records,
      queuedWorkNodes: work,
      lostAfterMs: timings.nodeLostAfterMs,
      registerWithinMs: timings.registerWithinMs,
      idleTimeoutMs: timings.autoscaleIdleMs,
      heartbeatsDueFrom: heartbeatsDueFrom === undefined ? undefined : Date.parse(heartbeatsDueFrom),
      grantedNodeIds: grantedNodesOf(activeJobs),
    };
    let plan = planCluster(snapshot);
    // A pool grows only as far as the location's core quota has room: other clusters may have grown since this
    // one's scale settings were checked against it (read when the pass would add nodes).
    let quota: QuotaHold | undefined;
    if (plan.growTo !== undefined) {
      const room = await coreQuotaRoom(services, stored.record);
      if (room && plan.growTo > room.nodeCount) {
        plan = planCluster({ ...snapshot, maxPoolNodes: room.nodeCount });
        quota = { ...room, heldBack: plan.heldBackByQuota ?? 0 };
      }
    }
    await applyPlan(services, clusterKey, plan, now, access);
    await writeClusterStatus(services, ref, plan, records, undefined, now, quota);
    const busy = plan.allocationState === 'resizing' || plan.markUnusable.length > 0;
    return {
      released: false,
      nextCheckMs: busy
        ? Math.min(timings.monitorIntervalMs, timings.heartbeatMs)
        : timings.monitorIntervalMs,
      definitionHash,
      passAt: now.toISOString(),
      heartbeatsDueFrom,
    };
  } catch (error: unknown) {
    if (!(error instanceof ComputePoolError)) throw error; // transient: the activity is retried
    poolError = error;
  }
  // The platform refused (quota, capacity): record the error on the cluster, keep the counts we can see (the nodes
  // there, as they are: none added, none taken; instances being deleted and leaving nodes counted as a pass would).
  const poolNodes = await services.pool.listNodes(clusterKey).catch(() => []);
  const records = await services.nodes.list(clusterKey);
  const plan = planCluster(
    {
      now: now.getTime(),
      scale: { mode: 'manual', targetNodeCount: 0, deallocation: 'waitforjobcompletion' },
      firstPass: false,
      poolNodes,
      records,
      queuedWorkNodes: 0,
      lostAfterMs: timings.nodeLostAfterMs,
      registerWithinMs: timings.registerWithinMs,
      idleTimeoutMs: timings.autoscaleIdleMs,
    },
    { keepSize: true },
  );
  await writeClusterStatus(services, ref, { ...plan, allocationState: 'steady' }, records, poolError, now);
  return {
    released: false,
    nextCheckMs: timings.monitorIntervalMs,
    definitionHash: undefined,
    passAt: now.toISOString(),
    heartbeatsDueFrom: heartbeatGraceOf(input, now, timings),
  };
}

/**
 * From when nodes' silence counts again (undefined: it always does). A pass that comes much later than the previous
 * one (more than an interval and the lost-after time) follows a pause of the control plane, a host down or
 * restarting: node events then wait on their queue, and every node would look lost. So silence counts only from
 * this pass on, for one lost-after time, while the backlog is read.
 */
export function heartbeatGraceOf(
  input: Pick<ReconcileInput, 'previousPassAt' | 'heartbeatsDueFrom'>,
  now: Date,
  timings: { monitorIntervalMs: number; nodeLostAfterMs: number },
): string | undefined {
  const previous = Date.parse(input.previousPassAt ?? '');
  if (
    !Number.isNaN(previous) &&
    now.getTime() - previous > timings.monitorIntervalMs + timings.nodeLostAfterMs
  )
    return now.toISOString();
  const carried = Date.parse(input.heartbeatsDueFrom ?? '');
  return !Number.isNaN(carried) && now.getTime() - carried <= timings.nodeLostAfterMs
    ? input.heartbeatsDueFrom
    : undefined;
}

async function applyPlan(
  services: ComputeServices,
  clusterKey: string,
  plan: ClusterPlan,
  now: Date,
  access: NodeAccess,
): Promise<void> {
  const time = now.toISOString();
  for (const { nodeId, reason } of plan.markUnusable) {
    await services.nodes.update(clusterKey, nodeId, (current) => ({
      ...(current ?? { nodeId, clusterKey, createdTime: time, runningTaskIds: [], runningJobIds: [] }),
      state: 'unusable',
      unusableReason: reason,
    }));
  }
  for (const { nodeId, reason, deallocation } of plan.markLeaving) {
    await services.nodes.update(clusterKey, nodeId, (current) =>
      current ? { ...current, state: 'leaving', leaving: { since: time, reason, deallocation } } : undefined,
    );
  }
  // A failed send (but a node's queue gone with it) fails the pass, which is tried again, and every pass sends the
  // kills of a leaving node whose tasks are still listed.
  await sendTaskKills(
    services,
    clusterKey,
    plan.killTasks.flatMap(({ nodeId, taskIds, nodeRemoval }) =>
      taskIds.map((taskId) => {
        const message: KillTaskMessage = {
          schema: nodeTaskSchema,
          version: killTaskVersion,
          kind: 'killTask',
          taskId,
          signal: 'SIGTERM',
          reason: `The node is leaving the cluster (scale down, nodeDeallocationOption ${nodeRemoval}).`,
          nodeRemoval,
        };
        return { nodeId, message };
      }),
    ),
  );
  if (plan.deleteNodes.length > 0) await services.pool.deleteNodes(clusterKey, plan.deleteNodes);
  for (const nodeId of [...plan.deleteNodes, ...plan.deleteRecords]) {
    await services.queues.getQueueClient(nodeTaskQueueName(clusterKey, nodeId)).deleteIfExists();
    await services.nodes.delete(clusterKey, nodeId);
  }
  if (plan.growTo !== undefined) await services.pool.resize(clusterKey, plan.growTo, access);
}

df.app.activity(reconcileClusterActivityName, {
  handler: (input: ReconcileInput) => reconcileCluster(input),
});
