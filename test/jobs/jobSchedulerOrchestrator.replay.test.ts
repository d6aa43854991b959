// Replay tests of a cluster's job scheduler orchestrator (the real durable-functions wrapper over synthetic
// histories): a signal sent before a pass was asked for is answered by it (consumed without another pass, however
// many there are), a newer one asks for the next pass at once, even when it arrives during a pass after a periodic
// check, and (version 1.2 on) never lost to a wait already answered; the scheduler continues as new every few
// passes; before 1.4 it ends when idle, from 1.4 on it waits for the next signal and ends only when its cluster is
// gone. Instances of older versions keep their paths: each is replayed.
import type { OrchestrationHandler } from 'durable-functions';
import {
  at,
  completed,
  episode,
  fired,
  raised,
  replay as replayOrchestrator,
  sequencedActions,
  type ReplayState,
} from '../support/orchestratorReplay';
import {
  idleCheckMs,
  idleWaitsSince,
  jobSchedulerOrchestrator,
  passesPerExecution,
  singleYieldWaitsSince,
} from '../../orchestrations/jobs/jobSchedulerOrchestrator';
import type { JobSchedulerInput, ScheduleJobsResult } from '../../orchestrations/jobs/jobLifecycleContract';

const input: JobSchedulerInput = { clusterKey: 'c' };
/** The instance's version: none (before versions), or the current one. */
let version: string | undefined;
const replay = (events: Record<string, unknown>[]): Promise<ReplayState> =>
  replayOrchestrator(
    jobSchedulerOrchestrator as OrchestrationHandler,
    'JobScheduler',
    'jobscheduler-c',
    input,
    events,
    version,
  );

const flat = sequencedActions;
const names = (state: ReplayState): (string | number)[] =>
  flat(state).map((a) => a.functionName ?? a.actionType);

const busy: ScheduleJobsResult = { activeJobs: 3, started: [], nextCheckMs: 10_000 };
const nothing: ScheduleJobsResult = { activeJobs: 0, started: [], nextCheckMs: 10_000 };
/** A signal sent at `sentAt` seconds (the pass of the first episode was asked for at 0). */
const signal = (sentAt?: number, s = 0.5) =>
  raised('schedule', sentAt === undefined ? {} : { sentAt: at(sentAt) }, s);
const pass = 'ScheduleJobs';

describe.each([
  ['an instance from before versions', undefined],
  [`a ${singleYieldWaitsSince} instance`, singleYieldWaitsSince],
])('%s', (_, instanceVersion) => {
  beforeEach(() => {
    version = instanceVersion;
  });

  test('the first pass runs at once; signals older than it are consumed without another pass', async () => {
    expect(names(await replay([]))).toEqual([pass]);
    const state = await replay([signal(-2), signal(-1), signal(-0.5), completed(0, busy)]);
    // One pass; each stale signal only swaps the wait's timer (no round trip), the last one waits for the 10 s check.
    const actions = flat(state);
    expect(actions.filter((a) => a.functionName === pass)).toHaveLength(1);
    expect(actions.at(-1)).toMatchObject({ actionType: 5, fireAt: at(10) });
  });

  test('a signal sent after the pass was asked for (or saying nothing) asks for the next pass at once', async () => {
    expect(names(await replay([signal(-1), signal(0.2), completed(0, busy)])).at(-1)).toBe(pass);
    expect(names(await replay([signal(), completed(0, busy)])).at(-1)).toBe(pass);
    // After the pass, with no signal in yet: one arrives in a later episode.
    const later = await replay([completed(0, busy), episode(0.7), signal(0.7, 0.7)]);
    expect(names(later)).toEqual([pass, 5, pass]);
  });

  test('a signal arriving during a pass that followed a periodic check starts the next pass at once', async () => {
    // Pass 1, no signal, the 10 s check fires (its wait stays open), pass 2 runs; a signal sent during pass 2 is
    // taken by that open wait: it must start pass 3 at once, not wait for the next check.
    const state = await replay([
      completed(0, busy),
      episode(10),
      fired(1, 10),
      episode(10.1),
      signal(10.1, 10.1),
      completed(2, busy),
    ]);
    expect(names(state)).toEqual([pass, 5, pass, pass]);
  });

  test('with nothing queued or running the scheduler ends, unless a newer signal is in', async () => {
    const ended = await replay([completed(0, nothing), episode(1), fired(1, 1)]);
    expect(ended).toMatchObject({ isDone: true, output: 'idle' });
    const staleOnly = await replay([signal(-1), completed(0, nothing), episode(1), fired(2, 1)]);
    expect(staleOnly).toMatchObject({ isDone: true, output: 'idle' });
    const newer = await replay([signal(0.3), completed(0, nothing)]);
    expect(names(newer).at(-1)).toBe(pass);
  });

  test(`every ${passesPerExecution} passes it continues as new`, async () => {
    const events: Record<string, unknown>[] = [];
    let sequence = 0;
    for (let n = 1; n <= passesPerExecution; n++) {
      events.push(signal(n, n - 0.5), completed(sequence, busy), episode(n));
      sequence += 2; // the pass, then the wait's timer
    }
    const state = await replay(events);
    expect(flat(state).at(-1)).toMatchObject({ actionType: 4, input });
    expect(flat(state).filter((a) => a.functionName === pass)).toHaveLength(passesPerExecution);
  });
});

