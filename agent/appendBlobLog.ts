// Streams a process's output into an append blob while it runs: chunks are buffered and appended at most every
// `flushIntervalMs` (a written line is readable in blob storage well within 2 s), one append in flight at a time.
// An append blob takes at most 50,000 blocks: the interval widens as blocks are used (one block per 500 ms of a
// chatty task would use them up in 7 hours; this way in about a week), and a blob that reaches the limit ends with
// a marker line saying its output was cut there (what comes after is dropped, and `onTruncated` is told once).
// While more than `highWaterBytes` waits to be appended (storage slower than the task), write() answers false and
// the reader pauses until drained(): the task then blocks on its pipe instead of the agent's memory growing.
import type { AppendBlobClient } from '@azure/storage-blob';

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

export interface AppendBlobLogOptions {
  /** The base interval between appends (500 ms). */
  flushIntervalMs?: number;
  /** How many blocks the blob takes (Azure: 50,000; tests: fewer). */
  maxBlocks?: number;
  /** Output waiting to be appended beyond which write() answers false (16 MiB). */
  highWaterBytes?: number;
  /** Told once when output is dropped at the block limit. */
  onTruncated?: () => void;
}

export class AppendBlobLog {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void>;
  private failure: unknown;
  private readonly flushIntervalMs: number;
  private readonly maxBlocks: number;
  private readonly highWaterBytes: number;
  private readonly onTruncated: (() => void) | undefined;
  /** Blocks this log appended. */
  private blocks = 0;
  /** The blob is full: output is dropped. */
  private truncated = false;
  /** Bytes written and not yet appended (or dropped). */
  private queued = 0;
  private drainWaiters: (() => void)[] = [];

  constructor(
    private readonly blob: AppendBlobClient,
    options: AppendBlobLogOptions = {},
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 500;
    this.maxBlocks = options.maxBlocks ?? maxAppendBlocks;
    this.highWaterBytes = options.highWaterBytes ?? 16 * 1024 * 1024;
    this.onTruncated = options.onTruncated;
    this.chain = blob
      .createIfNotExists({ blobHTTPHeaders: { blobContentType: 'text/plain; charset=utf-8' } })
      .then(
        () => undefined,
        (error: unknown) => void (this.failure ??= error),
      );
  }

  /** Bytes written and not appended yet. */
  get waitingBytes(): number {
    return this.queued;
  }

  /** Buffers a chunk; false when more than the high-water mark waits to be appended (see drained()). */
  write(chunk: Buffer): boolean {
    if (this.truncated) return true; // dropped: the blob is full
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

  /** The blob is full: the rest is dropped; the marker ends it (when there is room left for it). */
  private async truncate(withMarker: boolean): Promise<void> {
    if (this.truncated) return;
    this.truncated = true;
    this.onTruncated?.();
    if (!withMarker) return;
    const marker = Buffer.from(truncationMarker);
    await this.blob.appendBlock(marker, marker.length);
    this.blocks++;
  }

  /** Appends everything buffered so far; resolves when it is in the blob. */
  flush(): Promise<void> {
    const data = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    // The chain never rejects (a failure is remembered), so later output still gets its chance to be appended.
    this.chain = this.chain
      .then(async () => {
        let offset = 0;
        try {
          for (; offset < data.length && !this.truncated;) {
            // The last block is kept for the marker.
            if (this.blocks >= this.maxBlocks - 1) {
              await this.truncate(true);
              break;
            }
            const block = data.subarray(offset, offset + maxBlockBytes);
            try {
              await this.blob.appendBlock(block, block.length);
            } catch (error: unknown) {
              // The blob had blocks before this log (a task run again into the same blob): full already.
              if ((error as { code?: string }).code !== 'BlockCountExceedsLimit') throw error;
              await this.truncate(false);
              break;
            }
            this.blocks++;
            offset += block.length;
            this.settled(block.length);
          }
        } finally {
          this.settled(data.length - offset); // dropped, or failed
        }
      })
      .catch((error: unknown) => void (this.failure ??= error));
    return this.chain;
  }

  /** Flushes what is left and stops the timer; rejects if any append failed. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
    if (this.failure) throw this.failure;
  }
}
