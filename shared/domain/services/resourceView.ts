// The wire form of a stored resource (what GET returns): id, name, type, location and tags for workspaces,
// properties = validated input + read-only status. Secrets are not in the record's spec, so they cannot leak here.
import { kindInfo } from '../resourceId';
import type { ResourceRecord } from '../resourceRecord';
import type { JsonObject } from '../specValidator';

/**
 * A queued job's explanation before a scheduling pass has written one: a pass looks only at the head of the
 * cluster's queue and writes at most 32 explanations (scheduleJobsActivity), so a job far back in a long queue, or
 * one just submitted, has none yet.
 */
export function notYetConsideredQueueInfo(nodesNeeded: number): JsonObject {
  return {
    reason: 'NotYetConsidered',
    message:
      "No scheduling pass has explained this job's wait yet: a pass looks at the head of the cluster queue " +
      '(high > normal > low priority, then submit time) and explains its first waiting jobs; this job is further ' +
      'back, or was submitted a moment ago.',
    nodesNeeded,
  };
}

export function toWire(record: ResourceRecord): JsonObject {
  const wire: JsonObject = { id: record.armId, name: record.ref.name, type: kindInfo[record.kind].type };
  if (record.kind === 'workspace') {
    wire.location = record.location;
    if (record.tags && Object.keys(record.tags).length > 0) wire.tags = record.tags;
  }
  wire.properties = { ...record.spec, ...record.status };
  const setupTask = (record.spec.nodeSetup as JsonObject | undefined)?.setupTask as JsonObject | undefined;
  if (setupTask && record.cluster?.setupOutputSuffix) {
    wire.properties.nodeSetup = {
      ...(record.spec.nodeSetup as JsonObject),
      setupTask: { ...setupTask, stdOutErrPathSuffix: record.cluster.setupOutputSuffix },
    };
  }
  if (record.job?.executionState === 'queued' && record.status.queueInfo === undefined) {
    wire.properties.queueInfo = notYetConsideredQueueInfo(record.job.nodeCount);
  }
  return wire;
}
