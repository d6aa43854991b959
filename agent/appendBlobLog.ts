// Streams a process's output into an append blob while it runs: chunks are buffered and appended at most every
// `flushIntervalMs` (a written line is readable in blob storage well within 2 s), one append in flight at a time.
// An append blob takes at most 50,000 blocks: the interval widens as blocks are used (one block per 500 ms of a
// chatty task would use them up in 7 hours; this way in about a week), and a blob that reaches the limit ends with
// a marker line saying its output was cut there (what comes after is dropped, and `onTruncated` is told once).
// While more than `highWaterBytes` waits to be appended (storage slower than the task), write() answers false and
// the reader pauses until drained(): the task then blocks on its pipe instead of the agent's memory growing.
// An append that fails (storage down or throttling past the SDK's own retries) keeps its bytes at the front and is
// retried with a backoff, so nothing is cut out of the middle of the output; meanwhile the high-water mark still
// bounds what waits (the task blocks). An outage longer than `giveUpAfterMs` (or one still on when close() stops
// waiting) gives up what waits: it is dropped, `onOutputLost` is told, and once storage answers the blob gets the
// line `[output lost: ...]` where the output is missing. close() then rejects, saying how much was lost.
import type { AppendBlobClient } from '@azure/storage-blob';
import { describeError } from '../shared/logging/describeError';

/** Azure's limit for one appendBlock call (4 MiB). */
const maxBlockBytes = 4 * 1024 * 1024;
/** Azure's limit of committed blocks in an append blob. */
export const maxAppendBlocks = 50_000;
/** Ends a blob that reached its block limit. */
export const truncationMarker = '\n[output truncated at the append blob limit]\n';
/** Blocks appended at the base interval; after that the interval grows with the blocks used (1x per 1,000). */
const blocksPerIntervalStep = 1_000;
/** The widest interval between appends. */
const maxFlushIntervalMs = 30_000;
/** The widest interval between two tries of a failing append. */
const maxRetryDelayMs = 30_000;

/** The line that stands where output was given up (storage failed for too long). */
export function outputLostMarker(bytes: number, reason: string): string {
  return `\n[output lost: ${bytes} bytes could not be stored (${reason})]\n`;
}

export interface AppendBlobLogOptions {
  /** The base interval between appends (500 ms). */
  flushIntervalMs?: number;
  /** How many blocks the blob takes (Azure: 50,000; tests: fewer). */
  maxBlocks?: number;
  /** Output waiting to be appended beyond which write() answers false (16 MiB). */
  highWaterBytes?: number;
  /** Told once when output is dropped at the block limit. */
  onTruncated?: () => void;
  /** The first wait before a failed append is tried again (1 s); it doubles up to 30 s. */
  retryDelayMs?: number;
  /** How long appends may keep failing before what waits is given up (10 min). */
  giveUpAfterMs?: number;
  /** How long close() keeps trying while appends fail (30 s): then what waits is given up. */
  closeWaitMs?: number;
  /** Told each time output is given up: how many bytes waited and why. */
  onOutputLost?: (bytes: number, reason: string) => void;
  /**
   * Creates the blob before its first append instead of at once: a stream that stays empty makes no blob (and no
   * request). The job's stderr: the files listing shows an empty one beside its stdout (blobJobOutputFiles.ts).
   */
  createOnFirstAppend?: boolean;
}

