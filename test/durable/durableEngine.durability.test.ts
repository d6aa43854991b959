// The engine in this process with its log's file operations held or failed: what clients are told is durable,
// a failed write stops the engine without losing acknowledged commits, and replays are faithful.
import type { OrchestrationHandler } from 'durable-functions';
import * as fs from 'fs';
import * as path from 'path';
import { ClientError, type DurableEngine } from '../../runtime/durable/durableEngine';
import { DurableLog } from '../../runtime/durable/durableLog';
import { makeEngine, sleep, tempDir, until } from './engineHarness';

const realFs = jest.requireActual<typeof fs>('fs');
const dirs: string[] = [];
const engines: DurableEngine[] = [];

function newDir(): string {
  const dir = tempDir('durable-durability-');
  dirs.push(dir);
  return dir;
}

function started(engine: DurableEngine): DurableEngine {
  engines.push(engine);
  engine.start();
  return engine;
}

let releaseSyncs: (() => void) | undefined;

afterEach(async () => {
  releaseSyncs?.();
  releaseSyncs = undefined;
  jest.restoreAllMocks();
  for (const engine of engines.splice(0)) await engine.stop().catch(() => undefined);
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const waitThenHello: OrchestrationHandler = function* (context) {
  const a: string = yield context.df.waitForExternalEvent('go');
  const r: string = yield context.df.callActivity('Hello', a);
  return r;
};
const activities = { Hello: (x: unknown) => `Hello ${String(x)}` };

/** Holds every fdatasync of the log until released. */
function holdSyncs(): { release: () => void } {
  const original = realFs.fdatasync;
  const held: (() => void)[] = [];
  let holding = true;
  jest.spyOn(realFs, 'fdatasync').mockImplementation(((fd: number, callback: (e: unknown) => void) => {
    const go = (): void => original(fd, callback);
    if (holding) held.push(go);
    else go();
  }) as typeof fs.fdatasync);
  const release = (): void => {
    holding = false;
    for (const go of held.splice(0)) go();
  };
  releaseSyncs = release;
  return { release };
}

test('status, 409 and 410 answers wait until what they report is durable', async () => {
  const engine = started(makeEngine(newDir(), { orchestrators: { Wait: waitThenHello }, activities }));
  await engine.startNew('Wait', 'd1', undefined);
  await until('d1 running', () => engine.getStatus('d1')?.runtimeStatus === 'Running');
  await engine.statusOf('d1');

  const syncs = holdSyncs();
  let released = false;
  const answers: string[] = [];
  const answer = (what: string) => (value: unknown) =>
    answers.push(`${what}: ${released ? 'after' : 'BEFORE'} the fsync: ${String(value)}`);
  const refused = (what: string) => (error: unknown) =>
    answer(what)(error instanceof ClientError ? error.status : String(error));

  const terminated = engine.terminate('d1', 'enough').then(answer('terminate'), refused('terminate'));
  // The episode runs before the fsync (it is not an effect): memory says Terminated, the log not yet.
  await until('d1 terminated in memory', () => engine.getStatus('d1')?.runtimeStatus === 'Terminated');
  const reads = [
    terminated,
    engine.statusOf('d1').then((s) => answer('status')(s?.runtimeStatus), refused('status')),
    engine
      .list({ instanceIdPrefix: 'd1' }, 10, undefined, true)
      .then((page) => answer('list')(page.items.map((i) => i.runtimeStatus).join()), refused('list')),
    engine.raiseEvent('d1', 'other', '1').then(answer('raise other'), refused('raise other')),
  ];
  const first = engine.startNew('Wait', 'd2', undefined).then(answer('start d2'), refused('start d2'));
  const second = engine
    .startNew('Wait', 'd2', undefined)
    .then(answer('start d2 again'), refused('start d2 again'));
  await sleep(200); // every answer had its chance to come early: none may
  expect(answers).toEqual([]);

  released = true;
  syncs.release();
  await Promise.all([...reads, first, second]);
  expect(answers.sort()).toEqual([
    'list: after the fsync: Terminated',
    'raise other: after the fsync: 410',
    'start d2 again: after the fsync: 409',
    'start d2: after the fsync: d2',
    'status: after the fsync: Terminated',
    'terminate: after the fsync: undefined',
  ]);
});

/** The next log write puts half its bytes in the file, then fails as a full disk does. */
function failNextWrite(): void {
  const original = realFs.write;
  jest
    .spyOn(realFs, 'write')
    .mockImplementationOnce(((
      fd: number,
      buffer: Buffer,
      offset: number,
      length: number,
      position: number | null,
      callback: (error: unknown, written: number) => void,
    ) =>
      original(fd, buffer, offset, Math.ceil(length / 2), position, (_error, written) =>
        callback(
          Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }),
          written,
        ),
      )) as unknown as typeof fs.write);
}

const logFiles = (dir: string): string[] => fs.readdirSync(dir).filter((f) => /^log-\d+\.ndjson$/.test(f));