test('a signal sent during a pass that a signal started after a periodic check is not lost (1.2 on)', async () => {
  // Pass 1 (task 0); the 10 s check (1) fires and pass 2 (2) runs; the scheduler waits again (timer 3); a signal
  // starts pass 3 (4); another, sent during pass 3, must start pass 4 at once. Before 1.2 the wait of the check,
  // yielded twice, had a stale entry that took it: the job waited for the next check.
  const events = [
    completed(0, busy),
    episode(10),
    fired(1, 10),
    episode(10.5),
    completed(2, busy, 10.5),
    episode(11),
    signal(11, 11),
    episode(11.1),
    signal(11.1, 11.1),
    completed(4, busy, 11.2),
  ];
  version = singleYieldWaitsSince;
  expect(names(await replay(events))).toEqual([pass, 5, pass, 5, pass, pass]);
  version = undefined;
  expect(names(await replay(events))).toEqual([pass, 5, pass, 5, pass, 5]);
});

test('waits left open by periodic checks each take one signal: an older one is consumed, a newer one starts a pass', async () => {
  version = singleYieldWaitsSince;
  // Pass 2 follows the 10 s check; a signal sent before it was asked for reaches the wait the check left open.
  const stale = await replay([
    completed(0, busy),
    episode(10),
    fired(1, 10),
    signal(9.5, 10.2),
    completed(2, busy, 10.5),
  ]);
  expect(names(stale)).toEqual([pass, 5, pass, 5]);
  // Two checks in a row leave two waits open; an older and a newer signal during pass 3: the newer is not lost.
  const twoOpen = await replay([
    completed(0, busy),
    episode(10),
    fired(1, 10),
    episode(10.5),
    completed(2, busy, 10.5),
    episode(20.5),
    fired(3, 20.5),
    episode(21),
    signal(20, 21), // sent before pass 3 was asked for (20.5): consumed
    signal(21.1, 21.1),
    completed(4, busy, 21.5),
  ]);
  expect(names(twoOpen)).toEqual([pass, 5, pass, 5, pass, pass]);
  version = undefined;
});

describe(`an idle scheduler (${idleWaitsSince} on)`, () => {
  beforeEach(() => {
    version = idleWaitsSince;
  });
  afterEach(() => {
    version = undefined;
  });

  test('waits for the next signal instead of ending: a signal sent as it would have ended still gets its pass', async () => {
    // Before 1.4 the idle pass's timer (due at once) ended the instance and a signal raised meanwhile was dropped
    // with it: its job waited for its lifecycle's re-check.
    const waiting = await replay([completed(0, nothing)]);
    expect(waiting.isDone).toBe(false);
    expect(flat(waiting).at(-1)).toMatchObject({ actionType: 5, fireAt: at(idleCheckMs / 1000) });
    const woken = await replay([completed(0, nothing), episode(5), signal(5, 5)]);
    expect(names(woken)).toEqual([pass, 5, pass]);
    // A signal older than the idle pass is consumed: the pass read its change.
    const stale = await replay([completed(0, nothing), episode(5), signal(-1, 5)]);
    expect(stale.isDone).toBe(false);
    expect(names(stale)).toEqual([pass, 5, 5]);
  });

  test('passes again at the idle check and ends once its cluster is gone', async () => {
    const hour = idleCheckMs / 1000;
    const checked = await replay([completed(0, nothing), episode(hour), fired(1, hour)]);
    expect(names(checked)).toEqual([pass, 5, pass]);
    const gone = await replay([
      completed(0, nothing),
      episode(hour),
      fired(1, hour),
      completed(2, { ...nothing, clusterGone: true }, hour + 0.5),
    ]);
    expect(gone).toMatchObject({ isDone: true, output: 'clusterDeleted' });
    // Jobs still held by a deleted cluster's nodes keep it passing until their lifecycles let them go.
    const holding = await replay([completed(0, { ...busy, clusterGone: true })]);
    expect(holding.isDone).toBe(false);
  });
});
