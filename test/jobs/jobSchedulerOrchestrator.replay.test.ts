// Replay tests of a cluster's job scheduler orchestrator (the real durable-functions wrapper over synthetic
// histories): signals received before the drain's timer fires are answered by one pass; a steady stream of signals
// cannot hold the pass back; a signal after the timer asks for the next pass.
import type { OrchestrationHandler } from 'durable-functions';
import {
  completed,
  episode,
  fired,
  raised,
  replay as replayOrchestrator,
  type ReplayAction,
  type ReplayState,
} from '../support/orchestratorReplay';
import { jobSchedulerOrchestrator } from '../../orchestrations/jobs/jobSchedulerOrchestrator';
import type { JobSchedulerInput, ScheduleJobsResult } from '../../orchestrations/jobs/jobLifecycleContract';

const input: JobSchedulerInput = { clusterKey: 'c' };
const replay = (events: Record<string, unknown>[]): Promise<ReplayState> =>
  replayOrchestrator(
    jobSchedulerOrchestrator as OrchestrationHandler,
    'JobScheduler',
    'job-scheduler-c',
    input,
    events,
  );

/** Sequenced actions (timers, activities, continue-as-new), without the external-event waits. */
function flat(state: ReplayState): ReplayAction[] {
  const out: ReplayAction[] = [];
  const visit = (action: ReplayAction & { compoundActions?: ReplayAction[] }): void => {
    if (action.compoundActions) action.compoundActions.forEach(visit);
    else if (action.actionType !== 6) out.push(action);
  };
  state.actions.flat().forEach(visit);
  return out;
}

const busy: ScheduleJobsResult = { activeJobs: 3, started: [], nextCheckMs: 10_000 };
const signal = () => raised('schedule', {});

test('the signals already received are answered by one pass, after one timer round trip', async () => {
  const state = await replay([signal(), signal(), signal(), episode(0), fired(3, 0)]);
  // A timer due now per signal taken (sequence 0-2 cancelled), the last one fired (3), then the pass (4).
  const actions = flat(state);
  expect(actions.map((a) => a.functionName ?? a.actionType)).toEqual([5, 5, 5, 5, 'ScheduleJobs']);
  expect(state.isDone).toBe(false);
});

test('a steady stream of signals does not hold the pass back', async () => {
  // The first signal is taken at once; the next one arrives in a later episode, before the drain's timer fired:
  // the pass starts then, instead of drawing a new timer that the signal after would beat again.
  const state = await replay([signal(), episode(0.01), signal(), episode(0.02), signal()]);
  const actions = flat(state);
  expect(actions.at(-1)).toMatchObject({ functionName: 'ScheduleJobs' });
  expect(actions).toHaveLength(3); // timers 0 and 1 (both cancelled), then the pass
});

test('a signal that came after the drain asks for the next pass at once; none waits for the periodic check', async () => {
  const drained = [signal(), episode(0), fired(1, 0)];
  const next = flat(await replay([...drained, signal(), completed(2, busy)]));
  expect(next.at(-1)).toMatchObject({ actionType: 4, input }); // continue as new: the next pass
  const idle = flat(await replay([...drained, completed(2, busy)]));
  // No signal pending: the pass waits for one or for the periodic check (a timer 10 s on).
  expect(idle.at(-1)).toMatchObject({ actionType: 5 });
});

test('with nothing queued or running the scheduler ends, unless a signal came during or right after the pass', async () => {
  const nothing: ScheduleJobsResult = { activeJobs: 0, started: [], nextCheckMs: 10_000 };
  const drained = [signal(), episode(0), fired(1, 0)];
  const ended = await replay([...drained, completed(2, nothing), episode(1), fired(3, 1)]);
  expect(ended).toMatchObject({ isDone: true, output: 'idle' });
  const during = flat(await replay([...drained, signal(), completed(2, nothing)]));
  expect(during.at(-1)).toMatchObject({ actionType: 4, input });
  const after = flat(await replay([...drained, completed(2, nothing), episode(1), signal(), fired(3, 1)]));
  expect(after.at(-1)).toMatchObject({ actionType: 4, input });
});
