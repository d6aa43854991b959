// Embedded on-disk store of the local Durable Task engine: an append-only log of commit groups with group commit
// (many commits share one fdatasync) plus snapshot compaction (write, fsync, atomic rename, then drop old logs).
// A commit resolves only once its line is on disk; a torn tail line (crash mid-write) is ignored at replay.
import * as fs from 'fs';
import * as path from 'path';

export interface DurableLogOptions {
  directory: string;
  /** Compact when the current log file grows beyond this many bytes. */
  compactAfterBytes?: number;
  /** Reports problems found at replay (a damaged line followed by good ones). */
  log?: (message: string) => void;
  /**
   * Called once when a write or fsync fails: the log was cut back to its last durable commit and refuses every
   * later commit, while the caller's memory may already hold the refused ones (it must stop, and restart from
   * the log).
   */
  onFailure?: (error: Error) => void;
}

interface PendingCommit {
  line: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface LogContents<TRecord, TSnapshot> {
  snapshot: TSnapshot | undefined;
  commits: TRecord[][];
}

const snapshotFile = 'snapshot.json';
/** A compaction writes (and lets the event loop run) every this many characters of snapshot. */
const snapshotChunkChars = 1 << 20;
const logPattern = /^log-(\d+)\.ndjson$/;

export class DurableLog<TRecord, TSnapshot> {
  private readonly directory: string;
  private readonly compactAfterBytes: number;
  private generation = 0;
  private fd: number | undefined;
  private bytesInGeneration = 0;
  /** Bytes of the current generation's file known to be written and synced: a failed write is cut back to it. */
  private durableBytes = 0;
  private failure: Error | undefined;
  private pending: PendingCommit[] = [];
  private flushing = false;
  private closed = false;
  private snapshotProvider: (() => TSnapshot) | undefined;
  private compacting = false;
  /** Number of fdatasync calls, for the benchmark's figures. */
  syncCount = 0;

  constructor(options: DurableLogOptions) {
    this.directory = options.directory;
    this.compactAfterBytes = options.compactAfterBytes ?? 64 * 1024 * 1024;
    this.options = options;
  }

  private readonly options: DurableLogOptions;

  /** Set once a write failed: the log accepts no more commits. */
  get failed(): Error | undefined {
    return this.failure;
  }

  /** Reads the snapshot and every log line after it; opens a fresh generation for new commits. */
  open(): LogContents<TRecord, TSnapshot> {
    fs.mkdirSync(this.directory, { recursive: true });
    let snapshot: TSnapshot | undefined;
    let snapshotGeneration = 0;
    const snapshotPath = path.join(this.directory, snapshotFile);
    if (fs.existsSync(snapshotPath)) {
      const parsed = JSON.parse(fs.readFileSync(snapshotPath, 'utf8')) as {
        generation: number;
        state: TSnapshot;
      };
      snapshot = parsed.state;
      snapshotGeneration = parsed.generation;
    }
    const generations = fs
      .readdirSync(this.directory)
      .map((name) => logPattern.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const commits: TRecord[][] = [];
    for (const generation of generations) {
      if (generation < snapshotGeneration) continue;
      const text = fs.readFileSync(this.logPath(generation), 'utf8');
      let start = 0;
      let lineNumber = 0;
      const damaged: number[] = [];
      while (start < text.length) {
        const end = text.indexOf('\n', start);
        if (end < 0) break; // torn tail: never acknowledged
        const line = text.slice(start, end);
        start = end + 1;
        lineNumber++;
        if (line.length === 0) continue;
        let parsed: TRecord[];
        try {
          parsed = JSON.parse(line) as TRecord[];
        } catch {
          damaged.push(lineNumber); // a torn or zero-filled tail when nothing valid follows
          continue;
        }
        if (damaged.length > 0) {
          // A damaged line followed by commits: not a torn tail. Its commit was never acknowledged (a failed
          // write); the later ones were, so they are kept.
          this.options.log?.(
            `durable log: ${this.logPath(generation)} is damaged: line(s) ${damaged.join(', ')} are not commits ` +
              `but line ${lineNumber} is; the damaged lines are skipped`,
          );
          damaged.length = 0;
        }
        commits.push(parsed);
      }
    }
    // Logs the snapshot covers (a compaction stopped before deleting them) and empty logs (a start without
    // commits) hold nothing to replay: deleted, so restarts of an idle engine leave no files behind.
    for (const generation of generations) {
      const file = this.logPath(generation);
      if (generation < snapshotGeneration || fs.statSync(file).size === 0) fs.rmSync(file, { force: true });
    }
    this.generation = Math.max(snapshotGeneration, generations.at(-1) ?? 0) + 1;
    this.fd = fs.openSync(this.logPath(this.generation), 'a');
    this.bytesInGeneration = 0;
    this.durableBytes = 0;
    this.syncDirectory();
    return { snapshot, commits };
  }

  /** The engine gives a function that serializes its whole state consistently (called synchronously). */
  setSnapshotProvider(provider: () => TSnapshot): void {
    this.snapshotProvider = provider;
  }

  /** Appends one atomic group of records; resolves when it is durable. */
  append(records: TRecord[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('durable log is closed'));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ line: JSON.stringify(records) + '\n', resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0 || this.fd === undefined) {
      this.flushing = false;
      return;
    }
    const buffer = Buffer.from(batch.map((p) => p.line).join(''), 'utf8');
    const fd = this.fd;
    const done = (error: unknown): void => {
      if (error) return this.fail(fd, error, batch);
      for (const p of batch) p.resolve();
      this.bytesInGeneration += buffer.length;
      this.durableBytes += buffer.length;
      // Compact only between commits, so the snapshot holds exactly what the older logs hold.
      if (!error && this.bytesInGeneration > this.compactAfterBytes && this.pending.length === 0)
        this.compact();
      if (this.pending.length > 0) setImmediate(() => this.flush());
      else this.flushing = false;
    };
    writeAll(fd, buffer, (writeError) => {
      if (writeError) return done(writeError);
      this.syncCount++;
      fs.fdatasync(fd, (syncError) => done(syncError));
    });
  }

