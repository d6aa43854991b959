// Where the Cosmos emulator would otherwise differ from Azure in ways the app could notice: documents over the 2 MB
// item limit (Azure: 413 RequestEntityTooLarge, nothing stored), and ORDER BY, which in the emulator drops items
// lacking the property while Azure returns them (the app's queue queries therefore select only items that have it);
// query plan requests, which Azure answers with a plan and the emulator answered with the query's results.
import { Container, ErrorResponse, Items, SqlQuerySpec } from '@azure/cosmos';
import * as fs from 'fs';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import { CosmosResourceStore } from '../../shared/adapters/cosmos/cosmosResourceStore';
import { resourceApiContainers } from '../../shared/adapters/cosmos/resourceApiContainers';
import { armIdOf, experimentRefOf, keyOf, type ResourceRef } from '../../shared/domain/resourceId';
import type { ResourceRecord } from '../../shared/domain/resourceRecord';
import { createCosmosClient } from '../../runtime/stack/cosmosClient';
import { startLocalStack, type LocalStack } from '../../runtime/stack/localStack';
import { killProcessesMentioning } from './stackProcesses';

let stack: LocalStack;
let dataDir: string;
let items: Container;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosmos-parity-'));
  stack = await startLocalStack({ dataDir });
  const { database } = await createCosmosClient(
    stack.cosmosEndpoint,
    stack.cosmosKey,
  ).databases.createIfNotExists({
    id: 'parity',
  });
  ({ container: items } = await database.containers.createIfNotExists({
    id: 'items',
    partitionKey: { paths: ['/pk'] },
  }));
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  killProcessesMentioning(dataDir);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const megabyte = 1024 * 1024;

/** The status and body of a failed request (the SDK throws an ErrorResponse). */
async function failure(request: Promise<unknown>): Promise<{ code: unknown; body: unknown }> {
  try {
    await request;
  } catch (error: unknown) {
    return { code: (error as ErrorResponse).code, body: (error as ErrorResponse).body };
  }
  throw new Error('the request succeeded');
}

describe('item size limit (2 MB)', () => {
  const tooLarge = expect.objectContaining({
    code: 413,
    body: expect.objectContaining({
      code: 'RequestEntityTooLarge',
      message: expect.stringContaining('Request size is too large'),
    }),
  });

  test('create, upsert, replace and patch over 2 MB answer 413 as Azure does, and store nothing', async () => {
    const big = { id: 'big', pk: 'p', pad: 'x'.repeat(3 * megabyte) };
    expect(await failure(items.items.create(big))).toEqual(tooLarge);
    expect(await failure(items.items.upsert(big))).toEqual(tooLarge);
    expect((await items.item('big', 'p').read()).statusCode).toBe(404);

    const { resource: small } = await items.items.create({ id: 'small', pk: 'p', pad: 'y' });
    expect(
      await failure(
        items.item('small', 'p').replace({ id: 'small', pk: 'p', pad: 'x'.repeat(3 * megabyte) }),
      ),
    ).toEqual(tooLarge);
    expect(
      await failure(
        items.item('small', 'p').patch([{ op: 'set', path: '/pad', value: 'x'.repeat(2 * megabyte + 10) }]),
      ),
    ).toEqual(tooLarge);
    const { resource: after } = await items.item('small', 'p').read();
    expect(after).toEqual(small); // same _etag, same content

    // Just under the limit is fine.
    const { statusCode } = await items.items.create({
      id: 'fits',
      pk: 'p',
      pad: 'z'.repeat(2 * megabyte - 100),
    });
    expect(statusCode).toBe(201);
  });

  test('the refused writes are not in the journal: a restart has the same documents', async () => {
    const before = (await items.items.query('SELECT c.id, c._etag FROM c').fetchAll()).resources;
    await stack.restartCosmos();
    const after = (await items.items.query('SELECT c.id, c._etag FROM c').fetchAll()).resources;
    expect(after).toEqual(before);
    expect(after.map((d: { id: string }) => d.id).sort()).toEqual(['fits', 'small']);
  });
});

