// Replay tests of the job lifecycle orchestrator: the real durable-functions wrapper runs it against synthetic
// histories (activity results, timers, raised events) and the tests assert the exact next action it asks for.
import type { OrchestrationHandler } from 'durable-functions';
import {
  at,
  completed,
  episode,
  fired,
  raised,
  replay as replayOrchestrator,
  type HistoryEvent,
  type ReplayAction,
  type ReplayState,
} from '../support/orchestratorReplay';
import { jobLifecycleOrchestrator } from '../../orchestrations/jobs/jobLifecycleOrchestrator';
import type {
  JobLifecycleInput,
  LaunchedTask,
  LaunchJobTasksResult,
} from '../../orchestrations/jobs/jobLifecycleContract';

type Event = HistoryEvent;
type Action = ReplayAction;
type State = ReplayState;
const replay = (handler: OrchestrationHandler, input: unknown, events: Event[]): Promise<State> =>
  replayOrchestrator(handler, 'JobLifecycle', 'job-0b1c2d3e-0000-4000-8000-000000000001', input, events);

/** The sequenced actions (activities, timers, continue-as-new) in order, compound ones flattened. */
function flat(state: State): Action[] {
  const out: Action[] = [];
  const visit = (action: Action & { compoundActions?: Action[] }): void => {
    if (action.compoundActions) action.compoundActions.forEach(visit);
    else if (action.actionType !== 6) out.push(action); // external-event waits take no sequence number
  };
  state.actions.flat().forEach(visit);
  return out;
}

const input: JobLifecycleInput = {
  job: { subscriptionId: 's', resourceGroup: 'rg', workspace: 'ws', experiment: 'exp', name: 'j' },
  jobUuid: '0b1c2d3e-0000-4000-8000-000000000001',
  clusterKey: '/subscriptions/s/resourcegroups/rg/providers/microsoft.batchai/workspaces/ws/clusters/c',
};
const master: LaunchedTask = {
  taskId: '0b1c2d3e-0000-4000-8000-000000000001-1-master',
  nodeId: 'node-1',
  name: 'master',
  isMaster: true,
  stdout: { container: 'job-files', name: 'x/stdout.txt' },
  stderr: { container: 'job-files', name: 'x/stderr.txt' },
};
const noPreparation: LaunchJobTasksResult = {
  tasks: [],
  maxWallClockSeconds: 3600,
  nodeCheckSeconds: 30,
  roundsPerEpisode: 100,
};
const launchedMain = (rounds = 100): LaunchJobTasksResult => ({
  ...noPreparation,
  tasks: [master],
  roundsPerEpisode: rounds,
});

// Sequence numbers: 0 RequestJobScheduling, 1 queued re-check timer, 2 launch (preparation), 3 launch (main),
// then per watch round a timer (and a CheckJobNodes when the round needs one).
const runningMain = (rounds = 100): Event[] => [
  completed(0, null),
  raised('nodesGranted', { attempt: 1, nodeIds: ['node-1'] }),
  completed(2, noPreparation),
  completed(3, launchedMain(rounds)),
];

test('a granted job launches job preparation, then the main phase, on attempt 1', async () => {
  const state = await replay(jobLifecycleOrchestrator, input, [
    completed(0, null),
    raised('nodesGranted', { attempt: 1, nodeIds: ['node-1'] }),
  ]);
  const actions = flat(state);
  expect(actions.map((a) => a.functionName ?? a.actionType)).toEqual([
    'RequestJobScheduling',
    5,
    'LaunchJobTasks',
  ]);
  expect(actions[2].input).toMatchObject({
    attempt: 1,
    phase: 'preparation',
    instanceId: expect.stringMatching(/^job-/),
  });
});

