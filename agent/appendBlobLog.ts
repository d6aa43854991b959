// Streams a process's output into an append blob while it runs: chunks are buffered and appended at most every
// `flushIntervalMs` (a written line is readable in blob storage well within 2 s), one append in flight at a time.
import type { AppendBlobClient } from '@azure/storage-blob';

/** Azure's limit for one appendBlock call (4 MiB). */
const maxBlockBytes = 4 * 1024 * 1024;

export class AppendBlobLog {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void>;
  private failure: unknown;

  constructor(
    private readonly blob: AppendBlobClient,
    private readonly flushIntervalMs = 500,
  ) {
    this.chain = blob
      .createIfNotExists({ blobHTTPHeaders: { blobContentType: 'text/plain; charset=utf-8' } })
      .then(
        () => undefined,
        (error: unknown) => void (this.failure ??= error),
      );
  }

  write(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= maxBlockBytes) this.flushSoon(0);
    else this.flushSoon(this.flushIntervalMs);
  }

  private flushSoon(delayMs: number): void {
    if (this.timer && delayMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
  }

  /** Appends everything buffered so far; resolves when it is in the blob. */
  flush(): Promise<void> {
    const data = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    // The chain never rejects (a failure is remembered), so later output still gets its chance to be appended.
    this.chain = this.chain
      .then(async () => {
        for (let offset = 0; offset < data.length; offset += maxBlockBytes) {
          const block = data.subarray(offset, offset + maxBlockBytes);
          await this.blob.appendBlock(block, block.length);
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
