// The journaled Cosmos emulator loses no acknowledged write when it is SIGKILLed, keeps ETags and _rids, and
// compacts its journal into a snapshot that a restart still reads completely.
import { Container, CosmosClient, ItemDefinition, OperationInput } from '@azure/cosmos';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createCosmosClient } from '../../runtime/stack/cosmosClient';
import { LocalStack, startLocalStack } from '../../runtime/stack/localStack';
import { isAlive, killProcessesMentioning, waitFor } from './stackProcesses';

interface Doc extends ItemDefinition {
  id: string;
  pk: string;
  n?: number;
  note?: string;
}

const dataDirs: string[] = [];
const stacks: LocalStack[] = [];

function tempDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stack-durability-'));
  dataDirs.push(dir);
  return dir;
}

async function start(dataDir: string, compactAfterBytes?: number): Promise<LocalStack> {
  const stack = await startLocalStack({
    dataDir,
    provision: false,
    cosmosCompactAfterBytes: compactAfterBytes,
  });
  stacks.push(stack);
  return stack;
}

async function containerOf(client: CosmosClient): Promise<Container> {
  const { database } = await client.databases.createIfNotExists({ id: 'durability' });
  const { container } = await database.containers.createIfNotExists({
    id: 'items',
    partitionKey: { paths: ['/pk'] },
  });
  return container;
}

/** SIGKILL and wait until the process is really gone (so the port is free for the restart). */
async function sigkill(pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL');
  await waitFor(`pid ${pid} to die`, () => !isAlive(pid));
}

afterAll(async () => {
  await Promise.allSettled(stacks.map((stack) => stack.stop()));
  const leaked = dataDirs.flatMap((dir) => killProcessesMentioning(dir));
  for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
  expect(leaked).toEqual([]);
});

