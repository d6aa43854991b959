// Replay tests of the sweep orchestrator: the real durable-functions wrapper runs it against synthetic histories
// (activity results, timers) and the tests assert the exact actions it asks for and the state it carries over.
import type { OrchestrationHandler } from 'durable-functions';
import {
  at,
  completed as completedAt,
  episode,
  fired as firedAt,
  replay as replayOrchestrator,
  type HistoryEvent,
  type ReplayState,
} from '../support/orchestratorReplay';
import type { SweepOrchestrationInput } from '../../orchestrations/sweeps/sweepContract';
import { sweepOrchestrator } from '../../orchestrations/sweeps/sweepOrchestrator';
import type { SweepRunState } from '../../shared/domain/sweeps/sweepProgress';
import { testSweepDefinition } from './support/sweepDefinition';

type Event = HistoryEvent;
type State = ReplayState;
const completed = (id: number, result: unknown, s: number): Event => completedAt(id, result, s);
/** A timer firing opens a new episode at its time. */
const fired = (id: number, s: number): Event[] => [episode(s), firedAt(id, s)];
const replay = (handler: OrchestrationHandler, input: unknown, events: Event[]): Promise<State> =>
  replayOrchestrator(handler, 'Sweep', 'sweep-0b1c2d3e-0000-4000-8000-000000000001', input, events);

const definition = testSweepDefinition([0.1, 0.01, 0.001], { sampling: 'grid', maxConcurrentTrials: 2 });
const sweep = { subscriptionId: 's', resourceGroup: 'rg', workspace: 'ws', experiment: 'exp', name: 'sw' };
const uuid = '0b1c2d3e-0000-4000-8000-000000000001';
const input: SweepOrchestrationInput = { sweep, uuid, definition, pollSeconds: 2, roundsPerEpisode: 2 };
const polled = (trials: unknown[]) => ({
  gone: false,
  cancelRequested: false,
  deleteRequested: false,
  trials,
});
const names = (state: State): string[] =>
  state.actions.flat().map((a) => a.functionName ?? (a.actionType === 5 ? 'timer' : `action${a.actionType}`));

test('the first round polls, creates maxConcurrentTrials trials, records the status and waits one poll interval', async () => {
  const state = await replay(sweepOrchestrator, input, [
    completed(0, polled([]), 1),
    completed(
      1,
      {
        gone: false,
        created: [
          { index: 0, name: 'sw-t0' },
          { index: 1, name: 'sw-t1' },
        ],
      },
      1,
    ),
    completed(2, true, 1),
  ]);
  expect(names(state)).toEqual(['PollSweepTrials', 'CreateSweepTrials', 'RecordSweepStatus', 'timer']);
  const [, create, record, timer] = state.actions.flat();
  expect(create.input).toMatchObject({ indexes: [0, 1] });
  expect(record.input).toMatchObject({
    remove: false,
    status: { executionState: 'running', trialCounts: { queued: 2, notStarted: 1 } },
  });
  expect(timer.fireAt).toBe(at(2)); // the episode's clock (0 s) + pollSeconds
});

test('a finished trial frees a slot for the next one; after roundsPerEpisode it continues as new with its state', async () => {
  const state = await replay(sweepOrchestrator, input, [
    completed(0, polled([]), 1),
    completed(
      1,
      {
        gone: false,
        created: [
          { index: 0, name: 'sw-t0' },
          { index: 1, name: 'sw-t1' },
        ],
      },
      1,
    ),
    completed(2, true, 1),
    ...fired(3, 3),
    completed(
      4,
      polled([
        {
          name: 'sw-t0',
          state: 'succeeded',
          attempt: 1,
          offset: 40,
          stdoutBlob: 'b0',
          points: [{ step: 1, value: 0.6 }],
        },
        {
          name: 'sw-t1',
          state: 'running',
          attempt: 1,
          offset: 20,
          stdoutBlob: 'b1',
          points: [{ step: 1, value: 0.7 }],
        },
      ]),
      3,
    ),
    completed(5, { gone: false, created: [{ index: 2, name: 'sw-t2' }] }, 3),
    completed(6, true, 3),
    ...fired(7, 5),
  ]);
  expect(names(state).slice(4)).toEqual([
    'PollSweepTrials',
    'CreateSweepTrials',
    'RecordSweepStatus',
    'timer',
    'action4',
  ]);
  const actions = state.actions.flat();
  expect(actions[5].input).toMatchObject({ indexes: [2] });
  const carried = (actions[8].input as unknown as SweepOrchestrationInput).state as SweepRunState;
  expect(carried.nextIndex).toBe(3);
  expect(carried.trials.map((t) => [t.name, t.phase, t.offset])).toEqual([
    ['sw-t0', 'succeeded', 40],
    ['sw-t1', 'running', 20],
    ['sw-t2', 'queued', 0],
  ]);
});