  /**
   * A write or fsync failed (disk full, I/O error): part of the batch may be in the file, and after a failed fsync
   * the page cache no longer says what is on disk. The file is cut back to its last durable commit, and the log
   * fails stop: this batch, the commits waiting behind it and every later one are refused, so nothing is
   * acknowledged after a gap, and the owner (whose memory already holds the refused commits) must restart.
   */
  private fail(fd: number, error: unknown, batch: PendingCommit[]): void {
    const cause = error instanceof Error ? error.message : String(error);
    let cut = `cut back to its last durable commit (${this.durableBytes} bytes)`;
    try {
      fs.ftruncateSync(fd, this.durableBytes);
      fs.fdatasyncSync(fd);
    } catch (truncateError: unknown) {
      cut = `could not be cut back (${String(truncateError)}): its last line is skipped at replay`;
    }
    const failure = new Error(
      `durable log: writing ${this.logPath(this.generation)} failed (${cause}); the file was ${cut}. ` +
        'It accepts no more commits: restart the host to resume from the log',
    );
    this.failure = failure;
    const refused = [...batch, ...this.pending];
    this.pending = [];
    this.flushing = false;
    for (const p of refused) p.reject(failure);
    this.options.onFailure?.(failure);
  }

  /**
   * Starts a new log generation and writes a snapshot of the state as of this instant; older logs are deleted
   * once the snapshot is renamed into place. A crash at any point leaves snapshot + logs that replay correctly.
   * The provider's snapshot is taken at once (it must not change afterwards: a copy); it is serialized element
   * by element and written in chunks, so a large state does not hold the event loop.
   */
  compact(): void {
    if (!this.snapshotProvider || this.compacting || this.fd === undefined || this.failure) return;
    this.compacting = true;
    const oldGeneration = this.generation;
    const state = this.snapshotProvider();
    this.generation = oldGeneration + 1;
    const oldFd = this.fd;
    this.fd = fs.openSync(this.logPath(this.generation), 'a');
    this.bytesInGeneration = 0;
    this.durableBytes = 0;
    this.syncDirectory();
    void this.writeSnapshot({ generation: this.generation, state }, oldGeneration, oldFd)
      .catch((error: unknown) =>
        // The older logs stay: with the previous snapshot they still replay to the same state.
        this.options.log?.(`durable log: compaction failed, the older logs are kept: ${String(error)}`),
      )
      .finally(() => {
        this.compacting = false;
      });
  }

  private async writeSnapshot(content: unknown, oldGeneration: number, oldFd: number): Promise<void> {
    const tmp = path.join(this.directory, `${snapshotFile}.tmp`);
    const file = await fs.promises.open(tmp, 'w');
    try {
      let chunk = '';
      for (const piece of jsonPieces(content, 3)) {
        chunk += piece;
        if (chunk.length >= snapshotChunkChars) {
          await file.write(chunk); // the event loop runs meanwhile
          chunk = '';
        }
      }
      await file.write(chunk);
      await file.sync();
    } finally {
      await file.close();
    }
    await fs.promises.rename(tmp, path.join(this.directory, snapshotFile));
    this.syncDirectory();
    fs.closeSync(oldFd);
    for (let g = 0; g <= oldGeneration; g++) await fs.promises.rm(this.logPath(g), { force: true });
  }

  /** Waits for pending commits, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    while (this.flushing || this.pending.length > 0 || this.compacting)
      await new Promise((r) => setTimeout(r, 5));
    this.closed = true;
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private logPath(generation: number): string {
    return path.join(this.directory, `log-${generation}.ndjson`);
  }

  private syncDirectory(): void {
    const dirFd = fs.openSync(this.directory, 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  }
}

function writeAll(fd: number, buffer: Buffer, callback: (error: unknown) => void): void {
  let offset = 0;
  const step = (): void => {
    fs.write(fd, buffer, offset, buffer.length - offset, null, (error, written) => {
      if (error) return callback(error);
      offset += written;
      if (offset < buffer.length) step();
      else callback(null);
    });
  };
  step();
}

/**
 * JSON.stringify's output in pieces: objects and arrays down to `depth` levels are opened element by element
 * (so the caller can yield between elements); deeper values are stringified whole.
 */
function* jsonPieces(value: unknown, depth: number): Generator<string> {
  if (depth > 0 && Array.isArray(value)) {
    yield '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) yield ',';
      const element: unknown = value[i];
      // As JSON.stringify: undefined and functions in arrays become null.
      yield* element === undefined || typeof element === 'function'
        ? ['null']
        : jsonPieces(element, depth - 1);
    }
    yield ']';
    return;
  }
  if (
    depth > 0 &&
    typeof value === 'object' &&
    value !== null &&
    Object.getPrototypeOf(value) === Object.prototype &&
    typeof (value as { toJSON?: unknown }).toJSON !== 'function'
  ) {
    yield '{';
    let first = true;
    for (const [key, element] of Object.entries(value)) {
      if (element === undefined || typeof element === 'function') continue;
      yield `${first ? '' : ','}${JSON.stringify(key)}:`;
      first = false;
      yield* jsonPieces(element, depth - 1);
    }
    yield '}';
    return;
  }
  yield JSON.stringify(value) ?? 'null';
}
