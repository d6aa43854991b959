// The resource store on Cosmos DB. Containers and partition keys follow the API's access patterns (see
// resourceApiContainers): every GET is a point read (id + partition key both derive from the URL), every list is a
// single-partition query, and every update is a replace with IfMatch on the ETag it read. Job records this process
// last read or wrote are remembered (recentDocuments.ts), so a job's own updates usually skip their read.
// Only SQL that both Azure Cosmos DB and the local emulator support is used (no OFFSET/LIMIT, DISTINCT, GROUP BY,
// two-field ORDER BY; the partition key is filtered in WHERE because the emulator ignores the partitionKey option).
import { withContinuationToken } from '../continuationToken';
import type { Container, CosmosClient, SqlParameter, SqlQuerySpec } from '@azure/cosmos';
import { ConflictError, NotFoundError, PreconditionFailedError, ValidationError } from '../../domain/errors';
import { experimentRefOf, keyOf, workspaceRefOf, type ResourceRef } from '../../domain/resourceId';
import type { OperationRecord } from '../../domain/operationRecord';
import type { ResourceRecord, Stored } from '../../domain/resourceRecord';
import { queueOrderKey } from '../../domain/scheduling/queueOrder';
import type { JsonObject } from '../../domain/specValidator';
import type { JobQueueEntry, ListScope, Page, PageRequest, ResourceStore } from '../../ports/resourceStore';
import { resourceApiContainers } from './resourceApiContainers';
import { cosmosStatusOf } from './cosmosStatus';
import { recentDocumentsOf, type RecentDocuments } from './recentDocuments';

interface ResourceDocument {
  id: string;
  kind: string;
  sortName: string;
  record: ResourceRecord;
  subscriptionId?: string;
  resourceGroupKey?: string;
  workspaceKey?: string;
  experimentKey?: string;
  clusterKey?: string;
  executionState?: string;
  /** A job's place in its cluster's queue (`queueOrderKey`), for the scheduler's ORDER BY. */
  queueOrder?: string;
  locationKey?: string;
  _etag?: string;
}

interface OperationDocument {
  id: string;
  record: OperationRecord;
  _etag?: string;
}

function locationKey(location: string): string {
  return location.toLowerCase().replace(/\s/g, '');
}

/** Where a resource lives: container, document id and partition key value, all derived from its ref. */
function placementOf(ref: ResourceRef): {
  container: 'workspaces' | 'workspaceResources' | 'jobs';
  id: string;
  partitionKey: string;
} {
  const name = ref.name.toLowerCase();
  switch (ref.kind) {
    case 'workspace':
      return {
        container: 'workspaces',
        id: `${ref.resourceGroup.toLowerCase()}:${name}`,
        partitionKey: ref.subscriptionId.toLowerCase(),
      };
    case 'job':
      return { container: 'jobs', id: name, partitionKey: keyOf(experimentRefOf(ref)) };
    default:
      return {
        container: 'workspaceResources',
        id: `${ref.kind}:${name}`,
        partitionKey: keyOf(workspaceRefOf(ref)),
      };
  }
}

/** A job's key in the remembered records (other kinds are not remembered). */
function recentKey(ref: ResourceRef): string {
  const placement = placementOf(ref);
  return `${placement.partitionKey}/${placement.id}`;
}

/** A queued job the cluster can ever run: at most `@max` nodes (a job stored without its node count counts as one). */
const fitsWithin = '(NOT IS_DEFINED(c.record.job.nodeCount) OR c.record.job.nodeCount <= @max)';

function checkLimit(method: string, limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`${method}: limit ${limit}`);
}

/** The path of the largest value (serialized) in a resource's properties: what a too-large body names. */
function largestPropertyPath(value: unknown, at: string): string {
  if (value === null || typeof value !== 'object') return at;
  let largest: { path: string; child: unknown; size: number } | undefined;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const size = JSON.stringify(child)?.length ?? 0;
    if (!largest || size > largest.size) {
      largest = { path: Array.isArray(value) ? `${at}[${key}]` : `${at}.${key}`, child, size };
    }
  }
  return largest ? largestPropertyPath(largest.child, largest.path) : at;
}

