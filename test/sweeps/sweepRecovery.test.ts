// A sweep's orchestration started again (its instance failed, was terminated or purged; or a failed sweep that left
// trials running is cancelled or deleted): the runner rebuilds the run state from the record and the trial jobs
// that exist, and the orchestration started from it stops the trials that run and keeps the ones that ended.
import type { DurableClient, OrchestrationHandler } from 'durable-functions';
import { DurableSweepRunner } from '../../functions/sweeps/durableSweepRunner';
import type { SweepOrchestrationInput } from '../../orchestrations/sweeps/sweepContract';
import { sweepOrchestrator } from '../../orchestrations/sweeps/sweepOrchestrator';
import type { Stored } from '../../shared/domain/resourceRecord';
import type { ResourceRef } from '../../shared/domain/resourceId';
import type { ResourceStore } from '../../shared/ports/resourceStore';
import type { SweepRunState, SweepStatus } from '../../shared/domain/sweeps/sweepProgress';
import { recoveredRunState } from '../../shared/domain/sweeps/sweepRecovery';
import type { SweepRecord } from '../../shared/domain/sweeps/sweepStore';
import { completed, episode, fired, replay } from '../support/orchestratorReplay';
import { testSweepDefinition } from './support/sweepDefinition';

const definition = testSweepDefinition([0.1, 0.01, 0.001], {
  sampling: 'random',
  maxTrials: 50,
  maxConcurrentTrials: 4,
});
const address = { subscriptionId: 's', resourceGroup: 'rg', workspace: 'ws', experiment: 'exp', name: 'sw' };
const uuid = '0b1c2d3e-0000-4000-8000-000000000002';
const sweepCreated = '2030-01-01T00:00:00.000Z';
const now = new Date('2030-01-01T01:00:00.000Z');

const counts = {
  notStarted: 46,
  queued: 0,
  running: 2,
  succeeded: 1,
  failed: 0,
  earlyTerminated: 1,
  cancelled: 0,
};
/** The record as the failed instance last wrote it: t4 was created after that write. */
function record(status: Partial<SweepStatus> = {}, flags: Partial<SweepRecord> = {}): SweepRecord {
  return {
    address,
    armId: '/subscriptions/s/.../sweeps/sw',
    uuid,
    definition,
    encryptedSecrets: {},
    creationTime: sweepCreated,
    executionStateTransitionTime: sweepCreated,
    status: {
      executionState: 'running',
      trialCounts: counts,
      trials: [
        { name: 'sw-t0', parameters: { lr: 0.1 }, state: 'succeeded', metric: 0.8, step: 3 },
        { name: 'sw-t1', parameters: { lr: 0.1 }, state: 'earlyTerminated', reason: 'Bandit: 0.1 < 0.72' },
        { name: 'sw-t2', parameters: { lr: 0.01 }, state: 'running', metric: 0.5, step: 1 },
        { name: 'sw-t3', parameters: { lr: 0.01 }, state: 'running', reason: 'Bandit: 0.2 < 0.72' },
      ],
      ...status,
    },
    ...flags,
  };
}

/**
 * A job store holding trial jobs by name with their creation time, or their creation time and what created them
 * (JobRuntime.createdBy).
 */
function jobStore(jobs: Record<string, string | [string, string]>): ResourceStore & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    get: (ref: ResourceRef) => {
      reads.push(ref.name);
      const job = ref.kind === 'job' ? jobs[ref.name] : undefined;
      const [created, createdBy] = typeof job === 'string' ? [job, undefined] : (job ?? []);
      return Promise.resolve(
        created === undefined
          ? undefined
          : ({
              record: { status: { creationTime: created }, ...(createdBy ? { job: { createdBy } } : {}) },
            } as unknown as Stored),
      );
    },
  } as unknown as ResourceStore & { reads: string[] };
}