export class AppendBlobLog {
  /** Written since the last flush(). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Flushed and not appended yet, in order (a failed append leaves its bytes at the front). */
  private outbound: Buffer[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Appends run one at a time along this chain; it never rejects. */
  private chain: Promise<void> = Promise.resolve();
  private readonly flushIntervalMs: number;
  private readonly maxBlocks: number;
  private readonly highWaterBytes: number;
  private readonly onTruncated: (() => void) | undefined;
  private readonly onOutputLost: ((bytes: number, reason: string) => void) | undefined;
  private readonly baseRetryDelayMs: number;
  private readonly giveUpAfterMs: number;
  private readonly closeWaitMs: number;
  /** Blocks this log appended. */
  private blocks = 0;
  /** The blob is full: output is dropped. */
  private truncated = false;
  /** The truncation marker is still to be appended. */
  private truncationMarkerOwed = false;
  /** Bytes written and not yet appended (or dropped). */
  private queued = 0;
  private drainWaiters: (() => void)[] = [];
  /** The blob exists (createIfNotExists answered). */
  private created = false;
  private readonly createOnFirstAppend: boolean;
  /** When the current run of failed appends began; undefined while storage answers. */
  private failingSince: number | undefined;
  private lastError: unknown;
  private retryDelayMs: number;
  /** The next try of a failed append; while set, nothing else is sent. */
  private retryTimer: NodeJS.Timeout | undefined;
  /** When the scheduled retry runs, and a promise that resolves once it has. */
  private retryDue = 0;
  private retried: Promise<void> = Promise.resolve();
  /** Bytes given up whose marker is not in the blob yet; while > 0, what is written is dropped (and counted). */
  private lostBytes = 0;
  private lostReason = '';
  /** Every byte given up over the log's life. */
  private lostTotal = 0;
  /** close() waits for failing appends until then. */
  private closeBy: number | undefined;

  constructor(
    private readonly blob: AppendBlobClient,
    options: AppendBlobLogOptions = {},
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 500;
    this.maxBlocks = options.maxBlocks ?? maxAppendBlocks;
    this.highWaterBytes = options.highWaterBytes ?? 16 * 1024 * 1024;
    this.onTruncated = options.onTruncated;
    this.onOutputLost = options.onOutputLost;
    this.baseRetryDelayMs = options.retryDelayMs ?? 1_000;
    this.retryDelayMs = this.baseRetryDelayMs;
    this.giveUpAfterMs = options.giveUpAfterMs ?? 10 * 60_000;
    this.closeWaitMs = options.closeWaitMs ?? 30_000;
    this.createOnFirstAppend = options.createOnFirstAppend ?? false;
    if (!this.createOnFirstAppend) this.chain = this.create().catch((error: unknown) => this.failed(error));
  }

  /** Bytes written and not appended yet. */
  get waitingBytes(): number {
    return this.queued;
  }

  /** Buffers a chunk; false when more than the high-water mark waits to be appended (see drained()). */
  write(chunk: Buffer): boolean {
    if (this.truncated) return true; // dropped: the blob is full
    if (this.lostBytes > 0) {
      this.lostBytes += chunk.length; // dropped: storage failed for too long (the marker counts it)
      this.lostTotal += chunk.length;
      return true;
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    this.queued += chunk.length;
    if (this.pendingBytes >= maxBlockBytes) this.flushSoon(0);
    else this.flushSoon(this.currentIntervalMs());
    return this.queued <= this.highWaterBytes;
  }

  /** Resolves once no more than half the high-water mark waits to be appended. */
  drained(): Promise<void> {
    if (this.queued <= this.highWaterBytes / 2) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** The interval between appends: wider as the blob's blocks are used. */
  private currentIntervalMs(): number {
    const widened = this.flushIntervalMs * Math.max(1, this.blocks / blocksPerIntervalStep);
    return Math.min(Math.max(this.flushIntervalMs, maxFlushIntervalMs), widened);
  }

  private flushSoon(delayMs: number): void {
    if (this.timer && delayMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
  }

  private settled(bytes: number): void {
    this.queued -= bytes;
    if (this.queued > this.highWaterBytes / 2) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private async create(): Promise<void> {
    await this.blob.createIfNotExists({ blobHTTPHeaders: { blobContentType: 'text/plain; charset=utf-8' } });
    this.created = true;
    this.answered();
  }

  /** Storage answered: a later failure starts a new run of failures (and its backoff from the start). */
  private answered(): void {
    this.failingSince = undefined;
    this.retryDelayMs = this.baseRetryDelayMs;
  }

  /** Appends one block; false when the service finds the blob full (blocks from before this log). */
  private async append(block: Buffer): Promise<boolean> {
    try {
      await this.blob.appendBlock(block, block.length);
    } catch (error: unknown) {
      if ((error as { code?: string }).code !== 'BlockCountExceedsLimit') throw error;
      return false;
    }
    this.blocks++;
    this.answered();
    return true;
  }

  /** The blob is full: the rest is dropped; the marker ends it (when there is room left for it). */
  private truncate(withMarker: boolean): void {
    if (this.truncated) return;
    this.truncated = true;
    this.truncationMarkerOwed = withMarker;
    this.onTruncated?.();
  }

  /** Appends what was flushed, in order; a failure leaves it at the front and schedules a retry. */
  private async send(): Promise<void> {
    if (this.retryTimer) return; // failing: the retry sends it, after its backoff
    try {
      const appending = this.outbound.length > 0 || this.lostBytes > 0;
      if (!this.created && (appending || !this.createOnFirstAppend)) await this.create();
      if (this.lostBytes > 0) {
        // Said where the output is missing before what follows it (the marker takes a block, not the last one).
        if (this.blocks < this.maxBlocks - 1) {
          if (!(await this.append(Buffer.from(outputLostMarker(this.lostBytes, this.lostReason)))))
            this.truncate(false);
        } else this.truncate(true);
        this.lostBytes = 0;
      }
      while (this.outbound.length > 0 && !this.truncated) {
        // The last block is kept for the marker.
        if (this.blocks >= this.maxBlocks - 1) {
          this.truncate(true);
          break;
        }
        const batch = this.outbound[0]!;
        const block = batch.subarray(0, maxBlockBytes);
        if (!(await this.append(block))) {
          this.truncate(false);
          break;
        }
        if (block.length === batch.length) this.outbound.shift();
        else this.outbound[0] = batch.subarray(block.length);
        this.settled(block.length);
      }
      if (this.truncated) this.drop();
      if (this.truncationMarkerOwed) {
        const marker = Buffer.from(truncationMarker);
        await this.blob.appendBlock(marker, marker.length);
        this.blocks++;
        this.truncationMarkerOwed = false;
      }
    } catch (error: unknown) {
      this.failed(error);
    }
  }

  /** Drops what waits (the blob is full, or output is given up); returns how many bytes that was. */
  private drop(): number {
    const bytes = this.pendingBytes + this.outbound.reduce((n, b) => n + b.length, 0);
    this.pending = [];
    this.pendingBytes = 0;
    this.outbound = [];
    this.settled(bytes);
    return bytes;
  }

  /** An append (or the blob's creation) failed: retried after a backoff, or what waits is given up. */
  private failed(error: unknown): void {
    const now = Date.now();
    this.lastError = error;
    this.failingSince ??= now;
    const closing = this.closeBy !== undefined && now >= this.closeBy;
    if (closing || now - this.failingSince >= this.giveUpAfterMs) {
      const bytes = this.drop();
      if (bytes > 0 || this.lostBytes > 0) {
        const failingSeconds = Math.round((now - this.failingSince) / 1000);
        this.lostReason = `storage failed for ${failingSeconds} s: ${describeError(error)}`;
        this.lostBytes += bytes;
        this.lostTotal += bytes;
        if (bytes > 0) this.onOutputLost?.(bytes, this.lostReason);
      }
      if (closing) return; // close() stops here: it rejects
    }
    const delay = this.retryDelayMs;
    this.retryDelayMs = Math.min(maxRetryDelayMs, delay * 2);
    this.scheduleRetry(now + delay);
  }

  /** The next try of the failing appends, at `at` (or when close() stops waiting, if sooner). */
  private scheduleRetry(at: number): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const due = this.closeBy !== undefined ? Math.min(at, this.closeBy) : at;
    this.retryDue = due;
    this.retried = new Promise((resolve) => {
      this.retryTimer = setTimeout(
        () => {
          this.retryTimer = undefined;
          void this.flush().then(resolve);
        },
        Math.max(0, due - Date.now()),
      );
    });
  }

  /** Appends everything buffered so far; resolves when it is in the blob (or, while appends fail, after a try). */
  flush(): Promise<void> {
    if (this.pending.length > 0) {
      this.outbound.push(Buffer.concat(this.pending));
      this.pending = [];
      this.pendingBytes = 0;
    }
    this.chain = this.chain.then(() => this.send());
    return this.chain;
  }

  /**
   * Flushes what is left and stops the timer; while appends fail, keeps trying for `closeWaitMs`. Rejects when output
   * was lost (given up after failed appends), saying how much and why.
   */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.closeBy = Date.now() + this.closeWaitMs;
    // A retry waiting beyond close()'s patience comes sooner.
    if (this.retryTimer && this.retryDue > this.closeBy) this.scheduleRetry(this.closeBy);
    await this.flush();
    while (this.retryTimer) await this.retried;
    if (this.lostTotal > 0) {
      const where = this.lostBytes > 0 ? 'its marker could not be appended either' : 'the blob marks where';
      const { containerName, name } = this.blob as Partial<Pick<AppendBlobClient, 'containerName' | 'name'>>;
      throw new Error(
        `${name ? `${containerName}/${name}: ` : ''}${this.lostTotal} bytes of output were lost (${this.lostReason || describeError(this.lastError)}); ${where}`,
      );
    }
  }
}
