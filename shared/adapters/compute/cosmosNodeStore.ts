// Node records in the Cosmos container `nodes` (partition key /clusterKey): the monitor's list is a
// single-partition query, a heartbeat is a point read plus a replace with IfMatch.
import type { Container, CosmosClient } from '@azure/cosmos';
import type { NodeRecord, NodeStore } from '../../ports/nodeStore';
import { cosmosStatusOf } from '../cosmos/cosmosStatus';

interface NodeDocument extends NodeRecord {
  id: string;
  _etag?: string;
}

/** Document ids may not contain '/', '\\', '?', '#': node ids are safe, but encode to be sure. */
function documentId(nodeId: string): string {
  return encodeURIComponent(nodeId);
}

function recordOf(doc: NodeDocument): NodeRecord {
  const { id: _id, _etag, ...rest } = doc as NodeDocument & Record<string, unknown>;
  for (const key of Object.keys(rest)) if (key.startsWith('_')) delete (rest as Record<string, unknown>)[key];
  return rest as NodeRecord;
}

export class CosmosNodeStore implements NodeStore {
  private readonly container: Container;

  constructor(client: CosmosClient, database: string, containerId = 'nodes') {
    this.container = client.database(database).container(containerId);
  }

  async list(clusterKey: string): Promise<NodeRecord[]> {
    const { resources } = await this.container.items
      .query<NodeDocument>({
        query: 'SELECT * FROM c WHERE c.clusterKey = @clusterKey',
        parameters: [{ name: '@clusterKey', value: clusterKey }],
      })
      .fetchAll();
    return resources.map(recordOf);
  }

  private async read(clusterKey: string, nodeId: string): Promise<NodeDocument | undefined> {
    try {
      const { resource } = await this.container.item(documentId(nodeId), clusterKey).read<NodeDocument>();
      return resource ?? undefined;
    } catch (error: unknown) {
      if (cosmosStatusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async get(clusterKey: string, nodeId: string): Promise<NodeRecord | undefined> {
    const doc = await this.read(clusterKey, nodeId);
    return doc ? recordOf(doc) : undefined;
  }

  async update(
    clusterKey: string,
    nodeId: string,
    mutate: (current: NodeRecord | undefined) => NodeRecord | undefined,
  ): Promise<NodeRecord | undefined> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const doc = await this.read(clusterKey, nodeId);
      const current = doc ? recordOf(doc) : undefined;
      const next = mutate(current ? structuredClone(current) : undefined);
      if (!next) return current;
      const body: NodeDocument = { ...next, id: documentId(nodeId), clusterKey, nodeId };
      try {
        if (doc?._etag) {
          await this.container.item(body.id, clusterKey).replace(body, {
            accessCondition: { type: 'IfMatch', condition: doc._etag },
          });
        } else {
          await this.container.items.create(body);
        }
        return next;
      } catch (error: unknown) {
        const status = cosmosStatusOf(error);
        if (status !== 412 && status !== 409 && status !== 404) throw error; // else: changed meanwhile, re-read
      }
    }
    throw new Error(`Node record ${nodeId} kept changing: gave up after 20 attempts.`);
  }

  async delete(clusterKey: string, nodeId: string): Promise<void> {
    try {
      await this.container.item(documentId(nodeId), clusterKey).delete();
    } catch (error: unknown) {
      if (cosmosStatusOf(error) !== 404) throw error;
    }
  }
}