/**
 * Cosmos DB refuses a document above its size limit (2 MB) with 413: the request body was too large, a 400 that
 * names its largest property, never a 500.
 */
function tooLarge(record: ResourceRecord): ValidationError {
  const field = largestPropertyPath(record.spec, 'properties');
  return new ValidationError(
    field,
    `The ${record.kind} '${record.ref.name}' is too large to store (the largest property is '${field}'); ` +
      `make it smaller.`,
    'RequestBodyTooLarge',
  );
}

export class CosmosResourceStore implements ResourceStore {
  private readonly containers: Record<'workspaces' | 'workspaceResources' | 'jobs' | 'operations', Container>;
  /** Job records as last read or written here (the records a job's lifecycle updates again and again). */
  private readonly recentJobs: RecentDocuments<ResourceRecord>;

  constructor(client: CosmosClient, databaseName: string) {
    const database = client.database(databaseName);
    this.recentJobs = recentDocumentsOf(databaseName, resourceApiContainers.jobs);
    this.containers = {
      workspaces: database.container(resourceApiContainers.workspaces),
      workspaceResources: database.container(resourceApiContainers.workspaceResources),
      jobs: database.container(resourceApiContainers.jobs),
      operations: database.container(resourceApiContainers.operations),
    };
  }

  private toDocument(record: ResourceRecord): ResourceDocument {
    const placement = placementOf(record.ref);
    const document: ResourceDocument = {
      id: placement.id,
      kind: record.kind,
      sortName: record.ref.name.toLowerCase(),
      record,
    };
    const ref = record.ref;
    if (record.kind === 'workspace') {
      document.subscriptionId = placement.partitionKey;
      document.resourceGroupKey = ref.resourceGroup.toLowerCase();
    } else if (record.kind === 'job') {
      document.experimentKey = placement.partitionKey;
      document.clusterKey = record.job?.clusterKey;
      document.executionState = record.job?.executionState;
      if (record.job) {
        const { priority, uuid } = record.job;
        document.queueOrder = queueOrderKey(priority, String(record.status.creationTime), uuid);
      }
    } else {
      document.workspaceKey = placement.partitionKey;
      document.subscriptionId = ref.subscriptionId.toLowerCase();
      document.locationKey = locationKey(record.location);
    }
    return document;
  }

  private stored(document: ResourceDocument): Stored {
    return { record: document.record, etag: document._etag ?? '' };
  }

  /** The record and ETag of a document just read or written by key; a job's is remembered for its next update. */
  private remembered(document: ResourceDocument): Stored {
    const stored = this.stored(document);
    if (stored.record.kind === 'job')
      this.recentJobs.remember(recentKey(stored.record.ref), stored.record, stored.etag);
    return stored;
  }

  async get(ref: ResourceRef): Promise<Stored | undefined> {
    const placement = placementOf(ref);
    try {
      const { resource } = await this.containers[placement.container]
        .item(placement.id, placement.partitionKey)
        .read<ResourceDocument>();
      if (!resource) this.recentJobs.forget(recentKey(ref));
      return resource ? this.remembered(resource) : undefined;
    } catch (error: unknown) {
      if (cosmosStatusOf(error) === 404) {
        this.recentJobs.forget(recentKey(ref));
        return undefined;
      }
      throw error;
    }
  }

  async getForUpdate(ref: ResourceRef): Promise<{ stored: Stored; recalled: boolean } | undefined> {
    const recalled = ref.kind === 'job' ? this.recentJobs.recall(recentKey(ref)) : undefined;
    if (recalled) return { stored: { record: recalled.value, etag: recalled.etag }, recalled: true };
    const stored = await this.get(ref);
    return stored && { stored, recalled: false };
  }

  async create(record: ResourceRecord): Promise<Stored> {
    const placement = placementOf(record.ref);
    try {
      const { resource } = await this.containers[placement.container].items.create<ResourceDocument>(
        this.toDocument(record),
      );
      return this.remembered(resource as ResourceDocument);
    } catch (error: unknown) {
      const status = cosmosStatusOf(error);
      if (status === 409)
        throw new ConflictError('ResourceAlreadyExists', `The resource '${record.ref.name}' already exists.`);
      if (status === 413) throw tooLarge(record);
      throw error;
    }
  }

