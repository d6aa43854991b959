// Write-ahead journal that makes the in-memory Cosmos emulator durable: records are appended to a file and made
// durable with group commit (one fdatasync for every record that arrived together), replayed at start, and now and
// then compacted into a snapshot (written to a temp file, fsynced, renamed) after which the journal is truncated.
// One writer only: the folder is locked (journal.lock) while a journal is open.
import * as fs from 'fs';
import * as path from 'path';
import { createHash } from 'crypto';
import { promisify } from 'util';
import { FolderLock } from './folderLock';

const writeAsync = promisify(fs.write);
const fdatasyncAsync = promisify(fs.fdatasync);

const journalFileName = 'journal.jsonl';
const snapshotFileName = 'snapshot.jsonl';
const snapshotFormat = 'cosmos-snapshot/1';
const lockFileName = 'journal.lock';

export interface CosmosJournalOptions {
  /** Folder that holds journal.jsonl and snapshot.jsonl (created if missing). */
  dir: string;
  /** Compact (snapshot + truncate) once the journal has grown past this many bytes. */
  compactAfterBytes: number;
  log: (line: string) => void;
  /** After a failed compaction (a full disk, say), wait this long before trying again; default 10 s. */
  compactionRetryMs?: number;
}

export interface ReplayOutcome {
  snapshotOps: number;
  journalRecords: number;
  /** Bytes of a torn last record (a crash in the middle of an unacknowledged append) that were cut off. */
  tornTailBytes: number;
}