describe('journaled Cosmos emulator', () => {
  test('a SIGKILL while writes are being acknowledged loses none of the acknowledged writes', async () => {
    const stack = await start(tempDataDir());
    const client = createCosmosClient(stack.cosmosEndpoint, stack.cosmosKey);
    try {
      const container = await containerOf(client);

      // Every kind of write, acknowledged before the crash; the stored resource each one answered is kept.
      const upserted = (await container.items.upsert<Doc>({ id: 'up', pk: 'a', n: 1 })).resource;
      const upsertedAgain = (await container.items.upsert<Doc>({ id: 'up', pk: 'a', n: 2 })).resource;
      await container.items.create<Doc>({ id: 'rep', pk: 'a', n: 1 });
      const replaced = (await container.item('rep', 'a').replace<Doc>({ id: 'rep', pk: 'a', n: 10 }))
        .resource;
      await container.items.create<Doc>({ id: 'gone', pk: 'b' });
      await container.item('gone', 'b').delete();
      await container.items.create<Doc>({ id: 'pat', pk: 'b', n: 1, note: 'x' });
      const patched = (
        await container.item('pat', 'b').patch<Doc>([
          { op: 'incr', path: '/n', value: 41 },
          { op: 'set', path: '/note', value: 'patched' },
        ])
      ).resource;
      const bulkOps: OperationInput[] = [
        { operationType: 'Create', partitionKey: 'c', resourceBody: { id: 'bulk1', pk: 'c', n: 1 } },
        { operationType: 'Upsert', partitionKey: 'c', resourceBody: { id: 'bulk2', pk: 'c', n: 2 } },
      ];
      const bulk = await container.items.executeBulkOperations(bulkOps);
      expect(bulk.map((r) => r.response?.statusCode)).toEqual([201, 201]);
      expect(upserted && upsertedAgain && replaced && patched).toBeTruthy();

      // Many creates in flight; SIGKILL the emulator once a good number have been acknowledged.
      const acknowledged = new Map<string, Doc>();
      const total = 1500;
      const inFlight = 64;
      let next = 0;
      let killed = false;
      const cosmosPid = stack.pids().cosmos;
      const killAfter = 300;
      const writer = async (): Promise<void> => {
        while (next < total && !killed) {
          const id = `doc-${next++}`;
          try {
            const { resource } = await container.items.create<Doc>({ id, pk: `p${next % 7}`, n: next });
            if (resource) acknowledged.set(id, resource);
            if (acknowledged.size >= killAfter && !killed) {
              killed = true;
              process.kill(cosmosPid, 'SIGKILL');
            }
          } catch {
            // Not acknowledged (the emulator died under it): it may or may not be there after the restart.
          }
        }
      };
      const writers = Array.from({ length: inFlight }, () => writer());
      await waitFor('the SIGKILL', () => killed, 60_000);
      await waitFor('the emulator to die', () => !isAlive(cosmosPid));
      const ackedAtKill = acknowledged.size;
      await stack.restartCosmos();
      await Promise.allSettled(writers);
      expect(ackedAtKill).toBeGreaterThanOrEqual(killAfter);

      const fresh = createCosmosClient(stack.cosmosEndpoint, stack.cosmosKey);
      try {
        const after = fresh.database('durability').container('items');
        for (const [id, doc] of acknowledged) {
          const { resource } = await after.item(id, doc.pk).read<Doc>();
          expect(resource).toEqual(doc); // same body, _rid, _self, _ts and _etag
        }
        expect((await after.item('up', 'a').read<Doc>()).resource).toEqual(upsertedAgain);
        expect((await after.item('rep', 'a').read<Doc>()).resource).toEqual(replaced);
        expect((await after.item('pat', 'b').read<Doc>()).resource).toEqual(patched);
        expect((await after.item('pat', 'b').read<Doc>()).resource?.n).toBe(42);
        expect((await after.item('gone', 'b').read<Doc>()).statusCode).toBe(404);
        expect((await after.item('bulk1', 'c').read<Doc>()).resource?.n).toBe(1);
        expect((await after.item('bulk2', 'c').read<Doc>()).resource?.n).toBe(2);

        // An ETag held from before the crash still works for optimistic concurrency.
        const ifMatch = { accessCondition: { type: 'IfMatch', condition: replaced?._etag ?? '' } };
        const { resource: replacedAgain } = await after
          .item('rep', 'a')
          .replace<Doc>({ id: 'rep', pk: 'a', n: 11 }, ifMatch);
        expect(replacedAgain?.n).toBe(11);

        // The container kept its partition key definition, and new items get fresh _rids (counters were restored).
        const { resource: definition } = await after.read();
        expect(definition?.partitionKey?.paths).toEqual(['/pk']);
        const { resource: newcomer } = await after.items.create<Doc>({ id: 'after-restart', pk: 'z' });
        const { resources: all } = await after.items.query<Doc>('SELECT * FROM c').fetchAll();
        const rids = all.map((d) => d._rid);
        expect(new Set(rids).size).toBe(rids.length);
        expect(rids).toContain(newcomer?._rid);
      } finally {
        fresh.dispose();
      }
    } finally {
      client.dispose();
    }
  });

  test('compaction writes a snapshot, and a restart after it (plus later writes) still has everything', async () => {
    const dataDir = tempDataDir();
    const stack = await start(dataDir, 16 * 1024);
    const client = createCosmosClient(stack.cosmosEndpoint, stack.cosmosKey);
    try {
      const container = await containerOf(client);
      const expected = new Map<string, Doc>();
      for (let i = 0; i < 200; i += 1) {
        const { resource } = await container.items.create<Doc>({
          id: `c${i}`,
          pk: `p${i % 5}`,
          note: 'x'.repeat(100),
          n: i,
        });
        if (resource) expected.set(resource.id, resource);
      }
      for (let i = 0; i < 200; i += 3) {
        await container.item(`c${i}`, `p${i % 5}`).delete();
        expected.delete(`c${i}`);
      }
      for (let i = 1; i < 200; i += 3) {
        const { resource } = await container.items.upsert<Doc>({ id: `c${i}`, pk: `p${i % 5}`, n: -i });
        if (resource) expected.set(resource.id, resource);
      }
      const snapshot = path.join(dataDir, 'cosmos', 'snapshot.jsonl');
      const journal = path.join(dataDir, 'cosmos', 'journal.jsonl');
      await waitFor('a snapshot', () => fs.existsSync(snapshot));
      expect(fs.statSync(journal).size).toBeLessThan(64 * 1024);

      await sigkill(stack.pids().cosmos);
      await stack.restartCosmos();
      const after = createCosmosClient(stack.cosmosEndpoint, stack.cosmosKey);
      try {
        const items = after.database('durability').container('items');
        const { resources } = await items.items.query<Doc>('SELECT * FROM c').fetchAll();
        expect(new Map(resources.map((d) => [d.id, d]))).toEqual(expected);
        // Writes after the snapshot land in the journal and survive another crash.
        const { resource: late } = await items.items.create<Doc>({ id: 'late', pk: 'p0' });
        await sigkill(stack.pids().cosmos);
        await stack.restartCosmos();
        const again = createCosmosClient(stack.cosmosEndpoint, stack.cosmosKey);
        try {
          const { resources: final } = await again
            .database('durability')
            .container('items')
            .items.query<Doc>('SELECT * FROM c')
            .fetchAll();
          expect(final).toHaveLength(expected.size + 1);
          expect(final.find((d) => d.id === 'late')).toEqual(late);
        } finally {
          again.dispose();
        }
      } finally {
        after.dispose();
      }
    } finally {
      client.dispose();
    }
  });
});