  async replace(record: ResourceRecord, etag: string): Promise<Stored> {
    const placement = placementOf(record.ref);
    try {
      const { resource } = await this.containers[placement.container]
        .item(placement.id, placement.partitionKey)
        .replace<ResourceDocument>(this.toDocument(record), {
          accessCondition: { type: 'IfMatch', condition: etag },
        });
      return this.remembered(resource as ResourceDocument);
    } catch (error: unknown) {
      const status = cosmosStatusOf(error);
      if (status === 412 || status === 404) this.recentJobs.forget(recentKey(record.ref));
      if (status === 412) throw new PreconditionFailedError();
      if (status === 404) throw new NotFoundError(`The resource '${record.ref.name}' no longer exists.`);
      if (status === 413) throw tooLarge(record);
      throw error;
    }
  }

  async setJobQueueInfo(ref: ResourceRef, etag: string, queueInfo: JsonObject): Promise<boolean> {
    // One partial update (no read first): the scheduler holds the ETag from its pass's projection.
    const placement = placementOf(ref);
    try {
      const { resource } = await this.containers[placement.container]
        .item(placement.id, placement.partitionKey)
        .patch<ResourceDocument>([{ op: 'set', path: '/record/status/queueInfo', value: queueInfo }], {
          accessCondition: { type: 'IfMatch', condition: etag },
        });
      if (resource) this.remembered(resource);
      else this.recentJobs.forget(recentKey(ref));
      return true;
    } catch (error: unknown) {
      const status = cosmosStatusOf(error);
      if (status === 412 || status === 404) {
        this.recentJobs.forget(recentKey(ref));
        return false;
      }
      throw error;
    }
  }

  async delete(ref: ResourceRef, etag?: string): Promise<boolean> {
    const placement = placementOf(ref);
    this.recentJobs.forget(recentKey(ref));
    try {
      await this.containers[placement.container]
        .item(placement.id, placement.partitionKey)
        .delete(etag ? { accessCondition: { type: 'IfMatch', condition: etag } } : undefined);
      return true;
    } catch (error: unknown) {
      const status = cosmosStatusOf(error);
      if (status === 404) return false;
      if (status === 412) throw new PreconditionFailedError();
      throw error;
    }
  }

  list(scope: ListScope, page: PageRequest): Promise<Page<Stored>> {
    if (scope.kind === 'workspace') {
      const parameters = [{ name: '@subscriptionId', value: scope.subscriptionId.toLowerCase() }];
      let where = 'c.subscriptionId = @subscriptionId';
      if (scope.resourceGroup !== undefined) {
        where += ' AND c.resourceGroupKey = @resourceGroup';
        parameters.push({ name: '@resourceGroup', value: scope.resourceGroup.toLowerCase() });
      }
      return this.page(
        'workspaces',
        { query: `SELECT * FROM c WHERE ${where} ORDER BY c.sortName`, parameters },
        page,
      );
    }
    if (scope.kind === 'job') {
      return this.page(
        'jobs',
        {
          query: 'SELECT * FROM c WHERE c.experimentKey = @experiment ORDER BY c.sortName',
          parameters: [{ name: '@experiment', value: keyOf(scope.experiment) }],
        },
        page,
      );
    }
    return this.page(
      'workspaceResources',
      {
        query: 'SELECT * FROM c WHERE c.workspaceKey = @workspace AND c.kind = @kind ORDER BY c.sortName',
        parameters: [
          { name: '@workspace', value: keyOf(workspaceRefOf(scope.workspace)) },
          { name: '@kind', value: scope.kind },
        ],
      },
      page,
    );
  }

  async listActiveJobs(clusterKey?: string): Promise<JobQueueEntry[]> {
    return this.jobQueueEntries(
      `FROM c WHERE ${clusterKey === undefined ? "c.kind = 'job'" : 'c.clusterKey = @cluster'} AND ` +
        "(c.executionState IN ('running', 'terminating') OR " +
        "(c.executionState = 'queued' AND NOT IS_DEFINED(c.queueOrder)))",
      clusterKey,
    );
  }

