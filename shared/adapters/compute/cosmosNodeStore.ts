// Node records in the Cosmos container `nodes` (partition key /clusterKey): the monitor's list is a
// single-partition query, an update is a replace with IfMatch on the record as this process last read or wrote it
// (recentDocuments.ts: no read when that copy is current; a stale one costs a 412 and a fresh read).
import type { Container, CosmosClient } from '@azure/cosmos';
import type { NodeRecord, NodeStore, SchedulingNode } from '../../ports/nodeStore';
import { cosmosStatusOf } from '../cosmos/cosmosStatus';
import { recentDocumentsOf, type RecentDocuments } from '../cosmos/recentDocuments';

interface NodeDocument extends NodeRecord {
  id: string;
  _etag?: string;
}

/** Document ids may not contain '/', '\\', '?', '#': node ids are safe, but encode to be sure. */
function documentId(nodeId: string): string {
  return encodeURIComponent(nodeId);
}

/** The fields of a `SchedulingNode`, all of them (the check below fails the build when the record gains one). */
const schedulingFields = [
  'nodeId',
  'clusterKey',
  'state',
  'createdTime',
  'vmSize',
  'cpuCount',
  'gpuCount',
  'remoteLogin',
  'agentVersion',
  'registeredTime',
  'lastHeartbeatTime',
  'setup',
  'runningTaskIds',
  'runningJobIds',
  'idleSince',
  'unusableReason',
  'leaving',
  'releasedBy',
  'earlierReleases',
  'vmId',
] as const satisfies readonly (keyof SchedulingNode)[];
const everySchedulingField: Exclude<keyof SchedulingNode, (typeof schedulingFields)[number]> extends never
  ? true
  : never = true;
void everySchedulingField;

function recordOf(doc: NodeDocument): NodeRecord {
  const { id: _id, _etag, ...rest } = doc as NodeDocument & Record<string, unknown>;
  for (const key of Object.keys(rest)) if (key.startsWith('_')) delete (rest as Record<string, unknown>)[key];
  return rest as NodeRecord;
}

export class CosmosNodeStore implements NodeStore {
  private readonly container: Container;
  private readonly recent: RecentDocuments<NodeDocument>;
  /** The update of each node record under way in this process (`update` chains the next one after it). */
  private readonly updating = new Map<string, Promise<void>>();

  constructor(client: CosmosClient, database: string, containerId = 'nodes') {
    this.container = client.database(database).container(containerId);
    this.recent = recentDocumentsOf(database, containerId);
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

  async listForScheduling(clusterKey: string): Promise<SchedulingNode[]> {
    const { resources } = await this.container.items
      .query<SchedulingNode>({
        query: `SELECT ${schedulingFields.map((field) => `c.${field}`).join(', ')} FROM c WHERE c.clusterKey = @clusterKey`,
        parameters: [{ name: '@clusterKey', value: clusterKey }],
      })
      .fetchAll();
    return resources;
  }

  private async read(clusterKey: string, nodeId: string): Promise<NodeDocument | undefined> {
    const key = `${clusterKey}/${nodeId}`;
    try {
      const { resource } = await this.container.item(documentId(nodeId), clusterKey).read<NodeDocument>();
      if (resource) this.recent.remember(key, resource, resource._etag);
      else this.recent.forget(key);
      return resource ?? undefined;
    } catch (error: unknown) {
      if (cosmosStatusOf(error) !== 404) throw error;
      this.recent.forget(key);
      return undefined;
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
    const key = `${clusterKey}/${nodeId}`;
    // One update of a node's record at a time in this process: a node's events are handled concurrently (several
    // job slots' exits at once), and updates started together would all start from the same copy, every one but
    // the first paying a 412 and a fresh read. Other processes' updates are still caught by the ETag.
    const run = (this.updating.get(key) ?? Promise.resolve()).then(() =>
      this.updateNow(key, clusterKey, nodeId, mutate),
    );
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.updating.set(key, settled);
    void settled.then(() => {
      if (this.updating.get(key) === settled) this.updating.delete(key);
    });
    return run;
  }

  private async updateNow(
    key: string,
    clusterKey: string,
    nodeId: string,
    mutate: (current: NodeRecord | undefined) => NodeRecord | undefined,
  ): Promise<NodeRecord | undefined> {
    for (let attempt = 0; attempt < 20; attempt++) {
      // First try: the record as this process last saw it, if it did (a copy: `mutate` may change it).
      const recalled = attempt === 0 ? this.recent.recall(key)?.value : undefined;
      const doc = recalled ?? (await this.read(clusterKey, nodeId));
      const current = doc ? recordOf(doc) : undefined;
      const next = mutate(current ? structuredClone(current) : undefined);
      if (!next) {
        if (recalled) continue; // the copy may be behind: decide on a fresh read
        return current;
      }
      const body: NodeDocument = { ...next, id: documentId(nodeId), clusterKey, nodeId };
      try {
        const { resource } = doc?._etag
          ? await this.container.item(body.id, clusterKey).replace<NodeDocument>(body, {
              accessCondition: { type: 'IfMatch', condition: doc._etag },
            })
          : await this.container.items.create<NodeDocument>(body);
        this.recent.remember(key, resource ?? body, resource?._etag);
        return next;
      } catch (error: unknown) {
        this.recent.forget(key);
        const status = cosmosStatusOf(error);
        if (status !== 412 && status !== 409 && status !== 404) throw error; // else: changed meanwhile, re-read
      }
    }
    throw new Error(`Node record ${nodeId} kept changing: gave up after 20 attempts.`);
  }

  async delete(clusterKey: string, nodeId: string): Promise<void> {
    this.recent.forget(`${clusterKey}/${nodeId}`);
    try {
      await this.container.item(documentId(nodeId), clusterKey).delete();
    } catch (error: unknown) {
      if (cosmosStatusOf(error) !== 404) throw error;
    }
  }
}