const trialJobs: Record<string, string | [string, string]> = {
  'sw-t0': '2030-01-01T00:00:01.000Z',
  'sw-t1': '2030-01-01T00:00:01.000Z',
  'sw-t2': '2030-01-01T00:00:02.000Z',
  'sw-t3': '2030-01-01T00:00:02.000Z',
  'sw-t4': '2030-01-01T00:30:00.000Z', // created, not recorded yet when the instance failed
  'sw-t6': '2029-12-31T00:00:00.000Z', // left by a deleted sweep of the same name: not adopted
};

/** A Durable client whose instance has `runtimeStatus` (undefined: 404), recording what it starts. */
function durableClient(runtimeStatus: string | undefined) {
  const started: { name: string; instanceId: string; input: SweepOrchestrationInput }[] = [];
  const client = {
    getStatus: () =>
      runtimeStatus === undefined
        ? Promise.reject(new Error('Request failed with status code 404'))
        : Promise.resolve({ runtimeStatus }),
    startNew: (name: string, options: { instanceId: string; input: SweepOrchestrationInput }) => {
      started.push({ name, ...options });
      return Promise.resolve(options.instanceId);
    },
  };
  return { client: client as unknown as DurableClient, started };
}

async function ensureStarted(runtimeStatus: string | undefined, sweep: SweepRecord, jobs = trialJobs) {
  const { client, started } = durableClient(runtimeStatus);
  const runner = new DurableSweepRunner(
    client,
    { pollSeconds: 2, roundsPerEpisode: 10 },
    {
      store: jobStore(jobs),
      now: () => now,
    },
  );
  await runner.ensureStarted(sweep);
  return started;
}

const summary = (state: SweepRunState) =>
  state.trials.map((t) => [t.name, t.phase, t.stop ?? null, t.series.last ?? null, t.offset]);

test('a sweep whose instance failed is started again from its trials and the jobs created since, not from index 0', async () => {
  const started = await ensureStarted('Failed', record());
  expect(started.map((s) => [s.name, s.instanceId])).toEqual([['Sweep', `sweep-${uuid}`]]);
  const state = started[0].input.state as SweepRunState;
  expect(state.nextIndex).toBe(5);
  expect(summary(state)).toEqual([
    ['sw-t0', 'succeeded', null, 0.8, 0],
    ['sw-t1', 'earlyTerminated', 'early', null, 0],
    ['sw-t2', 'running', null, null, 0], // its stdout is read again from the start
    ['sw-t3', 'running', 'early', null, 0], // stopped early, still terminating: counted as stopped early
    ['sw-t4', 'queued', null, null, 0],
  ]);
  expect(state.cancelling).toBe(false);
  expect(state.lastEvaluationMs).toBe(now.getTime());
});

test("trial jobs marked with this sweep are adopted, another sweep's never, however recent", async () => {
  const other = 'sweep:0b1c2d3e-0000-4000-8000-0000000000ff';
  const marked = {
    ...trialJobs,
    'sw-t4': ['2030-01-01T00:30:00.000Z', `sweep:${uuid}`] as [string, string],
    'sw-t5': ['2030-01-01T00:31:00.000Z', other] as [string, string],
  };
  const [{ input }] = await ensureStarted('Failed', record(), marked);
  const state = input.state as SweepRunState;
  expect(state.trials.map((t) => t.name)).toEqual(['sw-t0', 'sw-t1', 'sw-t2', 'sw-t3', 'sw-t4']);
  expect(state.nextIndex).toBe(5);
});

