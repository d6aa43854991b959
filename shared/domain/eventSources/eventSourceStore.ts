// The port through which event sources keep their definitions (scoring rules, job schedules) and their open
// blob batches. Every update carries the ETag it read, so concurrent ticks or deliveries never lose a write.
import type { Page, PageRequest } from '../../ports/resourceStore';
import type { JobScheduleProperties } from './jobSchedule';
import type { ScoringRuleProperties } from './scoringRule';

export type DefinitionKind = 'scoringRule' | 'jobSchedule';

export interface WorkspaceAddress {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
}

/** The workspace's key (its ARM id lower-cased, as keyOf in resourceId.ts): the definitions' partition key. */
export function workspaceKeyOf(workspace: WorkspaceAddress): string {
  return `/subscriptions/${workspace.subscriptionId}/resourceGroups/${workspace.resourceGroup}/providers/Microsoft.BatchAI/workspaces/${workspace.workspace}`.toLowerCase();
}

/** The outcome of the last due time of a schedule (shown by GET, so a user can see why no job appeared). */
export interface ScheduleOutcome {
  dueTime: string;
  /** existing: the job of this due time was there already (an earlier tick created it). */
  result: 'created' | 'existing' | 'skipped' | 'failed';
  jobName?: string;
  message?: string;
  /** Earlier due times collapsed into this one after an outage. */
  missed?: number;
}

export interface JobScheduleStatus {
  /**
   * Due times up to and including this one have been handled: run, skipped or failed by a tick, or passed over while
   * the schedule was disabled. Absent until one has. Never the startTime: scheduleCursor (jobSchedule.ts) takes the
   * later of this and the current startTime. (Versions before that stored the startTime here: a PUT drops such a
   * time when it is in the future and not the last run's.)
   */
  evaluatedUntil?: string;
  lastJobName?: string;
  lastOutcome?: ScheduleOutcome;
}

interface DefinitionBase {
  workspace: WorkspaceAddress;
  name: string;
  createdTime: string;
  updatedTime: string;
  /**
   * The workspace incarnation the definition was saved under (workspaceStamp.ts): a workspace deleted and created
   * again under the same name does not inherit it. Absent on definitions saved before stamps existed.
   */
  workspaceStamp?: string;
}

export interface ScoringRuleRecord extends DefinitionBase {
  kind: 'scoringRule';
  properties: ScoringRuleProperties;
}

export interface JobScheduleRecord extends DefinitionBase {
  kind: 'jobSchedule';
  properties: JobScheduleProperties;
  status: JobScheduleStatus;
}

export type DefinitionRecord = ScoringRuleRecord | JobScheduleRecord;

export interface StoredDefinition<R extends DefinitionRecord = DefinitionRecord> {
  record: R;
  etag: string;
}

/** One blob of a batch (what its job's environment lists). */
export interface BatchedBlob {
  eventId: string;
  url: string;
  storageAccount: string;
  container: string;
  blobName: string;
}

/** The blobs of one rule whose events fell in one window; `part` > 0 when a full batch overflowed. */
export interface BlobBatch {
  id: string;
  workspace: WorkspaceAddress;
  ruleName: string;
  windowStart: string;
  part: number;
  blobs: BatchedBlob[];
  /**
   * Set when the batch was closed (its job's name chosen): later blobs of the window go to the next part. The job
   * itself may not exist yet: a flush that closed the batch can fail before creating it.
   */
  jobName?: string;
  /** Set once the job named `jobName` exists (created by this flush or an earlier one): the batch is done. */
  jobCreated?: boolean;
  /** The stamp of the rule that opened it: only that rule's incarnation creates its job. */
  workspaceStamp?: string;
  /** Why the batch's job could not be created (a permanent failure: the rule was deleted, the template refused). */
  failure?: string;
}

export interface EventSourceStore {
  get(kind: DefinitionKind, workspace: WorkspaceAddress, name: string): Promise<StoredDefinition | undefined>;
  /** Creates the definition; throws ConflictError when it exists. */
  create(record: DefinitionRecord): Promise<StoredDefinition>;
  /** Replaces it if the ETag still matches: PreconditionFailedError otherwise, NotFoundError when gone. */
  replace(record: DefinitionRecord, etag: string): Promise<StoredDefinition>;
  /** Deletes it (only if its ETag still matches, when `etag` is given); false when it is gone or changed. */
  delete(kind: DefinitionKind, workspace: WorkspaceAddress, name: string, etag?: string): Promise<boolean>;
  list(kind: DefinitionKind, workspace: WorkspaceAddress, page: PageRequest): Promise<Page<StoredDefinition>>;
  /** Enabled scoring rules on a container (lower-case name), across workspaces: the Event Grid function's query. */
  rulesForContainer(container: string): Promise<StoredDefinition<ScoringRuleRecord>[]>;
  /** Enabled schedules across workspaces: the timer's query. */
  enabledSchedules(): Promise<StoredDefinition<JobScheduleRecord>[]>;

  getBatch(id: string): Promise<{ batch: BlobBatch; etag: string } | undefined>;
  /** Creates the batch; throws ConflictError when it exists. */
  createBatch(batch: BlobBatch): Promise<{ batch: BlobBatch; etag: string }>;
  replaceBatch(batch: BlobBatch, etag: string): Promise<{ batch: BlobBatch; etag: string }>;
  /** Up to `limit` batches whose window started before `before` (ISO 8601), across rules and workspaces. */
  batchesBefore(before: string, limit: number): Promise<{ batch: BlobBatch; etag: string }[]>;
  /** Deletes the batch if the ETag still matches: false when it changed meanwhile or is gone. */
  deleteBatch(id: string, etag: string): Promise<boolean>;
}