export interface JournalStats {
  appendedRecords: number;
  durableRecords: number;
  fsyncs: number;
  compactions: number;
  /** Compactions that failed (and were undone: the journal was kept). */
  failedCompactions: number;
  journalBytes: number;
}

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** A record checksum: detects torn or garbled lines after a crash (a partial write can leave zeros or garbage). */
function checksum(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function fsyncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export class CosmosJournalCorruptError extends Error {
  constructor(file: string, detail: string) {
    super(`Cosmos journal ${file} is corrupt: ${detail}`);
    this.name = 'CosmosJournalCorruptError';
  }
}

export class CosmosJournal {
  private readonly lock: FolderLock;
  private readonly journalPath: string;
  private readonly snapshotPath: string;
  private fd: number;
  private journalBytes: number;
  private appendedSeq = 0;
  private durableSeq = 0;
  private pending: string[] = [];
  private flushing = false;
  private waiters: Waiter[] = [];
  private failure: Error | undefined;
  private closed = false;
  private snapshotSource: (() => Iterable<unknown>) | undefined;
  private fsyncs = 0;
  private compactions = 0;
  private failedCompactions = 0;
  private noCompactionBefore = 0;

  private constructor(private readonly options: CosmosJournalOptions) {
    if (!Number.isInteger(options.compactAfterBytes) || options.compactAfterBytes <= 0) {
      throw new Error(
        `compactAfterBytes must be a positive integer, got ${String(options.compactAfterBytes)}`,
      );
    }
    fs.mkdirSync(options.dir, { recursive: true });
    // Before anything is read or written: a second writer appending to the same journal corrupts it.
    this.lock = FolderLock.acquire(options.dir, lockFileName, 'Cosmos journal');
    try {
      this.journalPath = path.join(options.dir, journalFileName);
      this.snapshotPath = path.join(options.dir, snapshotFileName);
      const existed = fs.existsSync(this.journalPath);
      this.fd = fs.openSync(this.journalPath, 'a+');
      if (!existed) fsyncDirectory(options.dir); // the new file's directory entry must survive a crash too
      this.journalBytes = fs.fstatSync(this.fd).size;
    } catch (error: unknown) {
      this.lock.release();
      throw error;
    }
  }

  /**
   * Opens (or creates) the journal in `dir` and locks the folder for this process (until close()). Throws
   * FolderLockedError when a running process holds it. Call replay() before the first append().
   */
  static open(options: CosmosJournalOptions): CosmosJournal {
    return new CosmosJournal(options);
  }

  /**
   * Feeds the snapshot's operations, then every journal record written after it, to `apply`, in order. A torn last
   * record is cut off (it was never acknowledged); a bad record followed by good ones is corruption and throws.
   */
  replay(apply: (op: unknown) => void): ReplayOutcome {
    const staleTemp = `${this.snapshotPath}.tmp`;
    if (fs.existsSync(staleTemp)) fs.rmSync(staleTemp); // a compaction that crashed before its rename
    let snapshotSeq = 0;
    let snapshotOps = 0;
    if (fs.existsSync(this.snapshotPath)) {
      const loaded = this.loadSnapshot(apply);
      snapshotSeq = loaded.seq;
      snapshotOps = loaded.ops;
    }
    const text = fs.readFileSync(this.journalPath, 'utf8');
    let offset = 0;
    let lastSeq = snapshotSeq;
    let journalRecords = 0;
    let tornTailBytes = 0;
    while (offset < text.length) {
      const end = text.indexOf('\n', offset);
      const line = end < 0 ? text.slice(offset) : text.slice(offset, end);
      const record = end < 0 ? undefined : parseRecordLine(line);
      if (!record) {
        if (hasValidRecordAfter(text, end < 0 ? text.length : end + 1)) {
          throw new CosmosJournalCorruptError(
            this.journalPath,
            `bad record at byte ${offset} followed by good ones`,
          );
        }
        const keepBytes = Buffer.byteLength(text.slice(0, offset), 'utf8');
        tornTailBytes = this.journalBytes - keepBytes;
        fs.ftruncateSync(this.fd, keepBytes);
        fs.fsyncSync(this.fd);
        this.journalBytes = keepBytes;
        this.options.log(
          `cosmos journal: cut off a torn last record (${tornTailBytes} bytes, never acknowledged)`,
        );
        break;
      }
      if (record.seq > snapshotSeq) {
        if (record.seq !== lastSeq + 1) {
          throw new CosmosJournalCorruptError(
            this.journalPath,
            `record ${record.seq} follows record ${lastSeq}`,
          );
        }
        for (const op of record.ops) apply(op);
        lastSeq = record.seq;
        journalRecords += 1;
      }
      offset = end + 1;
    }
    this.appendedSeq = lastSeq;
    this.durableSeq = lastSeq;
    return { snapshotOps, journalRecords, tornTailBytes };
  }

  /** What compaction writes: every operation needed to rebuild the current state from nothing. */
  setSnapshotSource(source: () => Iterable<unknown>): void {
    this.snapshotSource = source;
  }

  /** Queues one atomic record (all ops replay or none do). Durable once whenDurable() resolves. */
  append(ops: unknown[]): void {
    if (this.failure) throw this.failure;
    if (this.closed) throw new Error('Cosmos journal is closed');
    this.appendedSeq += 1;
    const json = JSON.stringify(ops);
    this.pending.push(`${this.appendedSeq} ${checksum(json)} ${json}\n`);
    if (!this.flushing) {
      this.flushing = true;
      // setImmediate lets every write that arrived in this turn of the event loop join the same fsync.
      setImmediate(() => void this.flushLoop());
    }
  }

  /** Resolves once everything appended so far is on disk; rejects if the journal could not be written. */
  whenDurable(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.durableSeq >= this.appendedSeq) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ seq: this.appendedSeq, resolve, reject }));
  }

  stats(): JournalStats {
    return {
      appendedRecords: this.appendedSeq,
      durableRecords: this.durableSeq,
      fsyncs: this.fsyncs,
      compactions: this.compactions,
      failedCompactions: this.failedCompactions,
      journalBytes: this.journalBytes,
    };
  }

  /** Flushes what is pending, then closes the file and releases the folder. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.whenDurable().catch(() => undefined);
    if (this.closed) return;
    this.closed = true;
    try {
      fs.closeSync(this.fd);
    } finally {
      this.lock.release();
    }
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        // Under sustained load the loop is never idle: compact between two groups once the journal is twice the
        // threshold (no write is in flight now; the snapshot takes the pending records along).
        // A failed attempt falls through: this group goes to the journal as usual.
        if (this.compactionDue(2 * this.options.compactAfterBytes) && this.compact()) continue;
        const batch = Buffer.from(this.pending.join(''), 'utf8');
        const upTo = this.appendedSeq;
        this.pending = [];
        let written = 0;
        while (written < batch.length) {
          written += (await writeAsync(this.fd, batch, written, batch.length - written, null)).bytesWritten;
        }
        await fdatasyncAsync(this.fd);
        this.fsyncs += 1;
        this.journalBytes += batch.length;
        this.durableSeq = upTo;
        this.releaseWaiters();
      }
      // Nothing is pending and everything appended is durable: the in-memory state equals the durable state, and
      // compaction runs synchronously so no write can slip in between the snapshot and the truncation.
      if (this.compactionDue(this.options.compactAfterBytes)) this.compact();
    } catch (error: unknown) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.flushing = false;
    }
  }

  private releaseWaiters(): void {
    const still: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (waiter.seq <= this.durableSeq) waiter.resolve();
      else still.push(waiter);
    }
    this.waiters = still;
  }

  private fail(error: Error): void {
    this.failure = new Error(`Cosmos journal write failed: ${error.message}`);
    for (const waiter of this.waiters) waiter.reject(this.failure);
    this.waiters = [];
  }

  private compactionDue(threshold: number): boolean {
    return (
      this.snapshotSource !== undefined &&
      !this.closed &&
      this.journalBytes >= threshold &&
      Date.now() >= this.noCompactionBefore
    );
  }

  /**
   * Snapshot + truncate, synchronously (nothing can change the state meanwhile). The snapshot holds the in-memory
   * state, i.e. every record appended so far, durable or still pending; once it is in place the pending records are
   * durable through it and are not written to the journal. Crash-safe at every step: before the rename the old
   * snapshot and the full journal are intact; after it, journal records up to the snapshot's sequence number are
   * skipped at replay. A failure (a full disk) is not fatal: the temp file is removed, the journal kept as it is, and
   * compaction tried again later.
   */
  private compact(): boolean {
    const source = this.snapshotSource;
    if (!source) return false;
    const seq = this.appendedSeq;
    const temp = `${this.snapshotPath}.tmp`;
    let count: number;
    try {
      count = writeSnapshotFile(temp, seq, source());
      fs.renameSync(temp, this.snapshotPath);
    } catch (error: unknown) {
      fs.rmSync(temp, { force: true });
      this.compactionFailed('the journal is kept', error);
      return false;
    }
    try {
      fsyncDirectory(this.options.dir);
    } catch (error: unknown) {
      // The rename may not be durable: keep the journal (and the pending records) as they are. The snapshot holds
      // the same state, and replay skips the records it covers.
      this.compactionFailed('the journal is kept', error);
      return false;
    }
    // The snapshot (with every appended record) is durable now.
    this.pending = [];
    this.durableSeq = seq;
    this.releaseWaiters();
    this.compactions += 1;
    try {
      fs.ftruncateSync(this.fd, 0);
      fs.fsyncSync(this.fd);
      this.journalBytes = 0;
    } catch (error: unknown) {
      // Harmless: the snapshot covers every record the journal holds.
      this.journalBytes = fs.fstatSync(this.fd).size;
      this.compactionFailed('the snapshot is in place but the journal was not truncated', error);
      return true;
    }
    this.options.log(`cosmos journal: compacted into a snapshot of ${count} operations at record ${seq}`);
    return true;
  }

  private compactionFailed(outcome: string, error: unknown): void {
    this.failedCompactions += 1;
    const retryMs = this.options.compactionRetryMs ?? 10_000;
    this.noCompactionBefore = Date.now() + retryMs;
    this.options.log(
      `cosmos journal: compaction failed, ${outcome} (retried in ${retryMs} ms or later): ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }

  private loadSnapshot(apply: (op: unknown) => void): { seq: number; ops: number } {
    const lines = fs.readFileSync(this.snapshotPath, 'utf8').split('\n');
    const header = parseJsonObject(lines[0] ?? '');
    if (!header || header.format !== snapshotFormat || typeof header.seq !== 'number') {
      throw new CosmosJournalCorruptError(this.snapshotPath, 'missing or unknown header');
    }
    let ops = 0;
    for (let i = 1; i < lines.length; i += 1) {
      const line = lines[i];
      const trailer = line.startsWith('{') ? parseJsonObject(line) : undefined;
      if (trailer && trailer.end === true) {
        if (trailer.count !== ops) {
          throw new CosmosJournalCorruptError(
            this.snapshotPath,
            `trailer says ${String(trailer.count)} ops, read ${ops}`,
          );
        }
        return { seq: header.seq, ops };
      }
      const space = line.indexOf(' ');
      const json = line.slice(space + 1);
      if (space !== 16 || checksum(json) !== line.slice(0, space)) {
        throw new CosmosJournalCorruptError(this.snapshotPath, `bad checksum on line ${i + 1}`);
      }
      apply(JSON.parse(json));
      ops += 1;
    }
    throw new CosmosJournalCorruptError(this.snapshotPath, 'no trailer (incomplete snapshot)');
  }
}

/** Writes every byte of `buffer` (write(2) may write fewer bytes than asked, e.g. on a nearly full disk). */
function writeFully(fd: number, buffer: Buffer): void {
  let offset = 0;
  while (offset < buffer.length) {
    const written = fs.writeSync(fd, buffer, offset, buffer.length - offset);
    if (!(written > 0))
      throw new Error(`write returned ${written} with ${buffer.length - offset} bytes to go`);
    offset += written;
  }
}

/** Writes a complete snapshot to `file` and fsyncs it; throws unless every byte is on disk. Returns the op count. */
function writeSnapshotFile(file: string, seq: number, ops: Iterable<unknown>): number {
  const fd = fs.openSync(file, 'w');
  let count = 0;
  let total = 0;
  try {
    let chunk: string[] = [];
    let chunkLength = 0;
    const flushChunk = (): void => {
      if (chunk.length === 0) return;
      const buffer = Buffer.from(chunk.join(''), 'utf8');
      chunk = [];
      chunkLength = 0;
      writeFully(fd, buffer);
      total += buffer.length;
    };
    chunk.push(`${JSON.stringify({ format: snapshotFormat, seq })}\n`);
    for (const op of ops) {
      const json = JSON.stringify(op);
      chunk.push(`${checksum(json)} ${json}\n`);
      chunkLength += json.length;
      count += 1;
      if (chunkLength > 1 << 20) flushChunk();
    }
    chunk.push(`${JSON.stringify({ end: true, count })}\n`);
    flushChunk();
    fs.fsyncSync(fd);
    const size = fs.fstatSync(fd).size;
    if (size !== total) throw new Error(`snapshot temp file holds ${size} bytes, ${total} were written`);
  } finally {
    fs.closeSync(fd);
  }
  return count;
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** `<seq> <checksum> <json array of ops>`; undefined when the line is torn or garbled. */
function parseRecordLine(line: string): { seq: number; ops: unknown[] } | undefined {
  const first = line.indexOf(' ');
  const second = line.indexOf(' ', first + 1);
  if (first <= 0 || second !== first + 17) return undefined;
  const seq = Number(line.slice(0, first));
  const json = line.slice(second + 1);
  if (!Number.isSafeInteger(seq) || seq <= 0 || checksum(json) !== line.slice(first + 1, second))
    return undefined;
  try {
    const ops: unknown = JSON.parse(json);
    return Array.isArray(ops) ? { seq, ops } : undefined;
  } catch {
    return undefined;
  }
}

function hasValidRecordAfter(text: string, from: number): boolean {
  let offset = from;
  while (offset < text.length) {
    const end = text.indexOf('\n', offset);
    if (end < 0) return false;
    if (parseRecordLine(text.slice(offset, end))) return true;
    offset = end + 1;
  }
  return false;
}