test('a job without job preparation launches its main phase at once; a clean exit completes it', async () => {
  const granted = raised('nodesGranted', { attempt: 1, nodeIds: ['node-1'], hasPreparation: false });
  const launching = flat(await replay(jobLifecycleOrchestrator, input, [completed(0, null), granted]));
  expect(launching.at(-1)).toMatchObject({ functionName: 'LaunchJobTasks', input: { phase: 'main' } });
  const state = await replay(jobLifecycleOrchestrator, input, [
    completed(0, null),
    granted,
    completed(2, launchedMain()),
    raised(`task:${master.taskId}`, { kind: 'taskExited', exitCode: 0 }),
  ]);
  expect(flat(state).at(-1)).toMatchObject({
    functionName: 'CompleteJobAttempt',
    input: { attempt: 1, outcome: { kind: 'succeeded', exitCode: 0 } },
  });
  const done = await replay(jobLifecycleOrchestrator, input, [
    completed(0, null),
    granted,
    completed(2, launchedMain()),
    raised(`task:${master.taskId}`, { kind: 'taskExited', exitCode: 0 }),
    completed(4, { state: 'succeeded', attempt: 1, nodeIds: ['node-1'] }),
  ]);
  expect(done.isDone).toBe(true);
  expect(done.output).toBe('succeeded');
});

test('a main process exiting 3 on a healthy node completes the attempt as JobFailed with exit code 3', async () => {
  const state = await replay(jobLifecycleOrchestrator, input, [
    ...runningMain(),
    raised(`task:${master.taskId}`, { kind: 'taskStarted' }),
    raised(`task:${master.taskId}`, { kind: 'taskExited', exitCode: 3 }),
    completed(6, { lost: [] }),
  ]);
  const last = flat(state).at(-1)!;
  expect(last.functionName).toBe('CompleteJobAttempt');
  expect(last.input).toMatchObject({
    attempt: 1,
    outcome: { kind: 'failed', exitCode: 3, code: 'JobFailed', stderrOf: master.stderr },
  });
});

test('a node found lost by the periodic check stops the gang and requeues by continuing as new', async () => {
  const state = await replay(jobLifecycleOrchestrator, input, [
    ...runningMain(),
    episode(31),
    fired(4, 31),
    completed(5, { lost: [{ nodeId: 'node-1', reason: 'The node node-1 is gone.', requeue: true }] }, 31),
    completed(6, null, 31), // StopJobTasks SIGTERM; the lost node's task is not waited for
    completed(7, { state: 'queued', attempt: 1, nodeIds: ['node-1'] }, 31), // CompleteJobAttempt
  ]);
  const actions = flat(state);
  expect(actions[6]).toMatchObject({
    functionName: 'StopJobTasks',
    input: { signal: 'SIGTERM', tasks: [{ taskId: master.taskId, nodeId: 'node-1' }] },
  });
  expect(actions[7]).toMatchObject({
    functionName: 'CompleteJobAttempt',
    input: { outcome: { kind: 'preempted', reason: 'The node node-1 is gone.' } },
  });
  expect(state.isDone).toBe(true);
  expect(actions.at(-1)).toMatchObject({ actionType: 4, input }); // continueAsNew, back to the queue
});

test('a node removed by a scale down with nodeDeallocationOption terminate fails the job instead of requeuing', async () => {
  const removed = { nodeId: 'node-1', reason: 'The node node-1 is leaving: scale down.', requeue: false };
  const state = await replay(jobLifecycleOrchestrator, input, [
    ...runningMain(),
    episode(31),
    fired(4, 31),
    completed(5, { lost: [removed] }, 31),
    completed(6, null, 31), // StopJobTasks SIGTERM
  ]);
  expect(flat(state).at(-1)).toMatchObject({
    functionName: 'CompleteJobAttempt',
    input: { outcome: { kind: 'failed', code: 'JobTerminatedByNodeRemoval', message: removed.reason } },
  });
});