test('a failed write is cut back and stops the log: nothing is acknowledged after a gap', async () => {
  const dir = newDir();
  const failures: Error[] = [];
  const log = new DurableLog<number, unknown>({ directory: dir, onFailure: (e) => failures.push(e) });
  log.open();
  await log.append([1]);
  failNextWrite();
  const second = log.append([2, 'x'.length]);
  await expect(second).rejects.toThrow(/ENOSPC/);
  // Space came back: the log still refuses, as its owner's memory holds the refused commit.
  await expect(log.append([3])).rejects.toThrow(/accepts no more commits/);
  expect(failures).toHaveLength(1);
  await log.close();

  for (const file of logFiles(dir)) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    for (const line of text.split('\n').filter((l) => l.length > 0))
      expect(() => JSON.parse(line)).not.toThrow();
  }
  const messages: string[] = [];
  const reopened = new DurableLog<number, unknown>({ directory: dir, log: (m) => messages.push(m) });
  expect(reopened.open().commits).toEqual([[1]]);
  expect(messages).toEqual([]);
  await reopened.close();
});

test('replay keeps the commits after a damaged line and reports it; a torn last line is ignored quietly', async () => {
  const dir = newDir();
  fs.writeFileSync(path.join(dir, 'log-1.ndjson'), '[1]\n[2,{"k":\n[3]\n[4]\n[5,');
  fs.writeFileSync(path.join(dir, 'log-2.ndjson'), '[6]\n\0\0\0\0\n');
  const messages: string[] = [];
  const log = new DurableLog<number, unknown>({ directory: dir, log: (m) => messages.push(m) });
  expect(log.open().commits).toEqual([[1], [3], [4], [6]]);
  expect(messages).toHaveLength(1);
  expect(messages[0]).toMatch(/log-1\.ndjson is damaged: line\(s\) 2 are not commits/);
  await log.close();
});

test('after a failed write the engine refuses work with 503 and resumes from the log after a restart', async () => {
  const dir = newDir();
  const messages: string[] = [];
  const options = { orchestrators: { Wait: waitThenHello }, activities, messages };
  const engine = started(makeEngine(dir, options));
  await engine.startNew('Wait', 'a', undefined);
  await until('a running', () => engine.getStatus('a')?.runtimeStatus === 'Running');
  await engine.statusOf('a');

  failNextWrite();
  await expect(engine.raiseEvent('a', 'go', '"lost"')).rejects.toThrow(/ENOSPC/);
  await expect(engine.startNew('Wait', 'b', undefined)).rejects.toMatchObject({ status: 503 });
  await expect(engine.statusOf('a')).rejects.toMatchObject({ status: 503 });
  await expect(engine.raiseEvent('a', 'go', '"again"')).rejects.toMatchObject({ status: 503 });
  expect(messages.some((m) => m.includes('stopped, restart the host'))).toBe(true);
  await engine.stop();

  const restarted = started(makeEngine(dir, options));
  expect((await restarted.statusOf('a'))?.runtimeStatus).toBe('Running');
  await restarted.raiseEvent('a', 'go', '"kept"');
  await restarted.waitForCompletion('a');
  expect((await restarted.statusOf('a'))?.output).toBe('Hello kept');
});

test('restarts without commits leave no empty logs behind', async () => {
  const dir = newDir();
  const engine = makeEngine(dir, { orchestrators: { Wait: waitThenHello }, activities });
  engine.start();
  await engine.startNew('Wait', 'idle', undefined);
  await engine.stop();
  for (let i = 0; i < 3; i++) {
    const again = makeEngine(dir, { orchestrators: { Wait: waitThenHello }, activities });
    again.start();
    await again.stop();
  }
  expect(logFiles(dir).length).toBeLessThanOrEqual(1);
  const last = makeEngine(dir, { orchestrators: { Wait: waitThenHello }, activities });
  started(last);
  expect((await last.statusOf('idle'))?.runtimeStatus).toBe('Running');
});

test('compaction serializes the snapshot over several turns of the event loop and stays crash safe', async () => {
  const dir = newDir();
  // Each element notes the event-loop turn it is serialized in.
  let turn = 0;
  let ticking = true;
  const tick = (): void => {
    turn++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  const turnsSeen = new Set<number>();
  const element = (i: number) => ({
    toJSON: () => {
      turnsSeen.add(turn);
      return { i, payload: 'x'.repeat(200_000) };
    },
  });
  const log = new DurableLog<number, { items: unknown[] }>({ directory: dir });
  log.open();
  await log.append([1]);
  log.setSnapshotProvider(() => ({ items: Array.from({ length: 30 }, (_, i) => element(i)) }));
  log.compact();
  await log.append([2]);
  await log.close(); // waits for the compaction
  ticking = false;
  expect(turnsSeen.size).toBeGreaterThan(1);

  expect(fs.existsSync(path.join(dir, 'snapshot.json.tmp'))).toBe(false);
  const reopened = new DurableLog<number, { items: { i: number; payload: string }[] }>({ directory: dir });
  const contents = reopened.open();
  expect(contents.snapshot?.items.map((e) => e.i)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  expect(contents.commits).toEqual([[2]]);
  await reopened.close();
});
