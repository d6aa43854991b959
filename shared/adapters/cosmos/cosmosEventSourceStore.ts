// The event sources' store on Cosmos DB: scoring rules and job schedules in one container partitioned by
// workspace (kind + lower-cased name as id), blob batches in another (point reads by id). Only SQL that both
// Azure Cosmos DB and the local emulator support; the partition key is filtered in WHERE (see local-stack notes).
import { withContinuationToken } from '../continuationToken';
import type { Container, CosmosClient, SqlQuerySpec } from '@azure/cosmos';
import { eventSourceDefinitionsContainer, scoringBatchesContainer } from '../../config/resourceNames';
import { ConflictError, NotFoundError, PreconditionFailedError } from '../../domain/errors';
import type {
  BlobBatch,
  DefinitionKind,
  DefinitionRecord,
  EventSourceStore,
  JobScheduleRecord,
  ScoringRuleRecord,
  StoredDefinition,
  WorkspaceAddress,
} from '../../domain/eventSources/eventSourceStore';
import { workspaceKeyOf } from '../../domain/eventSources/eventSourceStore';
import type { Page, PageRequest } from '../../ports/resourceStore';
import { cosmosStatusOf } from './cosmosStatus';

interface DefinitionDocument {
  id: string;
  workspaceKey: string;
  kind: DefinitionKind;
  sortName: string;
  /** Rules: the source container, for the Event Grid function's query. */
  containerKey?: string;
  enabled: boolean;
  record: DefinitionRecord;
  _etag?: string;
}

interface BatchDocument {
  id: string;
  batch: BlobBatch;
  _etag?: string;
}

function idOf(kind: DefinitionKind, name: string): string {
  return `${kind}:${name.toLowerCase()}`;
}

export class CosmosEventSourceStore implements EventSourceStore {
  private readonly definitions: Container;
  private readonly batches: Container;

  constructor(client: CosmosClient, databaseName: string) {
    const database = client.database(databaseName);
    this.definitions = database.container(eventSourceDefinitionsContainer);
    this.batches = database.container(scoringBatchesContainer);
  }

  private toDocument(record: DefinitionRecord): DefinitionDocument {
    return {
      id: idOf(record.kind, record.name),
      workspaceKey: workspaceKeyOf(record.workspace),
      kind: record.kind,
      sortName: record.name.toLowerCase(),
      ...(record.kind === 'scoringRule' ? { containerKey: record.properties.source.container } : {}),
      enabled: record.properties.enabled,
      record,
    };
  }

  private stored(document: DefinitionDocument): StoredDefinition {
    return { record: document.record, etag: document._etag ?? '' };
  }

