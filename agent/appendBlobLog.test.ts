// The append blob log: a chatty task does not use up the blob's 50,000 blocks in hours (appends merge as blocks are
// used), a full blob ends with a marker (told once, close() does not fail), and output waiting for slow storage is
// bounded (write() answers false; a task's reader pauses, so the task blocks on its pipe).
import * as os from 'os';
import { AppendBlobLog, outputLostMarker, truncationMarker } from './appendBlobLog';
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

/** A fake append blob that is down (every call fails as after the SDK's own retries) while `down()` says so. */
function flakyBlob(down: (call: number) => boolean, createDown: (call: number) => boolean = () => false) {
  const blocks: Buffer[] = [];
  let appends = 0;
  let creates = 0;
  const busy = () =>
    Object.assign(new Error('Operation could not be completed within the specified time.'), {
      statusCode: 503,
      code: 'ServerBusy',
    });
  return {
    blocks,
    text: () => Buffer.concat(blocks).toString(),
    appendCalls: () => appends,
    async createIfNotExists() {
      if (createDown(++creates)) throw busy();
      return {};
    },
    async appendBlock(body: Buffer) {
      if (down(++appends)) throw busy();
      blocks.push(Buffer.from(body));
      return {};
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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

test('an append that fails is tried again: no hole in the middle of the output, and close() succeeds', async () => {
  // Before: the failed block was counted as sent, later output was appended after the hole and close() rejected,
  // which the task swallowed (it still reported success).
  const blob = flakyBlob((call) => call === 2);
  const log = new AppendBlobLog(blob as never, { flushIntervalMs: 1, retryDelayMs: 20 });
  log.write(Buffer.from('part1\n'));
  await log.flush();
  log.write(Buffer.from('part2\n'));
  await log.flush(); // fails: kept at the front
  log.write(Buffer.from('part3\n')); // written while the retry waits: after part2
  await log.flush();
  await expect(log.close()).resolves.toBeUndefined();
  expect(blob.text()).toBe('part1\npart2\npart3\n');
  expect(log.waitingBytes).toBe(0);
});

test("a task's output survives a failed append whole (the reviewer's case, through a real task)", async () => {
  const blob = flakyBlob((call) => call === 2);
  const stdout = new AppendBlobLog(blob as never, { flushIntervalMs: 100, retryDelayMs: 100 });
  const task = new TaskProcess({
    commandLine: 'echo part1; sleep 0.4; echo part2; sleep 0.4; echo part3',
    cwd: os.tmpdir(),
    env: { PATH: '/usr/bin:/bin' },
    stdout,
    stderr: { write: () => undefined, close: async () => undefined },
    log: (level, message) => {
      throw new Error(`unexpected ${level}: ${message}`);
    },
  });
  expect(await task.done).toEqual({ exitCode: 0 });
  expect(blob.text()).toBe('part1\npart2\npart3\n');
  expect(blob.appendCalls()).toBeGreaterThan(blob.blocks.length); // the failed try was made
});

test('a blob whose creation failed is created on the next try', async () => {
  const blob = flakyBlob(
    () => false,
    (call) => call === 1,
  );
  const log = new AppendBlobLog(blob as never, { flushIntervalMs: 1, retryDelayMs: 20 });
  log.write(Buffer.from('hello\n'));
  await expect(log.close()).resolves.toBeUndefined();
  expect(blob.text()).toBe('hello\n');
});

test('while storage is down, what waits stays bounded: write() answers false and nothing is dropped', async () => {
  let down = true;
  const blob = flakyBlob(() => down);
  const log = new AppendBlobLog(blob as never, {
    flushIntervalMs: 1,
    retryDelayMs: 10,
    highWaterBytes: 1000,
  });
  const answers: boolean[] = [];
  for (let i = 0; i < 30; i++) {
    answers.push(log.write(Buffer.from(`${String(i).padStart(99, ' ')}\n`)));
    await sleep(2);
  }
  expect(answers.slice(0, 9).every(Boolean)).toBe(true);
  expect(answers.slice(10).some(Boolean)).toBe(false);
  let drained = false;
  void log.drained().then(() => (drained = true));
  await sleep(50);
  expect(drained).toBe(false); // the task stays blocked on its pipe while nothing is stored
  down = false;
  await expect(log.close()).resolves.toBeUndefined();
  expect(drained).toBe(true);
  expect(blob.text().split('\n').filter(Boolean).map(Number)).toEqual(
    Array.from({ length: 30 }, (_, i) => i),
  );
});

test('storage down past the deadline: what waited is given up, told, and marked where it is missing', async () => {
  let down = false;
  const blob = flakyBlob(() => down);
  const lost = jest.fn();
  const log = new AppendBlobLog(blob as never, {
    flushIntervalMs: 1,
    retryDelayMs: 10,
    giveUpAfterMs: 100,
    onOutputLost: lost,
  });
  log.write(Buffer.from('before\n'));
  await log.flush();
  down = true;
  log.write(Buffer.from('during\n'));
  await sleep(200); // past the deadline: given up, and the task is not held any longer
  expect(log.waitingBytes).toBe(0);
  expect(log.write(Buffer.from('dropped too\n'))).toBe(true);
  expect(lost).toHaveBeenCalledTimes(1);
  expect(lost.mock.calls[0]![0]).toBe(7);
  expect(lost.mock.calls[0]![1]).toMatch(/ServerBusy/);
  down = false;
  // Storage answers (at the next try): the marker first, then what follows.
  while (!blob.text().includes('[output lost')) await sleep(10);
  log.write(Buffer.from('after\n'));
  await expect(log.close()).rejects.toThrow(
    /19 bytes of output were lost .*ServerBusy.*the blob marks where/,
  );
  const reason = (lost.mock.calls[0]![1] as string).replace(/\d+ s/, '');
  expect(blob.text().replace(/failed for \d+ s/, 'failed for ')).toBe(
    `before\n${outputLostMarker(19, reason)}after\n`,
  );
});

test('storage down when the task ends: close() tries for a while, then rejects and the task says so in the log', async () => {
  const blob = flakyBlob(() => true);
  const stdout = new AppendBlobLog(blob as never, { flushIntervalMs: 1, retryDelayMs: 10, closeWaitMs: 200 });
  const logged: string[] = [];
  const started = Date.now();
  const task = new TaskProcess({
    commandLine: 'echo the result is 42',
    cwd: os.tmpdir(),
    env: { PATH: '/usr/bin:/bin' },
    stdout,
    stderr: { write: () => undefined, close: async () => undefined },
    log: (level, message) => logged.push(`${level}: ${message}`),
  });
  expect(await task.done).toEqual({ exitCode: 0 });
  expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  expect(Date.now() - started).toBeLessThan(3_000);
  expect(blob.appendCalls()).toBeGreaterThan(2);
  expect(logged).toEqual([
    expect.stringMatching(
      /^warn: task output not stored in full: 17 bytes of output were lost \(storage failed for \d+ s: ServerBusy 503: .*\); its marker could not be appended either$/,
    ),
  ]);
});

test('a log made at its first append makes no blob for a stream that stays empty, and the blob before the first block', async () => {
  const calls: string[] = [];
  const blob = {
    async createIfNotExists() {
      calls.push('create');
      return {};
    },
    async appendBlock(body: Buffer) {
      calls.push(`append ${body.toString()}`);
      return {};
    },
  };
  const quiet = new AppendBlobLog(blob as never, { createOnFirstAppend: true, flushIntervalMs: 5 });
  await quiet.close();
  expect(calls).toEqual([]);
  const said = new AppendBlobLog(blob as never, { createOnFirstAppend: true, flushIntervalMs: 5 });
  said.write(Buffer.from('oops\n'));
  await sleep(20);
  said.write(Buffer.from('again\n'));
  await said.close();
  expect(calls).toEqual(['create', 'append oops\n', 'append again\n']);
  // By default the blob is made at once, written to or not.
  calls.length = 0;
  await new AppendBlobLog(blob as never).close();
  expect(calls).toEqual(['create']);
});