test('the restarted orchestration applies a pending cancel: it stops the trials that run and records them all', async () => {
  const [{ input }] = await ensureStarted('Terminated', record({}, { cancelRequested: true }));
  const cancelled = { gone: false, cancelRequested: true, deleteRequested: false };
  const observed = (state: string) =>
    ['sw-t2', 'sw-t3', 'sw-t4'].map((name) => ({ name, state, attempt: 1, offset: 0, points: [] }));
  const result = await replay(
    sweepOrchestrator as OrchestrationHandler,
    'Sweep',
    `sweep-${uuid}`,
    input,
    [
      completed(0, { ...cancelled, trials: observed('running') }, 1),
      completed(1, 2, 1),
      completed(2, true, 1),
      episode(3),
      fired(3, 3),
      completed(4, { ...cancelled, trials: observed('failed') }, 3),
      completed(5, true, 3),
    ],
    '1.2',
  );
  const actions = result.actions.flat();
  expect(actions.map((a) => a.functionName ?? a.actionType)).toEqual([
    'PollSweepTrials',
    'TerminateSweepTrials',
    'RecordSweepStatus',
    5,
    'PollSweepTrials',
    'RecordSweepStatus',
  ]);
  expect((actions[0].input as { trials: { name: string }[] }).trials.map((t) => t.name)).toEqual([
    'sw-t2',
    'sw-t3',
    'sw-t4',
  ]);
  expect(actions[1].input).toMatchObject({ names: ['sw-t2', 'sw-t4'] });
  expect(actions[5].input).toMatchObject({
    final: true,
    status: {
      executionState: 'cancelled',
      trialCounts: { notStarted: 0, succeeded: 1, earlyTerminated: 2, cancelled: 2, failed: 0 },
      bestTrial: { name: 'sw-t0', metric: 0.8 },
    },
  });
  expect(result.output).toBe('cancelled');
});

test('a failed sweep that left trials running is started again on cancel or DELETE only, to stop them', async () => {
  const failed = record({ executionState: 'failed', error: 'The sweep stopped after 5 failed rounds: down' });
  expect(await ensureStarted('Completed', failed)).toEqual([]);
  for (const flags of [{ cancelRequested: true }, { cancelRequested: true, deleteRequested: true }]) {
    const started = await ensureStarted('Completed', { ...failed, ...flags });
    const state = started[0].input.state as SweepRunState;
    // It only stops what runs: no trial is created, and it stays failed with its error.
    expect(state).toMatchObject({
      cancelling: true,
      failure: 'The sweep stopped after 5 failed rounds: down',
    });
  }
  const ended = record({
    executionState: 'failed',
    error: 'The sweep stopped after 5 failed rounds: down',
    trials: [{ name: 'sw-t0', parameters: { lr: 0.1 }, state: 'cancelled', reason: 'The sweep failed.' }],
  });
  expect(await ensureStarted('Completed', { ...ended, cancelRequested: true })).toEqual([]);
});

test('a running instance is left alone; a completed sweep is not started again, even when its history is gone', async () => {
  expect(await ensureStarted('Running', record())).toEqual([]);
  expect(await ensureStarted('Completed', record())).toEqual([]);
  expect(await ensureStarted(undefined, record({ executionState: 'succeeded' }))).toEqual([]);
  const fresh = record({ trials: [], trialCounts: { ...counts, notStarted: 50, running: 0, succeeded: 0 } });
  const [start] = await ensureStarted(undefined, fresh, { 'sw-t0': '2029-12-31T00:00:00.000Z' });
  expect(start.input.state).toMatchObject({ nextIndex: 0, trials: [] });
});

test('unrecorded trial jobs are looked up a batch at a time from the next index, until a batch finds none', async () => {
  const store = jobStore(trialJobs);
  const { client } = durableClient('Failed');
  await new DurableSweepRunner(
    client,
    { pollSeconds: 2, roundsPerEpisode: 10 },
    { store, now: () => now },
  ).ensureStarted(record());
  // t4..t23 (t4 found), then t24..t43 (none): 40 reads, never the recorded trials.
  expect(store.reads).toHaveLength(40);
  expect(store.reads[0]).toBe('sw-t4');
  expect(store.reads).not.toContain('sw-t3');
});

test('the rebuilt state keeps stop reasons: a trial stopped by a cancel stays cancelled', () => {
  const state = recoveredRunState(
    record({
      trials: [
        { name: 'sw-t0', parameters: { lr: 0.1 }, state: 'running', reason: 'The sweep was cancelled.' },
      ],
    }),
    [],
    0,
  );
  expect(state.trials[0]).toMatchObject({ phase: 'running', stop: 'cancel' });
});
