// The sweeps' store on Cosmos DB: one document per sweep in the `sweeps` container, partitioned by experiment
// (the sweeps of an experiment are listed in one partition; id = lower-cased name). Only SQL the emulator supports.
import { withContinuationToken } from '../continuationToken';
import type { Container, CosmosClient } from '@azure/cosmos';
import { sweepsContainer } from '../../config/resourceNames';
import { ConflictError, NotFoundError, PreconditionFailedError } from '../../domain/errors';
import {
  experimentKeyOf,
  type StoredSweep,
  type SweepAddress,
  type SweepRecord,
  type SweepStore,
} from '../../domain/sweeps/sweepStore';
import type { Page, PageRequest } from '../../ports/resourceStore';
import { cosmosStatusOf } from './cosmosStatus';

interface SweepDocument {
  id: string;
  experimentKey: string;
  sortName: string;
  record: SweepRecord;
  _etag?: string;
}

export class CosmosSweepStore implements SweepStore {
  private readonly container: Container;

  constructor(client: CosmosClient, databaseName: string) {
    this.container = client.database(databaseName).container(sweepsContainer);
  }

  private toDocument(record: SweepRecord): SweepDocument {
    return {
      id: record.address.name.toLowerCase(),
      experimentKey: experimentKeyOf(record.address),
      sortName: record.address.name.toLowerCase(),
      record,
    };
  }

  private stored(document: SweepDocument): StoredSweep {
    return { record: document.record, etag: document._etag ?? '' };
  }

  async get(address: SweepAddress): Promise<StoredSweep | undefined> {
    try {
      const { resource } = await this.container
        .item(address.name.toLowerCase(), experimentKeyOf(address))
        .read<SweepDocument>();
      return resource ? this.stored(resource) : undefined;
    } catch (error: unknown) {
      if (cosmosStatusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async create(record: SweepRecord): Promise<StoredSweep> {
    try {
      const { resource } = await this.container.items.create<SweepDocument>(this.toDocument(record));
      return this.stored(resource as SweepDocument);
    } catch (error: unknown) {
      if (cosmosStatusOf(error) === 409)
        throw new ConflictError(
          'ResourceAlreadyExists',
          `The sweep '${record.address.name}' already exists.`,
        );
      throw error;
    }
  }

  async replace(record: SweepRecord, etag: string): Promise<StoredSweep> {
    const document = this.toDocument(record);
    try {
      const { resource } = await this.container
        .item(document.id, document.experimentKey)
        .replace<SweepDocument>(document, { accessCondition: { type: 'IfMatch', condition: etag } });
      return this.stored(resource as SweepDocument);
    } catch (error: unknown) {
      const status = cosmosStatusOf(error);
      if (status === 412) throw new PreconditionFailedError();
      if (status === 404) throw new NotFoundError(`The sweep '${record.address.name}' no longer exists.`);
      throw error;
    }
  }

  async delete(address: SweepAddress, etag?: string): Promise<boolean> {
    try {
      await this.container
        .item(address.name.toLowerCase(), experimentKeyOf(address))
        .delete(etag ? { accessCondition: { type: 'IfMatch', condition: etag } } : undefined);
      return true;
    } catch (error: unknown) {
      const status = cosmosStatusOf(error);
      if (status === 404) return false;
      if (status === 412) throw new PreconditionFailedError();
      throw error;
    }
  }

  async list(experiment: Omit<SweepAddress, 'name'>, page: PageRequest): Promise<Page<StoredSweep>> {
    const iterator = this.container.items.query<SweepDocument>(
      {
        query: 'SELECT * FROM c WHERE c.experimentKey = @experiment ORDER BY c.sortName',
        parameters: [{ name: '@experiment', value: experimentKeyOf(experiment) }],
      },
      { maxItemCount: page.maxItems, continuationToken: page.continuationToken },
    );
    const response = await withContinuationToken(page.continuationToken, () => iterator.fetchNext());
    return {
      items: (response.resources ?? []).map((document) => this.stored(document)),
      continuationToken: response.continuationToken || undefined,
    };
  }
}