describe('the queue queries and ORDER BY', () => {
  const clusterKey = 'sub/rg/ws/clusters/parity';

  function queuedJob(name: string): ResourceRecord {
    const ref: ResourceRef = {
      kind: 'job',
      subscriptionId: 'sub',
      resourceGroup: 'rg',
      workspace: 'ws',
      experiment: 'e1',
      name,
    };
    const creationTime = new Date(Date.UTC(2026, 0, 1)).toISOString();
    return {
      kind: 'job',
      ref,
      armId: armIdOf(ref),
      location: 'eastus',
      spec: {},
      status: { creationTime, executionState: 'queued' },
      encryptedSecrets: {},
      job: {
        uuid: `uuid-${name}`,
        clusterId: clusterKey,
        clusterKey,
        priority: 'normal',
        nodeCount: 4,
        executionState: 'queued',
        attempts: [],
      },
    };
  }

  test('listQueueHead and listOversizedQueued select the same jobs with or without ORDER BY (Azure keeps items lacking it)', async () => {
    const client = createCosmosClient(stack.cosmosEndpoint, stack.cosmosKey);
    const databaseName = stack.appSettings().COSMOS_DATABASE;
    const store = new CosmosResourceStore(client, databaseName);
    const jobs = client.database(databaseName).container(resourceApiContainers.jobs);
    await store.create(queuedJob('ordered'));
    const legacy = queuedJob('legacy');
    await store.create(legacy);
    // A job stored before documents carried a queue order key.
    const document = jobs.item('legacy', keyOf(experimentRefOf(legacy.ref)));
    const { resource } = await document.read<{ id: string; queueOrder?: string }>();
    delete resource!.queueOrder;
    await document.replace(resource!);

    const sent: SqlQuerySpec[] = [];
    const query = Items.prototype.query;
    const spy = jest.spyOn(Items.prototype, 'query').mockImplementation(function (
      this: Items,
      spec,
      options,
    ) {
      if (typeof spec !== 'string' && /ORDER BY c\.queueOrder/.test(spec.query)) sent.push(spec);
      return query.call(this, spec, options) as never;
    });
    try {
      await store.listQueueHead(clusterKey, 10);
      await store.listQueueHead(clusterKey, 10, 8);
      await store.listOversizedQueued(clusterKey, 2, '2000-01-01T00:00:00.000Z', 10);
    } finally {
      spy.mockRestore();
    }
    expect(sent).toHaveLength(3);
    for (const spec of sent) {
      const ids = async (text: string): Promise<string[]> =>
        (await jobs.items.query<{ ref: ResourceRef }>({ ...spec, query: text }).fetchAll()).resources
          .map((entry) => entry.ref.name)
          .sort();
      // Azure's ORDER BY returns what the WHERE clause selects; the emulator's drops items lacking queueOrder. The
      // same query without ORDER BY shows what Azure would return.
      const withOrder = await ids(spec.query);
      const withoutOrder = await ids(spec.query.replace(/ ORDER BY c\.queueOrder$/, ''));
      expect({ query: spec.query, ids: withoutOrder }).toEqual({ query: spec.query, ids: withOrder });
      expect(withOrder).toEqual(['ordered']);
    }
  });
});

describe('query plans', () => {
  /** A raw request to the emulator as the SDK makes it (the emulator takes any key). */
  async function post(
    pathname: string,
    headers: Record<string, string>,
    body: unknown,
  ): Promise<{ status: number; body: unknown }> {
    const url = new URL(pathname, stack.cosmosEndpoint);
    return new Promise((resolve, reject) => {
      const request = https.request(
        url,
        {
          method: 'POST',
          rejectUnauthorized: false,
          headers: { 'content-type': 'application/query+json', ...headers },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
            }),
          );
        },
      );
      request.on('error', reject);
      request.end(JSON.stringify(body));
    });
  }

  test("a query plan request gets a plan, as from Azure's gateway, not the query's documents", async () => {
    await items.items.upsert({ id: 'planned', pk: 'a', n: 1 });
    const query = { query: 'SELECT * FROM c WHERE c.n > 0 ORDER BY c.n', parameters: [] };
    const plan = await post(
      '/dbs/parity/colls/items/docs',
      { 'x-ms-cosmos-is-query-plan-request': 'True', 'x-ms-cosmos-query-version': '1.4' },
      query,
    );
    expect(plan.status).toBe(200);
    expect(plan.body).toMatchObject({
      partitionedQueryExecutionInfoVersion: 2,
      queryInfo: expect.objectContaining({ orderBy: [], aggregates: [] }),
      queryRanges: [{ min: '', max: 'FF', isMinInclusive: true, isMaxInclusive: false }],
    });
    expect(plan.body).not.toHaveProperty('Documents');
    // The same request without the header is the query.
    const results = await post('/dbs/parity/colls/items/docs', { 'x-ms-documentdb-isquery': 'True' }, query);
    expect(results.body).toMatchObject({
      Documents: expect.arrayContaining([expect.objectContaining({ id: 'planned' })]),
    });
  });

  test('a client that runs queries by their plan (forceQueryPlan) gets what the query alone returns', async () => {
    for (const [id, pk, n] of [
      ['p1', 'a', 3],
      ['p2', 'b', 1],
      ['p3', 'c', 2],
      ['p4', 'a', 5],
    ] as const)
      await items.items.upsert({ id, pk, n, kind: 'plan' });
    const queries = [
      "SELECT TOP 2 c.id FROM c WHERE c.kind = 'plan' ORDER BY c.n DESC",
      "SELECT VALUE COUNT(1) FROM c WHERE c.kind = 'plan'",
      "SELECT c.id FROM c WHERE c.kind = 'plan' AND c.pk = 'a' ORDER BY c.n",
    ];
    for (const query of queries) {
      const direct = (await items.items.query(query).fetchAll()).resources;
      const byPlan = (await items.items.query(query, { forceQueryPlan: true }).fetchAll()).resources;
      expect({ query, results: byPlan }).toEqual({ query, results: direct });
    }
    expect((await items.items.query(queries[0]).fetchAll()).resources).toEqual([{ id: 'p4' }, { id: 'p1' }]);
  });
});