  async get(
    kind: DefinitionKind,
    workspace: WorkspaceAddress,
    name: string,
  ): Promise<StoredDefinition | undefined> {
    try {
      const { resource } = await this.definitions
        .item(idOf(kind, name), workspaceKeyOf(workspace))
        .read<DefinitionDocument>();
      return resource ? this.stored(resource) : undefined;
    } catch (error: unknown) {
      if (cosmosStatusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async create(record: DefinitionRecord): Promise<StoredDefinition> {
    try {
      const { resource } = await this.definitions.items.create<DefinitionDocument>(this.toDocument(record));
      return this.stored(resource as DefinitionDocument);
    } catch (error: unknown) {
      if (cosmosStatusOf(error) === 409)
        throw new ConflictError('ResourceAlreadyExists', `'${record.name}' already exists.`);
      throw error;
    }
  }

  async replace(record: DefinitionRecord, etag: string): Promise<StoredDefinition> {
    const document = this.toDocument(record);
    try {
      const { resource } = await this.definitions
        .item(document.id, document.workspaceKey)
        .replace<DefinitionDocument>(document, { accessCondition: { type: 'IfMatch', condition: etag } });
      return this.stored(resource as DefinitionDocument);
    } catch (error: unknown) {
      const status = cosmosStatusOf(error);
      if (status === 412) throw new PreconditionFailedError();
      if (status === 404) throw new NotFoundError(`'${record.name}' no longer exists.`);
      throw error;
    }
  }

  async delete(
    kind: DefinitionKind,
    workspace: WorkspaceAddress,
    name: string,
    etag?: string,
  ): Promise<boolean> {
    try {
      await this.definitions
        .item(idOf(kind, name), workspaceKeyOf(workspace))
        .delete(etag === undefined ? {} : { accessCondition: { type: 'IfMatch', condition: etag } });
      return true;
    } catch (error: unknown) {
      const status = cosmosStatusOf(error);
      if (status === 404 || status === 412) return false;
      throw error;
    }
  }

  async list(
    kind: DefinitionKind,
    workspace: WorkspaceAddress,
    page: PageRequest,
  ): Promise<Page<StoredDefinition>> {
    const iterator = this.definitions.items.query<DefinitionDocument>(
      {
        query: 'SELECT * FROM c WHERE c.workspaceKey = @workspace AND c.kind = @kind ORDER BY c.sortName',
        parameters: [
          { name: '@workspace', value: workspaceKeyOf(workspace) },
          { name: '@kind', value: kind },
        ],
      },
      { maxItemCount: page.maxItems, continuationToken: page.continuationToken },
    );
    const response = await withContinuationToken(page.continuationToken, () => iterator.fetchNext());
    return {
      items: (response.resources ?? []).map((document) => this.stored(document)),
      continuationToken: response.continuationToken || undefined,
    };
  }

  async rulesForContainer(container: string): Promise<StoredDefinition<ScoringRuleRecord>[]> {
    return (await this.queryAll({
      query:
        "SELECT * FROM c WHERE c.kind = 'scoringRule' AND c.enabled = true AND c.containerKey = @container",
      parameters: [{ name: '@container', value: container.toLowerCase() }],
    })) as StoredDefinition<ScoringRuleRecord>[];
  }

  async enabledSchedules(): Promise<StoredDefinition<JobScheduleRecord>[]> {
    return (await this.queryAll({
      query: "SELECT * FROM c WHERE c.kind = 'jobSchedule' AND c.enabled = true",
    })) as StoredDefinition<JobScheduleRecord>[];
  }

  private async queryAll(query: SqlQuerySpec): Promise<StoredDefinition[]> {
    const { resources } = await this.definitions.items.query<DefinitionDocument>(query).fetchAll();
    return resources.map((document) => this.stored(document));
  }

  async getBatch(id: string): Promise<{ batch: BlobBatch; etag: string } | undefined> {
    try {
      const { resource } = await this.batches.item(id, id).read<BatchDocument>();
      return resource ? { batch: resource.batch, etag: resource._etag ?? '' } : undefined;
    } catch (error: unknown) {
      if (cosmosStatusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async createBatch(batch: BlobBatch): Promise<{ batch: BlobBatch; etag: string }> {
    try {
      const { resource } = await this.batches.items.create<BatchDocument>({ id: batch.id, batch });
      return { batch, etag: resource?._etag ?? '' };
    } catch (error: unknown) {
      if (cosmosStatusOf(error) === 409)
        throw new ConflictError('BatchExists', `The batch '${batch.id}' already exists.`);
      throw error;
    }
  }

  async batchesBefore(before: string, limit: number): Promise<{ batch: BlobBatch; etag: string }[]> {
    const top = Math.max(1, Math.floor(limit));
    const { resources } = await this.batches.items
      .query<BatchDocument>({
        query: `SELECT TOP ${top} * FROM c WHERE c.batch.windowStart < @before`,
        parameters: [{ name: '@before', value: before }],
      })
      .fetchAll();
    return resources.map((document) => ({ batch: document.batch, etag: document._etag ?? '' }));
  }

  async deleteBatch(id: string, etag: string): Promise<boolean> {
    try {
      await this.batches.item(id, id).delete({ accessCondition: { type: 'IfMatch', condition: etag } });
      return true;
    } catch (error: unknown) {
      const status = cosmosStatusOf(error);
      if (status === 412 || status === 404) return false;
      throw error;
    }
  }

  async replaceBatch(batch: BlobBatch, etag: string): Promise<{ batch: BlobBatch; etag: string }> {
    try {
      const { resource } = await this.batches
        .item(batch.id, batch.id)
        .replace<BatchDocument>(
          { id: batch.id, batch },
          { accessCondition: { type: 'IfMatch', condition: etag } },
        );
      return { batch, etag: resource?._etag ?? '' };
    } catch (error: unknown) {
      if (cosmosStatusOf(error) === 412) throw new PreconditionFailedError();
      throw error;
    }
  }
}
