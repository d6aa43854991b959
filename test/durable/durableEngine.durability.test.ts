// The engine in this process with its log's file operations held or failed: what clients are told is durable,
// a failed write stops the engine without losing acknowledged commits, and replays are faithful.
import type { OrchestrationHandler } from 'durable-functions';
import * as fs from 'fs';
import { ClientError, type DurableEngine } from '../../runtime/durable/durableEngine';
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
