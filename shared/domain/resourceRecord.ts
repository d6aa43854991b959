// The stored form of every Batch AI resource: the validated user input (`spec`, without secrets), the read-only
// properties the service computes (`status`), encrypted secrets, and for jobs what the lifecycle needs.
import type { VmSizeResources } from './vmSizeTable';
import type { ResourceKind, ResourceRef } from './resourceId';
import type { JsonObject } from './specValidator';

export type ProvisioningState = 'creating' | 'updating' | 'deleting' | 'succeeded' | 'failed';
export type ExecutionState = 'queued' | 'running' | 'terminating' | 'succeeded' | 'failed';
export type AllocationState = 'steady' | 'resizing';

/** One run of a job on nodes; the lifecycle appends one per (re)start, so a requeued job keeps its history. */
export interface JobAttempt {
  attempt: number;
  startTime?: string;
  endTime?: string;
  nodeIds: string[];
  exitCode?: number;
  /** Why the attempt ended (e.g. 'succeeded', 'failed', 'preempted', 'terminated'). */
  outcome?: string;
  /** For a preempted attempt, what happened to its nodes (an eviction, a lost node, an agent restarted). */
  reason?: string;
}

/** Job fields the scheduler and the lifecycle query or update without parsing the wire properties. */
export interface JobRuntime {
  /** The job's GUID, also the last segment of jobOutputDirectoryPathSegment. */
  uuid: string;
  /** Canonical ARM id of the target cluster and its lower-cased key (for queries by cluster). */
  clusterId: string;
  clusterKey: string;
  priority: 'low' | 'normal' | 'high';
  nodeCount: number;
  executionState: ExecutionState;
  attempts: JobAttempt[];
  terminationRequestedTime?: string;
  /** Why it was terminated when not by its user (a sweep stopping its trial): the message of its JobTerminated. */
  terminationReason?: string;
  /**
   * Records written before 2026-12-07 only: the job's lifecycle was started before this record was written and
   * waits for the grant event. Newer queued jobs have no lifecycle until the scheduler grants them nodes.
   */
  lifecycleStarted?: boolean;
  /** The submission's W3C trace context (when it was traced): the job's node tasks report in this trace. */
  trace?: { traceParent: string; traceState?: string };
  /**
   * What created the job when it was not a client: `sweep:<sweep uuid>` for a sweep's trial, so the sweep knows its
   * own trials again (after a failed round, say) and never adopts another's job of the same name.
   */
  createdBy?: string;
}

/** Cluster fields the compute side keeps on the record (never on the wire: toWire shows spec and status only). */
export interface ClusterRuntime {
  /** Batch AI's read-only `nodeSetup.setupTask.stdOutErrPathSuffix`: `{sub}/{rg}/workspaces/{ws}/clusters/{name}/{uuid}`. */
  setupOutputSuffix?: string;
  /** The cluster's node data key, sealed with SECRETS_ENCRYPTION_KEY and bound to `<armId>#nodeDataKey`. */
  sealedNodeDataKey?: string;
  /** The job scheduler's autoscale demand (jobs that can never fit left out), which the cluster monitor follows. */
  autoscaleDemand?: { wantedNodeCount: number; unsatisfiableJobIds: string[]; time: string };
  /**
   * When the monitor first sized the pool (autoscale's `initialNodeCount` applies to that pass only): a monitor
   * started again later (after a failure, a PATCH) must not grow an idle cluster back to its initial size.
   */
  initialAllocationTime?: string;
  /** What one VM of the cluster's size has, as the VM size catalogue said at creation (core quotas, node GPUs). */
  vmSize?: VmSizeResources;
  /**
   * Written by the cluster monitor's last pass while the location's core quota keeps the pool from growing: the
   * most nodes the quota leaves room for, and how many more the cluster wanted. Absent otherwise.
   */
  quotaHold?: { nodeCount: number; heldBack: number; lowPriority: boolean };
}

export interface ResourceRecord {
  kind: ResourceKind;
  ref: ResourceRef;
  /** Canonical ARM id (names as given at creation). */
  armId: string;
  /** The workspace's location (children inherit it; used for operation status URLs). */
  location: string;
  tags?: Record<string, string>;
  /** Validated input properties, secrets removed, defaults applied. */
  spec: JsonObject;
  /** Read-only properties (creationTime, provisioningState, ...), merged into `properties` on the wire. */
  status: JsonObject;
  /** Secret values sealed by the SecretProtector, by JSON path of the create body (e.g. properties.secrets[0].value). */
  encryptedSecrets: Record<string, string>;
  job?: JobRuntime;
  cluster?: ClusterRuntime;
  fileServer?: FileServerRuntime;
}

/** File server fields the file server monitor keeps on the record (never on the wire). */
export interface FileServerRuntime {
  /** Local hosts: the directory of this machine that stands for the NFS export (local nodes link to it). */
  localExport?: string;
}

/** A record with the ETag the store read it with (every update must present it). */
export interface Stored<T = ResourceRecord> {
  record: T;
  etag: string;
}
