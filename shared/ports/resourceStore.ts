// The state store of the resource API: one interface over resources and long-running operations. Every update
// carries the ETag the record was read with, so a lost update is impossible (a stale write fails).
import type { ResourceKind, ResourceRef } from '../domain/resourceId';
import type { JobRuntime, ResourceRecord, Stored } from '../domain/resourceRecord';
import type { JsonObject } from '../domain/specValidator';
import type { OperationRecord } from '../domain/operationRecord';

/** Which resources a list returns: workspaces of a subscription (optionally one resource group), or children. */
export type ListScope =
  | { kind: 'workspace'; subscriptionId: string; resourceGroup?: string }
  | { kind: Exclude<ResourceKind, 'workspace' | 'job'>; workspace: ResourceRef }
  | { kind: 'job'; experiment: ResourceRef };

export interface PageRequest {
  maxItems: number;
  continuationToken?: string;
}

export interface Page<T> {
  items: T[];
  /** Present when more items may follow. */
  continuationToken?: string;
}

/** A job as a scheduling pass sees it (`listActiveJobs`, `listQueueHead`): a projection of its record. */
export interface JobQueueEntry {
  ref: ResourceRef;
  armId: string;
  etag: string;
  job: JobRuntime;
  creationTime: string;
  executionStateTransitionTime?: string;
  maxWallClockTime?: string;
  queueInfo?: JsonObject;
  /** The job's place in its cluster's queue (`queueOrderKey`), while it is queued. */
  queueOrder?: string;
}

export interface ResourceStore {
  get(ref: ResourceRef): Promise<Stored | undefined>;
  /**
   * For a read-modify-write only: the record as this process last read or wrote it (`recalled`: it may be behind,
   * the ETag-checked write then fails and the caller reads again), else a read. A caller that decides not to write
   * after looking at a recalled record must look again at a fresh `get`.
   */
  getForUpdate(ref: ResourceRef): Promise<{ stored: Stored; recalled: boolean } | undefined>;
  /** Creates the record; throws ConflictError when a resource with that key already exists. */
  create(record: ResourceRecord): Promise<Stored>;
  /** Replaces the record if its ETag still matches; throws PreconditionFailedError otherwise, NotFoundError if gone. */
  replace(record: ResourceRecord, etag: string): Promise<Stored>;
  /** Deletes the record (if `etag` is given, only if it still matches). Returns false when it did not exist. */
  delete(ref: ResourceRef, etag?: string): Promise<boolean>;
  list(scope: ListScope, page: PageRequest): Promise<Page<Stored>>;
  /**
   * The jobs of a cluster (of every cluster when `clusterKey` is undefined: the job reconciler) that hold or are
   * giving back nodes (`running`, `terminating`), as a scheduling pass sees them (a fraction of each record), every
   * page read; also any `queued` job stored without a queue order key (written before stores kept one), so
   * `listQueueHead` missing it never hides it.
   */
  listActiveJobs(clusterKey?: string): Promise<JobQueueEntry[]>;
  /**
   * The keys of the clusters that have at least one `queued` job, deleted clusters included: one indexed read per
   * cluster (each the next key after the last), whatever the depth of their queues.
   */
  listClustersWithQueuedJobs(): Promise<string[]>;
  /**
   * The first `limit` `queued` jobs of a cluster in queue order (`queueOrderKey`: priority, submit time, id): a
   * pass costs the same with a hundred or a hundred thousand jobs waiting.
   */
  listQueueHead(clusterKey: string, limit: number, maxNodeCount?: number): Promise<JobQueueEntry[]>;
  /**
   * With `maxNodeCount`, the head leaves out jobs needing more nodes than the cluster can ever have (so they never
   * fill it and hide jobs that fit); this lists up to `limit` of those, in queue order, whose `queueInfo` does not
   * not yet say so (`ExceedsClusterSize`, or `ClusterHasNoNodes` for a cluster of 0 nodes), or said so before
   * `explainedBefore` (the cluster may have been resized since: its figures are refreshed).
   */
  listOversizedQueued(
    clusterKey: string,
    maxNodeCount: number,
    explainedBefore: string,
    limit: number,
  ): Promise<JobQueueEntry[]>;
  /**
   * Up to `limit` queued jobs that fit (`maxNodeCount`) behind the head (queue order after `afterQueueOrder`) whose
   * `queueInfo` still explains a wait from when they were in it: they are back to `NotYetConsidered`.
   */
  listExplainedBehindHead(
    clusterKey: string,
    afterQueueOrder: string,
    maxNodeCount: number,
    limit: number,
  ): Promise<JobQueueEntry[]>;
  /**
   * Sets a job's `status.queueInfo` if the record still has `etag` (one partial update); false when it changed
   * meanwhile or is gone.
   */
  setJobQueueInfo(ref: ResourceRef, etag: string, queueInfo: JsonObject): Promise<boolean>;
  /**
   * Every cluster, and every file server being made or removed (`creating`, `deleting`), of every workspace: the
   * resources whose monitor orchestration must be running (the monitor reconciler).
   */
  listMonitored(page: PageRequest): Promise<Page<Stored>>;
  /** Clusters of a subscription in a location (usages). */
  listClustersInLocation(subscriptionId: string, location: string, page: PageRequest): Promise<Page<Stored>>;

  createOperation(operation: OperationRecord): Promise<Stored<OperationRecord>>;
  getOperation(id: string): Promise<Stored<OperationRecord> | undefined>;
  replaceOperation(operation: OperationRecord, etag: string): Promise<Stored<OperationRecord>>;
  /**
   * Operations still `InProgress` (every subscription, cross-partition): those waiting for another component (a
   * running job being stopped, a cascade, a file server), advanced by a timer so none depends on a client polling.
   */
  listInProgressOperations(page: PageRequest): Promise<Page<Stored<OperationRecord>>>;
  /**
   * Deletes at most `max` operations that ended before `endedBefore` (ISO 8601); returns how many went. Their status
   * URLs then answer 404, as ARM's do once an operation's record has expired.
   */
  deleteOperationsEndedBefore(endedBefore: string, max: number): Promise<number>;
}
