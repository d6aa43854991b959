// Replay tests of the cluster monitor (the real durable-functions wrapper over synthetic histories): a pass, then
// the next check or a change, then continue-as-new past the first pass; from version 1.2 a pass that failed all its
// retries is tried again 30 s later with the same input instead of failing the monitor (nothing else reconciles the
// cluster, and the scheduler's change events would reach no one).
import type { OrchestrationHandler } from 'durable-functions';
import {
  at,
  completed,
  episode,
  fired,
  replay as replayOrchestrator,
  sequencedActions,
} from '../support/orchestratorReplay';
import { clusterMonitor, failedPassRetryMs } from '../../orchestrations/compute/clusterMonitorOrchestrator';
import type { ReconcileInput, ReconcileResult } from '../../orchestrations/compute/clusterMonitorContract';

const input: ReconcileInput = {
  clusterKey: '/subscriptions/s/resourcegroups/rg/providers/microsoft.batchai/workspaces/ws/clusters/c',
  cluster: { subscriptionId: 's', resourceGroup: 'rg', workspace: 'ws', name: 'c' },
  firstPass: true,
} as ReconcileInput;
const replay = (events: Record<string, unknown>[], version?: string) =>
  replayOrchestrator(
    clusterMonitor as OrchestrationHandler,
    'ClusterMonitor',
    'clustermonitor-c',
    input,
    events,
    version,
  );

const failedAttempt = (id: number, s: number): Record<string, unknown> => ({
  EventType: 6,
  EventId: -1,
  IsPlayed: false,
  Timestamp: at(s),
  TaskScheduledId: id,
  Reason: 'TooManyRequests',
  Details: 'Resource Manager throttled the request',
});
/**
 * The reconcile pass failing all five attempts (task numbers 0, 2, 4, 6, 8), each followed by the library's retry
 * timer (1, 3, 5, 7, 9; the last one ends the retries), until 15 s.
 */
const failedForGood = (): Record<string, unknown>[] => {
  const events: Record<string, unknown>[] = [];
  for (let attempt = 0; attempt < 5; attempt++) {
    events.push(episode(attempt * 3 + 1), failedAttempt(attempt * 2, attempt * 3 + 1));
    events.push(episode(attempt * 3 + 3), fired(attempt * 2 + 1, attempt * 3 + 3));
  }
  return events;
};

test('a pass, the next check, then continue-as-new past the first pass with the pool definition it applied', async () => {
  const result: ReconcileResult = {
    released: false,
    nextCheckMs: 5_000,
    definitionHash: 'h1',
  } as ReconcileResult;
  const state = await replay([episode(1), completed(0, result, 1), episode(6), fired(1, 6)], '1.2');
  expect(sequencedActions(state).map((a) => a.functionName ?? a.actionType)).toEqual([
    'ReconcileCluster',
    5,
    4,
  ]);
  expect(sequencedActions(state).at(-1)).toMatchObject({
    input: { ...input, firstPass: false, definitionHash: 'h1' },
  });
});

test('1.2: a pass that failed all its retries is tried again 30 s later with the same input', async () => {
  const waiting = sequencedActions(await replay(failedForGood(), '1.2'));
  expect(waiting.at(-1)).toMatchObject({ actionType: 5, fireAt: at(15 + failedPassRetryMs / 1000) });
  const again = sequencedActions(await replay([...failedForGood(), episode(45), fired(10, 45)], '1.2'));
  expect(again.at(-1)).toMatchObject({ actionType: 4, input }); // still its first pass: the pool was never sized
  // An older instance fails with it, as before.
  await expect(replay(failedForGood())).rejects.toThrow(/"error":"TooManyRequests/);
});
