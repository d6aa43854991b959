// Compaction of the Cosmos journal when the disk misbehaves (write(2) writing fewer bytes than asked, a full disk,
// a file shorter than what was written) and under sustained load (it must not wait for an idle moment).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import fsModule from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CosmosJournal } from '../../runtime/stack/cosmosJournal';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosmos-compaction-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => jest.restoreAllMocks());
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

type Op = { k: number; v: number; pad: string };

async function replayAll(dir: string): Promise<Op[]> {
  const ops: Op[] = [];
  const journal = CosmosJournal.open({ dir, compactAfterBytes: 1 << 30, log: () => undefined });
  try {
    journal.replay((op) => ops.push(op as Op));
  } finally {
    await journal.close();
  }
  return ops;
}

/** The final value of each key after applying `ops` in order. */
function finalState(ops: Op[]): Map<number, Op> {
  const state = new Map<number, Op>();
  for (const op of ops) state.set(op.k, op);
  return state;
}

const realWriteSync = fsModule.writeSync.bind(fsModule) as (fd: number, data: Buffer) => number;

function isSnapshotTemp(fd: number): boolean {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`).endsWith('snapshot.jsonl.tmp');
  } catch {
    return false;
  }
}

/**
 * Replaces what fs.writeSync does to the snapshot's temp file: `disk` gets the bytes asked for and a function that
 * really writes a part of them, and returns the count the caller is told. Other files are written as usual.
 */
function fakeSnapshotDisk(disk: (bytes: Buffer, write: (part: Buffer) => number) => number): void {
  jest.spyOn(fsModule, 'writeSync').mockImplementation(((fd: number, data: unknown, ...rest: unknown[]) => {
    let bytes: Buffer;
    if (typeof data === 'string') {
      bytes = Buffer.from(data, 'utf8');
    } else {
      const view = data as Buffer;
      const offset = typeof rest[0] === 'number' ? rest[0] : 0;
      const length = typeof rest[1] === 'number' ? rest[1] : view.byteLength - offset;
      bytes = Buffer.from(view.buffer, view.byteOffset + offset, length);
    }
    if (!isSnapshotTemp(fd)) return realWriteSync(fd, bytes);
    return disk(bytes, (part) => realWriteSync(fd, part));
  }) as unknown as typeof fs.writeSync);
}

function noSpace(): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error('ENOSPC: no space left on device, write');
  error.code = 'ENOSPC';
  return error;
}

/**
 * Writes `count` records (distinct keys, ~`padBytes` each) to a journal that compacts after `compactAfterBytes`,
 * with the state as snapshot source; returns the journal (open) and what was appended.
 */
async function journalWithState(
  dir: string,
  count: number,
  padBytes: number,
  compactAfterBytes: number,
  logs: string[],
): Promise<{ journal: CosmosJournal; appended: Op[]; state: Map<number, Op> }> {
  const journal = CosmosJournal.open({
    dir,
    compactAfterBytes,
    compactionRetryMs: 0,
    log: (line) => logs.push(line),
  });
  journal.replay(() => undefined);
  const state = new Map<number, Op>();
  journal.setSnapshotSource(() => state.values());
  const appended: Op[] = [];
  for (let k = 0; k < count; k += 1) {
    const op = { k, v: 1, pad: 'x'.repeat(padBytes) };
    state.set(k, op);
    appended.push(op);
    journal.append([op]);
  }
  await journal.whenDurable();
  return { journal, appended, state };
}

describe('Cosmos journal compaction', () => {
  test('write(2) writing fewer bytes than asked: the snapshot is still complete', async () => {
    const dir = tempDir();
    const logs: string[] = [];
    const { journal, state } = await journalWithState(dir, 40, 300, 1 << 30, logs);
    await journal.close();
    fakeSnapshotDisk((bytes, write) => write(bytes.subarray(0, Math.min(bytes.length, 97))));
    const compacting = CosmosJournal.open({ dir, compactAfterBytes: 1, log: (line) => logs.push(line) });
    compacting.replay(() => undefined);
    compacting.setSnapshotSource(() => state.values());
    const last = { k: 0, v: 2, pad: '' };
    state.set(0, last);
    compacting.append([last]);
    await compacting.whenDurable();
    await compacting.close();
    jest.restoreAllMocks();
    expect(compacting.stats().compactions).toBe(1);
    expect(fs.statSync(path.join(dir, 'journal.jsonl')).size).toBe(0);
    expect(finalState(await replayAll(dir))).toEqual(state);
  });

  test('a full disk during compaction: the temp file goes, the journal stays, writes go on, a later compaction works', async () => {
    const dir = tempDir();
    const logs: string[] = [];
    const first = await journalWithState(dir, 40, 300, 1 << 30, logs);
    await first.journal.close();
    const journalBefore = fs.readFileSync(path.join(dir, 'journal.jsonl'));

    let left = 2000; // bytes the "disk" still takes: a short write, then ENOSPC
    fakeSnapshotDisk((bytes, write) => {
      const n = Math.min(bytes.length, left);
      if (n === 0) throw noSpace();
      left -= n;
      return write(bytes.subarray(0, n));
    });
    const journal = CosmosJournal.open({
      dir,
      compactAfterBytes: 1,
      compactionRetryMs: 0,
      log: (line) => logs.push(line),
    });
    const state = finalState([]);
    journal.replay((op) => state.set((op as Op).k, op as Op));
    journal.setSnapshotSource(() => state.values());
    const next = { k: 1, v: 2, pad: 'y' };
    state.set(1, next);
    journal.append([next]);
    await journal.whenDurable(); // not failed: a compaction that did not work loses nothing
    expect(journal.stats().compactions).toBe(0);
    const failed = journal.stats().failedCompactions;
    expect(failed).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(dir, 'snapshot.jsonl.tmp'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'snapshot.jsonl'))).toBe(false);
    const journalNow = fs.readFileSync(path.join(dir, 'journal.jsonl'));
    expect(journalNow.subarray(0, journalBefore.length).equals(journalBefore)).toBe(true);
    expect(logs.join('\n')).toMatch(/compaction failed, the journal is kept .*ENOSPC/);

    // Space again: the next group compacts.
    jest.restoreAllMocks();
    const after = { k: 2, v: 3, pad: 'z' };
    state.set(2, after);
    journal.append([after]);
    await journal.whenDurable();
    await journal.close();
    expect(journal.stats()).toMatchObject({ compactions: 1, failedCompactions: failed });
    expect(finalState(await replayAll(dir))).toEqual(state);
  });

  test('a temp file shorter than what was written is not renamed into place', async () => {
    const dir = tempDir();
    const logs: string[] = [];
    const { journal, state } = await journalWithState(dir, 20, 300, 1 << 30, logs);
    await journal.close();
    // A lying disk: it takes half, reports all.
    fakeSnapshotDisk((bytes, write) => {
      write(bytes.subarray(0, Math.floor(bytes.length / 2)));
      return bytes.length;
    });
    const compacting = CosmosJournal.open({
      dir,
      compactAfterBytes: 1,
      compactionRetryMs: 60_000,
      log: (line) => logs.push(line),
    });
    compacting.replay(() => undefined);
    compacting.setSnapshotSource(() => state.values());
    compacting.append([{ k: 0, v: 1, pad: 'x'.repeat(300) }]);
    await compacting.whenDurable();
    await compacting.close();
    jest.restoreAllMocks();
    expect(compacting.stats()).toMatchObject({ compactions: 0, failedCompactions: 1 });
    expect(fs.existsSync(path.join(dir, 'snapshot.jsonl'))).toBe(false);
    expect(logs.join('\n')).toMatch(/snapshot temp file holds \d+ bytes, \d+ were written/);
    expect(finalState(await replayAll(dir))).toEqual(state);
  });

  test('under sustained load (never idle) the journal is still compacted, at twice the threshold', async () => {
    const dir = tempDir();
    const threshold = 50_000;
    const journal = CosmosJournal.open({ dir, compactAfterBytes: threshold, log: () => undefined });
    journal.replay(() => undefined);
    const state = new Map<number, Op>();
    journal.setSnapshotSource(() => state.values());
    // One record every turn of the event loop: every write + fdatasync of a group spans turns, so new records are
    // always pending when a group is done and the group-commit loop is never idle.
    // A group holds what was appended during the write before it: its size depends on the disk and the machine's
    // load (a loaded machine's slow fdatasync makes groups of thousands of records), so the loop goes on until at
    // least 4000 records (about 560 KB) and 10 groups were written, and the bound is checked against the largest
    // group seen (a growth between two looks at the stats is at least one group).
    let largest = 0;
    let largestGroup = 0;
    let compactionsWhileBusy = 0;
    let before = 0;
    for (let v = 0; v < 4000 || (journal.stats().fsyncs < 10 && v < 1_000_000); v += 1) {
      const op = { k: v % 100, v, pad: 'p'.repeat(100) };
      state.set(op.k, op);
      journal.append([op]);
      await new Promise((resolve) => setImmediate(resolve));
      const stats = journal.stats();
      largest = Math.max(largest, stats.journalBytes);
      if (stats.journalBytes > before) largestGroup = Math.max(largestGroup, stats.journalBytes - before);
      before = stats.journalBytes;
      compactionsWhileBusy = stats.compactions;
    }
    await journal.whenDurable();
    await journal.close();
    // Without compaction under load the journal would hold all of it.
    expect(compactionsWhileBusy).toBeGreaterThanOrEqual(2);
    expect(largest).toBeLessThan(2 * threshold + largestGroup); // twice the threshold plus one group
    expect(finalState(await replayAll(dir))).toEqual(state);
  });

  // A real full file system (root only: it mounts a small tmpfs). The tests above cover the same with a fake disk.
  const asRoot = process.getuid?.() === 0 ? test : test.skip;
  asRoot('on a real full file system (tmpfs) a compaction that does not fit loses nothing', async () => {
    const mountPoint = tempDir();
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountPoint], { stdio: 'pipe' });
    } catch (error: unknown) {
      // A container without the right to mount: nothing to check here.
      process.stderr.write(`tmpfs test skipped: ${error instanceof Error ? error.message : String(error)}\n`);
      return;
    }
    try {
      const dir = path.join(mountPoint, 'cosmos');
      const logs: string[] = [];
      const first = await journalWithState(dir, 150, 1000, 1 << 30, logs); // ~155 KB of journal
      await first.journal.close();
      const journal = CosmosJournal.open({
        dir,
        compactAfterBytes: 100_000,
        compactionRetryMs: 60_000,
        log: (line) => logs.push(line),
      });
      const state = finalState([]);
      journal.replay((op) => state.set((op as Op).k, op as Op));
      journal.setSnapshotSource(() => state.values());
      const next = { k: 0, v: 2, pad: '' };
      state.set(0, next);
      journal.append([next]); // compaction: ~155 KB more does not fit next to the journal
      await journal.whenDurable();
      await journal.close();
      expect(journal.stats()).toMatchObject({ compactions: 0, failedCompactions: 1 });
      expect(fs.readdirSync(dir).sort()).toEqual(['journal.jsonl']);
      expect(finalState(await replayAll(dir))).toEqual(state);
    } finally {
      execFileSync('umount', [mountPoint]);
    }
  });
});
