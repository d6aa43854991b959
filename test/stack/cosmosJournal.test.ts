// The write-ahead journal's crash cases at file level: a torn last record is cut off, a bad record followed by
// good ones is reported as corruption, and a compaction interrupted after its rename replays each record once.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CosmosJournal, CosmosJournalCorruptError } from '../../runtime/stack/cosmosJournal';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosmos-journal-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function open(dir: string, compactAfterBytes = 1 << 30): { journal: CosmosJournal; replayed: unknown[] } {
  const journal = CosmosJournal.open({ dir, compactAfterBytes, log: () => undefined });
  const replayed: unknown[] = [];
  try {
    journal.replay((op) => replayed.push(op));
  } catch (error: unknown) {
    void journal.close();
    throw error;
  }
  return { journal, replayed };
}

async function writeRecords(dir: string, records: unknown[][]): Promise<void> {
  const { journal } = open(dir);
  for (const ops of records) journal.append(ops);
  await journal.whenDurable();
  await journal.close();
}

describe('CosmosJournal', () => {
  test('replays records in order, each op once', async () => {
    const dir = tempDir();
    await writeRecords(dir, [[{ a: 1 }, { a: 2 }], [{ a: 3 }]]);
    const { journal, replayed } = open(dir);
    await journal.close();
    expect(replayed).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
  });

  test('a torn last record (crash during an unacknowledged append) is cut off and appends continue after it', async () => {
    const dir = tempDir();
    await writeRecords(dir, [[{ a: 1 }], [{ a: 2 }]]);
    const file = path.join(dir, 'journal.jsonl');
    const full = fs.readFileSync(file);
    fs.writeFileSync(file, full.subarray(0, full.length - 5));
    const { journal, replayed } = open(dir);
    expect(replayed).toEqual([{ a: 1 }]);
    journal.append([{ a: 'next' }]);
    await journal.whenDurable();
    await journal.close();
    const reopened = open(dir);
    await reopened.journal.close();
    expect(reopened.replayed).toEqual([{ a: 1 }, { a: 'next' }]);
  });

  test('a garbled record followed by good ones is corruption, not silently dropped', async () => {
    const dir = tempDir();
    await writeRecords(dir, [[{ a: 1 }], [{ a: 2 }], [{ a: 3 }]]);
    const file = path.join(dir, 'journal.jsonl');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines[1] = lines[1].replace('"a":2', '"a":9');
    fs.writeFileSync(file, lines.join('\n'));
    expect(() => open(dir)).toThrow(CosmosJournalCorruptError);
  });

  test('compaction snapshots the state and truncates; a crash between rename and truncate replays nothing twice', async () => {
    const dir = tempDir();
    const journalFile = path.join(dir, 'journal.jsonl');
    const state = [0, 1, 2, 3, 4, 5];
    await writeRecords(
      dir,
      state.map((v) => [{ v }]),
    );
    const uncompacted = fs.readFileSync(journalFile);

    const journal = CosmosJournal.open({ dir, compactAfterBytes: 1, log: () => undefined });
    journal.replay(() => undefined);
    journal.setSnapshotSource(() => state.map((v) => ({ v })));
    state.push(6);
    journal.append([{ v: 6 }]);
    await journal.whenDurable();
    await journal.close();
    expect(journal.stats().compactions).toBe(1);
    expect(fs.statSync(journalFile).size).toBe(0);
    const replay = async (): Promise<number[]> => {
      const values: number[] = [];
      const reader = CosmosJournal.open({ dir, compactAfterBytes: 1 << 30, log: () => undefined });
      reader.replay((op) => values.push((op as { v: number }).v));
      await reader.close();
      return values;
    };
    expect(await replay()).toEqual(state);
    // The crash window: the snapshot was renamed into place but the old journal not yet truncated.
    fs.writeFileSync(journalFile, uncompacted);
    expect(await replay()).toEqual(state);
  });
});