  async listClustersWithQueuedJobs(): Promise<string[]> {
    const keys: string[] = [];
    for (;;) {
      const query: SqlQuerySpec = {
        query:
          "SELECT TOP 1 c.clusterKey FROM c WHERE c.executionState = 'queued' AND c.clusterKey > @after " +
          'ORDER BY c.clusterKey',
        parameters: [{ name: '@after', value: keys.at(-1) ?? '' }],
      };
      const { resources } = await this.containers.jobs.items
        .query<{ clusterKey?: unknown }>(query)
        .fetchAll();
      const next = resources[0]?.clusterKey;
      if (typeof next !== 'string') return keys;
      keys.push(next);
    }
  }

  async listQueueHead(clusterKey: string, limit: number, maxNodeCount?: number): Promise<JobQueueEntry[]> {
    checkLimit('listQueueHead', limit);
    // TOP takes a literal here (the emulator does not take a parameter there); limit is a checked integer.
    return this.jobQueueEntries(
      "FROM c WHERE c.clusterKey = @cluster AND c.executionState = 'queued'" +
        (maxNodeCount === undefined ? '' : ` AND ${fitsWithin}`) +
        ' AND IS_DEFINED(c.queueOrder) ORDER BY c.queueOrder',
      clusterKey,
      limit,
      maxNodeCount === undefined ? [] : [{ name: '@max', value: maxNodeCount }],
    );
  }

  async listOversizedQueued(
    clusterKey: string,
    maxNodeCount: number,
    explainedBefore: string,
    limit: number,
  ): Promise<JobQueueEntry[]> {
    checkLimit('listOversizedQueued', limit);
    return this.jobQueueEntries(
      "FROM c WHERE c.clusterKey = @cluster AND c.executionState = 'queued' AND c.record.job.nodeCount > @max " +
        'AND (NOT IS_DEFINED(c.record.status.queueInfo) OR ' +
        "(c.record.status.queueInfo.reason != 'ExceedsClusterSize' AND " +
        "c.record.status.queueInfo.reason != 'ClusterHasNoNodes') OR " +
        'c.record.status.queueInfo.updatedTime < @before) AND IS_DEFINED(c.queueOrder) ORDER BY c.queueOrder',
      clusterKey,
      limit,
      [
        { name: '@max', value: maxNodeCount },
        { name: '@before', value: explainedBefore },
      ],
    );
  }

  async listExplainedBehindHead(
    clusterKey: string,
    afterQueueOrder: string,
    maxNodeCount: number,
    limit: number,
  ): Promise<JobQueueEntry[]> {
    checkLimit('listExplainedBehindHead', limit);
    return this.jobQueueEntries(
      "FROM c WHERE c.clusterKey = @cluster AND c.executionState = 'queued' AND c.queueOrder > @after " +
        `AND ${fitsWithin} AND IS_DEFINED(c.record.status.queueInfo) ` +
        "AND c.record.status.queueInfo.reason != 'NotYetConsidered' ORDER BY c.queueOrder",
      clusterKey,
      limit,
      [
        { name: '@after', value: afterQueueOrder },
        { name: '@max', value: maxNodeCount },
      ],
    );
  }

  /**
   * A scheduling pass's projection of the jobs `from` selects: a few hundred bytes per job instead of whole records
   * (specs, secrets, status). Cross-partition by design: jobs are partitioned by experiment (their URL), the
   * scheduler asks by cluster.
   */
  private async jobQueueEntries(
    from: string,
    clusterKey: string | undefined,
    top?: number,
    extraParameters: SqlParameter[] = [],
  ): Promise<JobQueueEntry[]> {
    const query: SqlQuerySpec = {
      query:
        `SELECT ${top === undefined ? '' : `TOP ${top} `}c.record.ref AS ref, c.record.armId AS armId, ` +
        'c._etag AS etag, c.record.job AS job, c.record.status.creationTime AS creationTime, ' +
        'c.record.status.executionStateTransitionTime AS executionStateTransitionTime, ' +
        'c.record.spec.constraints.maxWallClockTime AS maxWallClockTime, c.record.status.queueInfo AS queueInfo, ' +
        'c.queueOrder AS queueOrder ' +
        from,
      parameters: [
        ...(clusterKey === undefined ? [] : [{ name: '@cluster', value: clusterKey }]),
        ...extraParameters,
      ],
    };
    const entries: JobQueueEntry[] = [];
    const iterator = this.containers.jobs.items.query<JobQueueEntry>(query, { maxItemCount: 1000 });
    while (iterator.hasMoreResults()) {
      const response = await iterator.fetchNext();
      entries.push(...(response.resources ?? []));
    }
    return entries;
  }