test('the wall clock ends the attempt: tasks get SIGTERM and the outcome names the limit', async () => {
  const state = await replay(jobLifecycleOrchestrator, input, [
    completed(0, null),
    raised('nodesGranted', { attempt: 1, nodeIds: ['node-1'] }),
    completed(2, { ...noPreparation, maxWallClockSeconds: 10 }),
    completed(3, { ...launchedMain(), maxWallClockSeconds: 10 }),
    episode(11),
    fired(4, 11),
    completed(5, null, 11), // StopJobTasks SIGTERM
    raised(`task:${master.taskId}`, { kind: 'taskExited', signal: 'SIGTERM' }, 12),
  ]);
  const actions = flat(state);
  expect(actions[4]).toMatchObject({ actionType: 5, fireAt: at(10) }); // the round's timer: the deadline
  expect(actions.at(-1)).toMatchObject({
    functionName: 'CompleteJobAttempt',
    input: { outcome: { kind: 'wallClockExceeded', maxWallClockSeconds: 10 } },
  });
});

test('after its rounds per episode the watch continues as new with its tasks and deadline', async () => {
  const state = await replay(jobLifecycleOrchestrator, input, [
    ...runningMain(1),
    raised(`task:${master.taskId}`, { kind: 'taskStarted' }),
  ]);
  expect(state.isDone).toBe(true);
  expect(flat(state).at(-1)).toMatchObject({
    actionType: 4,
    input: {
      ...input,
      watching: { attempt: 1, phase: 'main', tasks: [master], exits: {}, deadline: at(3600) },
    },
  });
});

test("an activity failing all its retries stops the attempt's tasks, then fails the job with the reason", async () => {
  const failed = (id: number, s: number): Event => ({
    EventType: 6,
    EventId: -1,
    IsPlayed: false,
    Timestamp: at(s),
    TaskScheduledId: id,
    Reason: 'Cosmos DB unavailable',
    Details: '',
    FailureDetails: { ErrorType: 'Error', ErrorMessage: 'Cosmos DB unavailable' },
  });
  // Launch (main) is task 3; each of its 5 tries fails (3, 5, 7, 9, 11), each followed by a retry timer.
  const history = [
    completed(0, null),
    raised('nodesGranted', { attempt: 1, nodeIds: ['node-1'] }),
    completed(2, noPreparation),
    failed(3, 1),
    fired(4, 3),
    failed(5, 3),
    fired(6, 7),
    failed(7, 7),
    fired(8, 15),
    failed(9, 15),
    fired(10, 31),
    failed(11, 31),
    fired(12, 63), // after the last try's timer the library fails the task with the last error
  ];
  // First the attempt's tasks are stopped: SIGTERM to whatever its granted node runs for it...
  const stopping = flat(await replay(jobLifecycleOrchestrator, input, history)).at(-1)!;
  expect(stopping).toMatchObject({
    functionName: 'StopJobTasks',
    input: {
      signal: 'SIGTERM',
      tasks: [],
      attemptOf: { jobUuid: input.jobUuid, attempt: 1, nodeIds: ['node-1'] },
    },
  });
  // ... then SIGKILL after the grace period ...
  // (The orchestrator's clock is the last episode start, at(0), in this synthetic history.)
  history.push(completed(13, null, 64));
  const grace = flat(await replay(jobLifecycleOrchestrator, input, history)).at(-1)!;
  expect(grace.fireAt).toBe(at(10));
  history.push(fired(14, 74));
  const kill = flat(await replay(jobLifecycleOrchestrator, input, history)).at(-1)!;
  expect(kill).toMatchObject({ functionName: 'StopJobTasks', input: { signal: 'SIGKILL' } });
  // ... and the job fails with the reason (CompleteJobAttempt then asks the scheduler to reuse its nodes).
  history.push(completed(15, null, 75));
  const state = await replay(jobLifecycleOrchestrator, input, history);
  const last = flat(state).at(-1)!;
  expect(last).toMatchObject({
    functionName: 'CompleteJobAttempt',
    input: { attempt: 1, outcome: { kind: 'failed', code: 'JobLifecycleError' } },
  });
  expect(JSON.stringify(last.input)).toContain('Cosmos DB unavailable');
});