test('when the last trial ends it records the best trial and completes succeeded', async () => {
  const first = await replay(sweepOrchestrator, input, [
    completed(0, polled([]), 1),
    completed(
      1,
      {
        gone: false,
        created: [
          { index: 0, name: 'sw-t0' },
          { index: 1, name: 'sw-t1' },
        ],
      },
      1,
    ),
    completed(2, true, 1),
    ...fired(3, 3),
    completed(
      4,
      polled([
        { name: 'sw-t0', state: 'succeeded', attempt: 1, offset: 40, points: [{ step: 1, value: 0.6 }] },
        { name: 'sw-t1', state: 'succeeded', attempt: 1, offset: 20, points: [{ step: 1, value: 0.9 }] },
      ]),
      3,
    ),
    completed(5, { gone: false, created: [{ index: 2, name: 'sw-t2' }] }, 3),
    completed(6, true, 3),
    ...fired(7, 5),
  ]);
  const carried = first.actions.flat()[8].input as unknown as SweepOrchestrationInput;
  const state = await replay(sweepOrchestrator, carried, [
    completed(
      0,
      polled([
        { name: 'sw-t2', state: 'failed', attempt: 1, offset: 0, points: [], error: 'JobFailed: exit 1' },
      ]),
      6,
    ),
    completed(1, true, 6),
  ]);
  expect(names(state)).toEqual(['PollSweepTrials', 'RecordSweepStatus']);
  expect(state.actions.flat()[1].input).toMatchObject({
    status: {
      executionState: 'succeeded',
      bestTrial: { name: 'sw-t1', parameters: { lr: 0.01 }, metric: 0.9 },
      trialCounts: { succeeded: 2, failed: 1, notStarted: 0 },
    },
  });
  expect(state.isDone).toBe(true);
  expect(state.output).toBe('succeeded');
});

test('a sweep whose record is gone ends without touching its trials', async () => {
  const state = await replay(sweepOrchestrator, input, [
    completed(0, { gone: true, cancelRequested: false, deleteRequested: false, trials: [] }, 1),
  ]);
  expect(names(state)).toEqual(['PollSweepTrials']);
  expect(state.output).toBe('gone');
});

test('a pending DELETE stops the active trials and, once they ended, removes the record', async () => {
  const running: SweepOrchestrationInput = {
    ...input,
    state: {
      nextIndex: 1,
      trials: [
        {
          index: 0,
          name: 'sw-t0',
          phase: 'running',
          attempt: 1,
          offset: 0,
          series: { reports: 0, improvements: [] },
        },
      ],
      lastEvaluationMs: Date.parse(at(0)),
      cancelling: false,
      deleting: false,
    },
  };
  const deleting = { gone: false, cancelRequested: true, deleteRequested: true };
  const state = await replay(sweepOrchestrator, running, [
    completed(
      0,
      { ...deleting, trials: [{ name: 'sw-t0', state: 'running', attempt: 1, offset: 0, points: [] }] },
      1,
    ),
    completed(1, 1, 1),
    completed(2, true, 1),
    ...fired(3, 3),
    completed(
      4,
      { ...deleting, trials: [{ name: 'sw-t0', state: 'failed', attempt: 1, offset: 0, points: [] }] },
      3,
    ),
    completed(5, true, 3),
  ]);
  expect(names(state)).toEqual([
    'PollSweepTrials',
    'TerminateSweepTrials',
    'RecordSweepStatus',
    'timer',
    'PollSweepTrials',
    'RecordSweepStatus',
  ]);
  const actions = state.actions.flat();
  expect(actions[1].input).toMatchObject({ names: ['sw-t0'] });
  expect(actions[5].input).toMatchObject({
    remove: true,
    status: { executionState: 'cancelled', trialCounts: { cancelled: 1 } },
  });
  expect(state.output).toBe('cancelled');
});

