// Embedded on-disk store of the local Durable Task engine: an append-only log of commit groups with group commit
// (many commits share one fdatasync) plus snapshot compaction (write, fsync, atomic rename, then drop old logs).
// A commit resolves only once its line is on disk; a torn tail line (crash mid-write) is ignored at replay.
import * as fs from 'fs';
import * as path from 'path';

export interface DurableLogOptions {
  directory: string;
  /** Compact when the current log file grows beyond this many bytes. */
  compactAfterBytes?: number;
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
const logPattern = /^log-(\d+)\.ndjson$/;

export class DurableLog<TRecord, TSnapshot> {
  private readonly directory: string;
  private readonly compactAfterBytes: number;
  private generation = 0;
  private fd: number | undefined;
  private bytesInGeneration = 0;
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
      while (start < text.length) {
        const end = text.indexOf('\n', start);
        if (end < 0) break; // torn tail: never acknowledged
        const line = text.slice(start, end);
        start = end + 1;
        if (line.length === 0) continue;
        try {
          commits.push(JSON.parse(line) as TRecord[]);
        } catch {
          break; // torn or zero-filled tail
        }
      }
    }
    this.generation = Math.max(snapshotGeneration, generations.at(-1) ?? 0) + 1;
    this.fd = fs.openSync(this.logPath(this.generation), 'a');
    this.bytesInGeneration = 0;
    this.syncDirectory();
    return { snapshot, commits };
  }

  /** The engine gives a function that serializes its whole state consistently (called synchronously). */
  setSnapshotProvider(provider: () => TSnapshot): void {
    this.snapshotProvider = provider;
  }

  /** Appends one atomic group of records; resolves when it is durable. */
  append(records: TRecord[]): Promise<void> {
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
      for (const p of batch) {
        if (error) p.reject(error);
        else p.resolve();
      }
      this.bytesInGeneration += buffer.length;
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
   * Starts a new log generation and writes a snapshot of the state as of this instant; older logs are deleted
   * once the snapshot is renamed into place. A crash at any point leaves snapshot + logs that replay correctly.
   */
  compact(): void {
    if (!this.snapshotProvider || this.compacting || this.fd === undefined) return;
    this.compacting = true;
    const oldGeneration = this.generation;
    const state = this.snapshotProvider();
    this.generation = oldGeneration + 1;
    const oldFd = this.fd;
    this.fd = fs.openSync(this.logPath(this.generation), 'a');
    this.bytesInGeneration = 0;
    this.syncDirectory();
    const tmp = path.join(this.directory, `${snapshotFile}.tmp`);
    const content = JSON.stringify({ generation: this.generation, state });
    fs.writeFile(tmp, content, (writeError) => {
      if (writeError) {
        this.compacting = false;
        return;
      }
      const fd = fs.openSync(tmp, 'r+');
      fs.fsync(fd, () => {
        fs.closeSync(fd);
        fs.renameSync(tmp, path.join(this.directory, snapshotFile));
        this.syncDirectory();
        fs.closeSync(oldFd);
        for (let g = 0; g <= oldGeneration; g++) fs.rmSync(this.logPath(g), { force: true });
        this.compacting = false;
      });
    });
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
