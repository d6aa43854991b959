// Replay tests of a cluster's job scheduler orchestrator (the real durable-functions wrapper over synthetic
// histories): a signal sent before a pass was asked for is answered by it (consumed without another pass, however
// many there are), a newer one asks for the next pass at once, even when it arrives during a pass after a periodic
// check; the scheduler ends when idle and continues as new every few passes.
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
  jobSchedulerOrchestrator,
  passesPerExecution,
} from '../../orchestrations/jobs/jobSchedulerOrchestrator';
import type { JobSchedulerInput, ScheduleJobsResult } from '../../orchestrations/jobs/jobLifecycleContract';

const input: JobSchedulerInput = { clusterKey: 'c' };
const replay = (events: Record<string, unknown>[]): Promise<ReplayState> =>
  replayOrchestrator(
    jobSchedulerOrchestrator as OrchestrationHandler,
    'JobScheduler',
    'jobscheduler-c',
    input,
    events,
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