describe('a sweep that fails after repeated failed rounds', () => {
  /** TaskFailed for the task scheduled as number `id`. */
  const failedAt = (id: number, s: number): Event => ({
    EventType: 6,
    EventId: -1,
    IsPlayed: false,
    Timestamp: at(s),
    TaskScheduledId: id,
    Reason: 'Cosmos DB unavailable',
    Details: 'Cosmos DB unavailable',
  });
  /**
   * An activity that failed all 5 attempts from task number `first`: each failure is followed by the host's retry
   * timer (the last one ends the retries), so it takes the numbers `first` to `first + 9`.
   */
  const failedAllAttempts = (first: number, s: number): Event[] =>
    [0, 1, 2, 3, 4].flatMap((attempt) => [
      failedAt(first + 2 * attempt, s + 2 * attempt),
      ...fired(first + 2 * attempt + 1, s + 2 * attempt + 1),
    ]);
  const failedPoll = failedAllAttempts(0, 1);
  // Its fifth failed round in a row (four carried over), with one trial running and one ended still being read.
  const failing: SweepOrchestrationInput = {
    ...input,
    failedRounds: 4,
    state: {
      nextIndex: 2,
      trials: [
        {
          index: 0,
          name: 'sw-t0',
          phase: 'running',
          attempt: 1,
          offset: 0,
          series: { reports: 0, improvements: [] },
        },
        {
          index: 1,
          name: 'sw-t1',
          phase: 'running',
          ended: 'succeeded',
          attempt: 1,
          offset: 9,
          series: { reports: 1, lastStep: 0, last: 0.7, improvements: [[0, 0.7]] },
        },
      ],
      lastEvaluationMs: Date.parse(at(0)),
      cancelling: false,
      deleting: false,
    },
  };
  const replayAt = (version: string | undefined, events: Event[]) =>
    replayOrchestrator(sweepOrchestrator, 'Sweep', `sweep-${uuid}`, failing, events, version);
  const activities = (state: State) => state.actions.flat().filter((a) => a.functionName !== undefined);

  test('version 1.2 on, it terminates the trials that run before recording failed, the trials then ended', async () => {
    const state = await replayAt('1.2', [...failedPoll, completed(10, 1, 11), completed(11, true, 11)]);
    const [, terminate, record] = activities(state).filter(
      (a) => a.functionName !== 'PollSweepTrials' || a === activities(state)[0],
    );
    expect(
      activities(state)
        .map((a) => a.functionName)
        .slice(-2),
    ).toEqual(['TerminateSweepTrials', 'RecordSweepStatus']);
    expect(terminate.input).toMatchObject({ names: ['sw-t0'] });
    expect(record.input).toMatchObject({
      final: true,
      status: {
        executionState: 'failed',
        error: expect.stringContaining('after 5 failed rounds') as unknown,
        trialCounts: { running: 0, queued: 0, cancelled: 1, succeeded: 1 },
        bestTrial: { name: 'sw-t1', metric: 0.7 },
      },
    });
    expect(state.output).toBe('failed');
  });

  test('when the terminations fail too, the trials stay listed as running so a cancel or DELETE can stop them', async () => {
    const state = await replayAt('1.2', [
      ...failedPoll,
      ...failedAllAttempts(10, 11),
      completed(20, true, 21),
    ]);
    const record = activities(state).at(-1);
    expect(record?.functionName).toBe('RecordSweepStatus');
    expect(record?.input).toMatchObject({
      status: { executionState: 'failed', trialCounts: { running: 2 } },
    });
    expect(state.output).toBe('failed');
  });

  test('an instance from before 1.2 keeps its path: it records failed without terminating', async () => {
    const state = await replayAt(undefined, [...failedPoll, completed(10, true, 11)]);
    expect(
      activities(state)
        .map((a) => a.functionName)
        .slice(-2),
    ).toEqual(['PollSweepTrials', 'RecordSweepStatus']);
    expect(activities(state).at(-1)?.input).toMatchObject({
      status: { executionState: 'failed', trialCounts: { running: 2 } },
    });
    expect(state.output).toBe('failed');
  });
});

test('an instance from before 1.2 creates trials with the samples it computed; a 1.2 one with clamped samples; both give the round time', async () => {
  const firstRound = [completed(0, polled([]), 1)];
  const create = async (version?: string) =>
    (
      await replayOrchestrator(sweepOrchestrator, 'Sweep', `sweep-${uuid}`, input, firstRound, version)
    ).actions.flat()[1].input;
  expect(await create(undefined)).toMatchObject({ indexes: [0, 1], clampSamples: false });
  // The round's orchestration time: a job of a trial's name created well before it is never adopted.
  const requestedAt = '2030-01-01T00:00:00.000Z';
  expect(await create('1.2')).toEqual({ sweep, uuid, indexes: [0, 1], requestedAt });
});