  listMonitored(page: PageRequest): Promise<Page<Stored>> {
    return this.page(
      'workspaceResources',
      {
        query:
          "SELECT * FROM c WHERE c.kind = 'cluster' OR (c.kind = 'fileServer' AND " +
          "(c.record.status.provisioningState = 'creating' OR c.record.status.provisioningState = 'deleting'))",
      },
      page,
    );
  }

  listClustersInLocation(subscriptionId: string, location: string, page: PageRequest): Promise<Page<Stored>> {
    return this.page(
      'workspaceResources',
      {
        query:
          "SELECT * FROM c WHERE c.kind = 'cluster' AND c.subscriptionId = @subscriptionId AND c.locationKey = @location",
        parameters: [
          { name: '@subscriptionId', value: subscriptionId.toLowerCase() },
          { name: '@location', value: locationKey(location) },
        ],
      },
      page,
    );
  }

  private async page(
    container: 'workspaces' | 'workspaceResources' | 'jobs',
    query: SqlQuerySpec,
    page: PageRequest,
  ): Promise<Page<Stored>> {
    const iterator = this.containers[container].items.query<ResourceDocument>(query, {
      maxItemCount: page.maxItems,
      continuationToken: page.continuationToken,
    });
    const response = await withContinuationToken(page.continuationToken, () => iterator.fetchNext());
    const items = (response.resources ?? []).map((document) => this.stored(document));
    return { items, continuationToken: response.continuationToken || undefined };
  }

  async createOperation(operation: OperationRecord): Promise<Stored<OperationRecord>> {
    const { resource } = await this.containers.operations.items.create<OperationDocument>({
      id: operation.id,
      record: operation,
    });
    return { record: operation, etag: resource?._etag ?? '' };
  }

  async getOperation(id: string): Promise<Stored<OperationRecord> | undefined> {
    try {
      const { resource } = await this.containers.operations.item(id, id).read<OperationDocument>();
      return resource ? { record: resource.record, etag: resource._etag ?? '' } : undefined;
    } catch (error: unknown) {
      if (cosmosStatusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async listInProgressOperations(page: PageRequest): Promise<Page<Stored<OperationRecord>>> {
    const iterator = this.containers.operations.items.query<OperationDocument>(
      "SELECT * FROM c WHERE c.record.status = 'InProgress'",
      { maxItemCount: page.maxItems, continuationToken: page.continuationToken },
    );
    const response = await withContinuationToken(page.continuationToken, () => iterator.fetchNext());
    const items = (response.resources ?? []).map((document) => ({
      record: document.record,
      etag: document._etag ?? '',
    }));
    return { items, continuationToken: response.continuationToken || undefined };
  }

  async deleteOperationsEndedBefore(endedBefore: string, max: number): Promise<number> {
    const { resources } = await this.containers.operations.items
      .query<{ id: string }>({
        query:
          "SELECT TOP @max c.id FROM c WHERE c.record.status != 'InProgress' AND c.record.endTime < @endedBefore",
        parameters: [
          { name: '@max', value: max },
          { name: '@endedBefore', value: endedBefore },
        ],
      })
      .fetchAll();
    let deleted = 0;
    for (const { id } of resources) {
      try {
        await this.containers.operations.item(id, id).delete();
        deleted++;
      } catch (error: unknown) {
        if (cosmosStatusOf(error) !== 404) throw error; // gone meanwhile (another instance of the timer)
      }
    }
    return deleted;
  }

  async replaceOperation(operation: OperationRecord, etag: string): Promise<Stored<OperationRecord>> {
    try {
      const { resource } = await this.containers.operations
        .item(operation.id, operation.id)
        .replace<OperationDocument>(
          { id: operation.id, record: operation },
          { accessCondition: { type: 'IfMatch', condition: etag } },
        );
      return { record: operation, etag: resource?._etag ?? '' };
    } catch (error: unknown) {
      if (cosmosStatusOf(error) === 412) throw new PreconditionFailedError();
      throw error;
    }
  }
}
