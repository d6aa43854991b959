// Unit tests of the dashboard's pure view-model logic for the extensions (no DOM): sweep rows and trial rows,
// sweep and trial states, the sweep routes, and the job's queueInfo and attempts.
import { parseRoute, routeHash, type DashboardRoute } from '../../dashboard/src/model/dashboardRoute';
import { attemptRows, queueInfoFields } from '../../dashboard/src/model/jobAttempts';
import { sweepStateView, trialStateView } from '../../dashboard/src/model/resourceStates';
import { canCancelSweep, metricText, sweepRow, trialRows } from '../../dashboard/src/model/sweepSummary';

const sweepId =
  '/subscriptions/s/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/ws/experiments/exp/sweeps/lrs';

test('a sweep row: state, progress over the trial counts, objective and best trial', () => {
  const row = sweepRow({
    id: sweepId,
    name: 'lrs',
    properties: {
      executionState: 'running',
      objective: { metric: 'accuracy', goal: 'maximize' },
      trialCounts: {
        notStarted: 2,
        queued: 1,
        running: 2,
        succeeded: 3,
        failed: 1,
        earlyTerminated: 1,
        cancelled: 0,
      },
      bestTrial: { name: 'lrs-t3', parameters: { lr: 0.01, opt: 'adam' }, metric: 0.912345678 },
    },
  });
  expect(row).toMatchObject({
    name: 'lrs',
    experiment: 'exp',
    executionState: 'running',
    objective: 'maximize accuracy',
    progress: '5 of 8 done, 2 running, 1 queued, 2 not started',
    total: 8,
    bestTrial: 'lrs-t3',
    bestMetric: '0.912346',
    bestParameters: 'lr=0.01, opt=adam',
  });
  expect(canCancelSweep(row)).toBe(true);
  expect(canCancelSweep({ ...row, cancelRequested: true })).toBe(false);
  expect(canCancelSweep({ ...row, executionState: 'succeeded' })).toBe(false);
});

test('the trial total counts the trials created, so cancelling a sweep does not shrink it', () => {
  const zero = { queued: 0, succeeded: 0, failed: 0, earlyTerminated: 0, cancelled: 0 };
  // maxTrials 3: two trials created and running, one still to come; the cancel stops both and drops the third.
  const running = sweepRow({
    properties: { executionState: 'running', trialCounts: { ...zero, notStarted: 1, running: 2 } },
  });
  const cancelled = sweepRow({
    properties: {
      executionState: 'cancelled',
      trialCounts: { ...zero, notStarted: 0, running: 0, cancelled: 2 },
    },
  });
  expect(running.total).toBe(2);
  expect(cancelled.total).toBe(2);
  expect(running.progress).toBe('0 of 2 done, 2 running, 1 not started');
  expect(cancelled.progress).toBe('2 of 2 done');
});

test('a sweep without status yet, and one that failed with an error', () => {
  expect(sweepRow({ id: sweepId })).toMatchObject({ name: 'lrs', progress: '0 of 0 done', bestTrial: '' });
  expect(
    sweepRow({ properties: { executionState: 'failed', error: { code: 'NoBestTrial', message: 'none' } } })
      .error,
  ).toBe('NoBestTrial: none');
});

test('trial rows keep the order of the sweep and show parameters, state, metric and reason', () => {
  const rows = trialRows({
    properties: {
      trials: [
        { name: 't0', parameters: { lr: 0.1 }, state: 'succeeded', metric: 0.5, step: 3 },
        { name: 't1', parameters: { lr: 0.01 }, state: 'earlyTerminated', metric: 0.1, reason: 'bandit' },
        { name: 't2', parameters: { lr: 0.001 }, state: 'notStarted' },
      ],
    },
  });
  expect(rows).toEqual([
    { name: 't0', state: 'succeeded', metric: '0.5', step: '3', parameters: 'lr=0.1', reason: '' },
    {
      name: 't1',
      state: 'earlyTerminated',
      metric: '0.1',
      step: '',
      parameters: 'lr=0.01',
      reason: 'bandit',
    },
    { name: 't2', state: 'notStarted', metric: '', step: '', parameters: 'lr=0.001', reason: '' },
  ]);
  expect(trialRows({ properties: { trials: 'nope' } })).toEqual([]);
  expect(metricText(Number.NaN)).toBe('');
});

test('sweep and trial states have labels and tones', () => {
  expect(sweepStateView('cancelled')).toEqual({ label: 'Cancelled', tone: 'warning' });
  expect(sweepStateView('running').tone).toBe('progress');
  expect(trialStateView('earlyTerminated')).toEqual({ label: 'Stopped early', tone: 'warning' });
  expect(trialStateView('notStarted').label).toBe('Not started');
  expect(trialStateView('succeeded').tone).toBe('success');
});

test('sweep routes round-trip through the URL hash', () => {
  const routes: DashboardRoute[] = [
    { view: 'sweeps', resourceGroup: 'rg', workspace: 'ws' },
    { view: 'sweeps', resourceGroup: 'rg', workspace: 'ws', experiment: 'e_x' },
    { view: 'sweep', resourceGroup: 'rg', workspace: 'ws', experiment: 'exp', sweep: 'lrs' },
  ];
  for (const route of routes) expect(parseRoute(routeHash(route))).toEqual(route);
  expect(routeHash(routes[2])).toBe('#/workspaces/rg/ws/experiments/exp/sweeps/lrs');
  // The job routes are unchanged.
  expect(parseRoute('#/workspaces/rg/ws/experiments/exp/jobs/j')).toMatchObject({ view: 'job', job: 'j' });
});

test('queueInfo fields and attempts of a job', () => {
  expect(
    queueInfoFields({
      position: 2,
      reason: 'InsufficientFreeNodes',
      message: 'm',
      nodesNeeded: 2,
      nodesFree: 1,
    }),
  ).toEqual([
    ['Queue position', '2'],
    ['Wait reason', 'InsufficientFreeNodes'],
    ['Explanation', 'm'],
    ['Nodes needed / free', '2 / 1'],
  ]);
  expect(queueInfoFields(undefined)).toEqual([]);
  expect(
    attemptRows([
      {
        attempt: 1,
        nodeIds: ['n1', 'n2'],
        startTime: 'a',
        endTime: 'b',
        exitCode: 137,
        outcome: 'preempted',
        reason: 'The node was evicted (Preempt).',
      },
      { attempt: 2, nodeIds: ['n3'], startTime: 'c' },
    ]),
  ).toEqual([
    {
      attempt: '1',
      nodes: 'n1, n2',
      startTime: 'a',
      endTime: 'b',
      exitCode: '137',
      outcome: 'preempted: The node was evicted (Preempt).',
    },
    { attempt: '2', nodes: 'n3', startTime: 'c', endTime: undefined, exitCode: '', outcome: 'running' },
  ]);
  expect(attemptRows(null)).toEqual([]);
});
