// The append blob log: a chatty task does not use up the blob's 50,000 blocks in hours (appends merge as blocks are
// used), a full blob ends with a marker (told once, close() does not fail), and output waiting for slow storage is
// bounded (write() answers false; a task's reader pauses, so the task blocks on its pipe).
import * as os from 'os';
import { AppendBlobLog, truncationMarker } from './appendBlobLog';
import { TaskProcess, type OutputSink } from './taskProcess';

/** A fake append blob that enforces a block limit as Azure does (409 BlockCountExceedsLimit). */
function fakeBlob(limit = 50_000, appendDelayMs = 0) {
  const blocks: Buffer[] = [];
  return {
    blocks,
    text: () => Buffer.concat(blocks).toString(),
    async createIfNotExists() {
      return {};
    },
    async appendBlock(body: Buffer) {
      if (appendDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, appendDelayMs));
      if (blocks.length >= limit)
        throw Object.assign(new Error('The committed block count cannot exceed the maximum limit.'), {
          statusCode: 409,
          code: 'BlockCountExceedsLimit',
        });
      blocks.push(Buffer.from(body));
      return {};
    },
  };
}

afterEach(() => jest.useRealTimers());

test('a line a second for 8 hours uses far fewer blocks than one per line, and every line is kept', async () => {
  jest.useFakeTimers();
  const blob = fakeBlob();
  const log = new AppendBlobLog(blob as never);
  const lines = 8 * 3600;
  for (let i = 0; i < lines; i++) {
    log.write(Buffer.from(`step ${i}\n`));
    await jest.advanceTimersByTimeAsync(1_000);
  }
  await log.close();
  expect(blob.text().split('\n').filter(Boolean)).toHaveLength(lines);
  expect(blob.blocks.length).toBeLessThan(lines / 2); // one block per line before: 28,800 of the 50,000
});

test('a blob at its block limit ends with the marker; later output is dropped, told once, and close() succeeds', async () => {
  const blob = fakeBlob();
  const truncated = jest.fn();
  const log = new AppendBlobLog(blob as never, { flushIntervalMs: 1, maxBlocks: 5, onTruncated: truncated });
  for (let i = 0; i < 10; i++) {
    log.write(Buffer.from(`line ${i}\n`));
    await log.flush();
  }
  await expect(log.close()).resolves.toBeUndefined();
  expect(blob.blocks).toHaveLength(5);
  expect(blob.text()).toBe(`line 0\nline 1\nline 2\nline 3\n${truncationMarker}`);
  expect(truncated).toHaveBeenCalledTimes(1);
});

test('a blob the service finds full (blocks from before) is told once and close() succeeds', async () => {
  const blob = fakeBlob(2);
  const truncated = jest.fn();
  const log = new AppendBlobLog(blob as never, { flushIntervalMs: 1, onTruncated: truncated });
  for (let i = 0; i < 5; i++) {
    log.write(Buffer.from(`line ${i}\n`));
    await log.flush();
  }
  await expect(log.close()).resolves.toBeUndefined();
  expect(blob.text()).toBe('line 0\nline 1\n');
  expect(truncated).toHaveBeenCalledTimes(1);
});

test('output waiting for slow storage stays bounded: the task blocks on its pipe, nothing is lost', async () => {
  const blob = fakeBlob(50_000, 150); // ~27 MB/s: far slower than the task writes
  const log = new AppendBlobLog(blob as never);
  let written = 0;
  let mostWaiting = 0;
  // Counts what waits in the agent's memory (written to the log, not yet in the blob).
  const counted: OutputSink = {
    write(chunk) {
      written += chunk.length;
      mostWaiting = Math.max(mostWaiting, written - blob.blocks.reduce((n, b) => n + b.length, 0));
      return log.write(chunk);
    },
    drained: () => log.drained(),
    close: () => log.close(),
  };
  const size = 96 * 1024 * 1024;
  const task = new TaskProcess({
    commandLine: `head -c ${size} /dev/zero`,
    cwd: os.tmpdir(),
    env: { PATH: '/usr/bin:/bin' },
    stdout: counted,
    stderr: { write: () => undefined, close: async () => undefined },
  });
  expect(await task.done).toEqual({ exitCode: 0 });
  expect(blob.blocks.reduce((n, b) => n + b.length, 0)).toBe(size);
  expect(mostWaiting).toBeLessThanOrEqual(24 * 1024 * 1024); // 16 MiB, a 4 MiB block and a pipe's worth
});
