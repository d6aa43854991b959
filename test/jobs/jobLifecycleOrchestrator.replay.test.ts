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
  sequencedActions,
  type HistoryEvent,
  type ReplayState,
} from '../support/orchestratorReplay';
import { jobLifecycleOrchestrator } from '../../orchestrations/jobs/jobLifecycleOrchestrator';
import type {
  JobLifecycleInput,
  LaunchedTask,
  LaunchJobTasksResult,
} from '../../orchestrations/jobs/jobLifecycleContract';

type Event = HistoryEvent;
type State = ReplayState;
const replay = (
  handler: OrchestrationHandler,
  input: unknown,
  events: Event[],
  version?: string,
): Promise<State> =>
  replayOrchestrator(
    handler,
    'JobLifecycle',
    'job-0b1c2d3e-0000-4000-8000-000000000001',
    input,
    events,
    version,
  );

const flat = sequencedActions;

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

// Sequence numbers: 0 queued re-check timer, 1 launch (preparation), 2 launch (main),
// then per watch round a timer (and a CheckJobNodes when the round needs one).
const runningMain = (rounds = 100): Event[] => [
  raised('nodesGranted', { attempt: 1, nodeIds: ['node-1'] }),
  completed(1, noPreparation),
  completed(2, launchedMain(rounds)),
];

test('a granted job launches job preparation, then the main phase, on attempt 1', async () => {
  const state = await replay(jobLifecycleOrchestrator, input, [
    raised('nodesGranted', { attempt: 1, nodeIds: ['node-1'] }),
  ]);
  const actions = flat(state);
  expect(actions.map((a) => a.functionName ?? a.actionType)).toEqual([5, 'LaunchJobTasks']);
  expect(actions[1].input).toMatchObject({
    attempt: 1,
    phase: 'preparation',
    instanceId: expect.stringMatching(/^job-/),
  });
});

test('a phase the scheduler launched at the grant is watched without launching it again', async () => {
  const granted = raised('nodesGranted', {
    attempt: 1,
    nodeIds: ['node-1'],
    hasPreparation: false,
    launched: { phase: 'main', result: launchedMain() },
  });
  const watching = flat(await replay(jobLifecycleOrchestrator, input, [granted]));
  expect(watching.map((a) => a.functionName ?? a.actionType)).toEqual([5, 5]); // re-check timer, watch timer
  const state = await replay(jobLifecycleOrchestrator, input, [
    granted,
    raised(`task:${master.taskId}`, { kind: 'taskExited', exitCode: 0 }),
  ]);
  expect(flat(state).at(-1)).toMatchObject({
    functionName: 'CompleteJobAttempt',
    input: { attempt: 1, outcome: { kind: 'succeeded', exitCode: 0 } },
  });
});

test('a lifecycle started by its grant watches the launched phase at once: no wait for a grant, no re-check', async () => {
  const started: JobLifecycleInput = {
    ...input,
    granted: {
      attempt: 1,
      nodeIds: ['node-1'],
      hasPreparation: false,
      launched: { phase: 'main', result: launchedMain() },
    },
  };
  const watching = flat(await replay(jobLifecycleOrchestrator, started, []));
  expect(watching.map((a) => a.functionName ?? a.actionType)).toEqual([5]); // the watch round's timer only
  const state = await replay(jobLifecycleOrchestrator, started, [
    raised(`task:${master.taskId}`, { kind: 'taskExited', exitCode: 0 }),
  ]);
  expect(flat(state).at(-1)).toMatchObject({
    functionName: 'CompleteJobAttempt',
    input: { lifecycle: input, attempt: 1, outcome: { kind: 'succeeded', exitCode: 0 } },
  });
  // A grant whose launch failed: the lifecycle launches the phase itself (the grant said there is a preparation).
  const unlaunched = flat(
    await replay(jobLifecycleOrchestrator, { ...input, granted: { attempt: 2, nodeIds: ['node-1'] } }, []),
  );
  expect(unlaunched.map((a) => a.functionName ?? a.actionType)).toEqual(['LaunchJobTasks']);
  expect(unlaunched[0].input).toMatchObject({ attempt: 2, phase: 'preparation' });
});

test('a job still queued at its re-check asks the scheduler again, then continues as new', async () => {
  const state = await replay(jobLifecycleOrchestrator, input, [
    episode(30),
    fired(0, 30),
    completed(1, { state: 'queued', attempt: 0, nodeIds: [] }, 30), // ReadJobState
    completed(2, null, 30), // RequestJobScheduling
  ]);
  const actions = flat(state);
  expect(actions.map((a) => a.functionName ?? a.actionType)).toEqual([
    5,
    'ReadJobState',
    'RequestJobScheduling',
    4,
  ]);
  expect(state.isDone).toBe(true);
  expect(actions.at(-1)).toMatchObject({ actionType: 4, input });
  // The next re-check comes twice as late, up to 10 minutes.
  expect(actions.at(-1)!.input).toMatchObject({ queuedRecheckSeconds: 60 });
  const later = { ...input, queuedRecheckSeconds: 480 };
  const waiting = flat(await replay(jobLifecycleOrchestrator, later, []));
  expect(waiting[0].fireAt).toBe(at(480));
  const next = flat(
    await replay(jobLifecycleOrchestrator, later, [
      episode(480),
      fired(0, 480),
      completed(1, { state: 'queued', attempt: 0, nodeIds: [] }, 480),
      completed(2, null, 480),
    ]),
  ).at(-1)!;
  expect(next.input).toMatchObject({ queuedRecheckSeconds: 600 });
});

test('1.2: a grant arriving while a queued job is re-checked is taken; older instances lost it', async () => {
  const grant = raised(
    'nodesGranted',
    {
      attempt: 1,
      nodeIds: ['node-1'],
      hasPreparation: false,
      launched: { phase: 'main', result: launchedMain() },
    },
    30.1,
  );
  // The re-check timer fired; the grant comes while ReadJobState runs, which read the record before it.
  const duringRead = [
    episode(30),
    fired(0, 30),
    episode(30.1),
    grant,
    completed(1, { state: 'queued', attempt: 0, nodeIds: [] }, 30.2),
  ];
  const taken = flat(await replay(jobLifecycleOrchestrator, input, duringRead, '1.2'));
  expect(taken.map((a) => a.functionName ?? a.actionType)).toEqual([5, 'ReadJobState', 5]); // watching the main phase
  const lost = await replay(jobLifecycleOrchestrator, input, duringRead, '1.1');
  expect(flat(lost).map((a) => a.functionName ?? a.actionType)).toEqual([
    5,
    'ReadJobState',
    'RequestJobScheduling',
  ]);
  // While the scheduler is asked again.
  const duringAsk = [
    episode(30),
    fired(0, 30),
    completed(1, { state: 'queued', attempt: 0, nodeIds: [] }, 30),
    episode(30.1),
    grant,
    completed(2, null, 30.2),
  ];
  const takenLater = await replay(jobLifecycleOrchestrator, input, duringAsk, '1.2');
  expect(flat(takenLater).map((a) => a.functionName ?? a.actionType)).toEqual([
    5,
    'ReadJobState',
    'RequestJobScheduling',
    5,
  ]);
  expect(takenLater.isDone).toBe(false);
  const continued = await replay(jobLifecycleOrchestrator, input, duringAsk, '1.1');
  expect(flat(continued).at(-1)).toMatchObject({ actionType: 4 }); // continue as new: the grant lost
  // The exit of the main phase then completes the job.
  const exited = await replay(
    jobLifecycleOrchestrator,
    input,
    [...duringRead, raised(`task:${master.taskId}`, { kind: 'taskExited', exitCode: 0 }, 31)],
    '1.2',
  );
  expect(flat(exited).at(-1)).toMatchObject({ functionName: 'CompleteJobAttempt', input: { attempt: 1 } });
});

test('a job without job preparation launches its main phase at once; a clean exit completes it', async () => {
  const granted = raised('nodesGranted', { attempt: 1, nodeIds: ['node-1'], hasPreparation: false });
  const launching = flat(await replay(jobLifecycleOrchestrator, input, [granted]));
  expect(launching.at(-1)).toMatchObject({ functionName: 'LaunchJobTasks', input: { phase: 'main' } });
  const state = await replay(jobLifecycleOrchestrator, input, [
    granted,
    completed(1, launchedMain()),
    raised(`task:${master.taskId}`, { kind: 'taskExited', exitCode: 0 }),
  ]);
  expect(flat(state).at(-1)).toMatchObject({
    functionName: 'CompleteJobAttempt',
    input: { attempt: 1, outcome: { kind: 'succeeded', exitCode: 0 } },
  });
  const done = await replay(jobLifecycleOrchestrator, input, [
    granted,
    completed(1, launchedMain()),
    raised(`task:${master.taskId}`, { kind: 'taskExited', exitCode: 0 }),
    completed(3, { state: 'succeeded', attempt: 1, nodeIds: ['node-1'] }),
  ]);
  expect(done.isDone).toBe(true);
  expect(done.output).toBe('succeeded');
});

test('a main process exiting 3 on a healthy node completes the attempt as JobFailed with exit code 3', async () => {
  const state = await replay(jobLifecycleOrchestrator, input, [
    ...runningMain(),
    raised(`task:${master.taskId}`, { kind: 'taskStarted' }),
    raised(`task:${master.taskId}`, { kind: 'taskExited', exitCode: 3 }),
    completed(5, { lost: [] }),
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
    fired(3, 31),
    completed(4, { lost: [{ nodeId: 'node-1', reason: 'The node node-1 is gone.', requeue: true }] }, 31),
    completed(5, null, 31), // StopJobTasks SIGTERM; the lost node's task is not waited for
    completed(6, { state: 'queued', attempt: 1, nodeIds: ['node-1'] }, 31), // CompleteJobAttempt
  ]);
  const actions = flat(state);
  expect(actions[5]).toMatchObject({
    functionName: 'StopJobTasks',
    input: { signal: 'SIGTERM', tasks: [{ taskId: master.taskId, nodeId: 'node-1' }] },
  });
  expect(actions[6]).toMatchObject({
    functionName: 'CompleteJobAttempt',
    input: { outcome: { kind: 'preempted', reason: 'The node node-1 is gone.' } },
  });
  expect(state.isDone).toBe(true);
  // continueAsNew, back to the queue; the next execution reads the record first (a grant raised before this
  // episode went with this execution).
  expect(actions.at(-1)).toMatchObject({ actionType: 4, input: { ...input, readFirst: true } });
});

test('an exit or a terminate that arrives while a node check runs is taken, not missed', async () => {
  const checking = [...runningMain(), episode(31), fired(3, 31)];
  const exited = await replay(jobLifecycleOrchestrator, input, [
    ...checking,
    raised(`task:${master.taskId}`, { kind: 'taskExited', exitCode: 0 }, 31),
    completed(4, { lost: [] }, 31),
  ]);
  expect(flat(exited).at(-1)).toMatchObject({
    functionName: 'CompleteJobAttempt',
    input: { outcome: { kind: 'succeeded', exitCode: 0 } },
  });
  const terminated = await replay(jobLifecycleOrchestrator, input, [
    ...checking,
    raised('terminate', {}, 31),
    completed(4, { lost: [] }, 31),
  ]);
  expect(flat(terminated).at(-1)).toMatchObject({
    functionName: 'StopJobTasks',
    input: { signal: 'SIGTERM', reason: 'The job was terminated by the user.' },
  });
});

test('1.5: an exit that arrives while a node check finds its node lost is taken first; older instances requeued', async () => {
  // The node was evicted right after its task ended: the exit event comes while the check finds the node leaving.
  const leaving = {
    nodeId: 'node-1',
    reason: 'The node node-1 is leaving: Preempt scheduled.',
    requeue: true,
  };
  const history = [
    ...runningMain(),
    episode(31),
    fired(3, 31),
    raised(`task:${master.taskId}`, { kind: 'taskExited', exitCode: 0 }, 31),
    completed(4, { lost: [leaving] }, 31),
  ];
  expect(flat(await replay(jobLifecycleOrchestrator, input, history, '1.5')).at(-1)).toMatchObject({
    functionName: 'CompleteJobAttempt',
    input: { outcome: { kind: 'succeeded', exitCode: 0 } },
  });
  // 1.4 instances keep their path: the node taken for lost, the gang stopped to requeue the job.
  expect(flat(await replay(jobLifecycleOrchestrator, input, history, '1.4')).at(-1)).toMatchObject({
    functionName: 'StopJobTasks',
    input: { reason: 'A node of the job was lost; the job is requeued.' },
  });
});

test("1.5: a lost node whose tasks all ended cleanly does not end the attempt while another node's task runs", async () => {
  const worker: LaunchedTask = {
    ...master,
    taskId: `${input.jobUuid}-1-worker`,
    nodeId: 'node-2',
    isMaster: false,
  };
  const gang = [
    raised('nodesGranted', { attempt: 1, nodeIds: ['node-1', 'node-2'] }),
    completed(1, noPreparation),
    completed(2, { ...launchedMain(), tasks: [master, worker] }),
    episode(31),
    fired(3, 31),
    // The worker ended cleanly, then its node was evicted: both come while the check runs.
    raised(`task:${worker.taskId}`, { kind: 'taskExited', exitCode: 0 }, 31),
    completed(4, { lost: [{ nodeId: 'node-2', reason: 'The node node-2 is leaving.', requeue: true }] }, 31),
  ];
  const watching = flat(await replay(jobLifecycleOrchestrator, input, gang, '1.5'));
  expect(watching.at(-1)).toMatchObject({ actionType: 5 }); // the next round's timer: the master still works
  expect(flat(await replay(jobLifecycleOrchestrator, input, gang, '1.4')).at(-1)).toMatchObject({
    functionName: 'StopJobTasks',
  });
});

test("a node found gone whose task's clean exit arrives within the grace was released, not lost", async () => {
  const gone = { nodeId: 'node-1', reason: 'The node node-1 is gone.', requeue: true, gone: true };
  const checked = [...runningMain(), episode(31), fired(3, 31), completed(4, { lost: [gone] }, 31)];
  const waiting = flat(await replay(jobLifecycleOrchestrator, input, checked));
  expect(waiting.at(-1)).toMatchObject({ actionType: 5, fireAt: at(36) }); // the grace for its exit
  const state = await replay(jobLifecycleOrchestrator, input, [
    ...checked,
    raised(`task:${master.taskId}`, { kind: 'taskExited', exitCode: 0 }, 32),
  ]);
  expect(flat(state).at(-1)).toMatchObject({
    functionName: 'CompleteJobAttempt',
    input: { outcome: { kind: 'succeeded', exitCode: 0 } },
  });
  const silent = await replay(jobLifecycleOrchestrator, input, [...checked, episode(36), fired(5, 36)]);
  expect(flat(silent).at(-1)).toMatchObject({
    functionName: 'StopJobTasks',
    input: { signal: 'SIGTERM', tasks: [{ taskId: master.taskId }] },
  });
});

test('a node removed by a scale down with nodeDeallocationOption terminate fails the job instead of requeuing', async () => {
  const removed = { nodeId: 'node-1', reason: 'The node node-1 is leaving: scale down.', requeue: false };
  const state = await replay(jobLifecycleOrchestrator, input, [
    ...runningMain(),
    episode(31),
    fired(3, 31),
    completed(4, { lost: [removed] }, 31),
    completed(5, null, 31), // StopJobTasks SIGTERM
  ]);
  expect(flat(state).at(-1)).toMatchObject({
    functionName: 'CompleteJobAttempt',
    input: { outcome: { kind: 'failed', code: 'JobTerminatedByNodeRemoval', message: removed.reason } },
  });
});

test('the wall clock ends the attempt: tasks get SIGTERM and the outcome names the limit', async () => {
  const state = await replay(jobLifecycleOrchestrator, input, [
    raised('nodesGranted', { attempt: 1, nodeIds: ['node-1'] }),
    completed(1, { ...noPreparation, maxWallClockSeconds: 10 }),
    completed(2, { ...launchedMain(), maxWallClockSeconds: 10 }),
    episode(11),
    fired(3, 11),
    completed(4, null, 11), // StopJobTasks SIGTERM
    raised(`task:${master.taskId}`, { kind: 'taskExited', signal: 'SIGTERM' }, 12),
  ]);
  const actions = flat(state);
  expect(actions[3]).toMatchObject({ actionType: 5, fireAt: at(10) }); // the round's timer: the deadline
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

test('1.2: the watch continues as new after a round its timer won, never right after an event (which could drop the next)', async () => {
  const started = raised(`task:${master.taskId}`, { kind: 'taskStarted' });
  // Its one round was won by an event: it watches on, so an exit in the same batch is taken.
  const afterEvent = await replay(jobLifecycleOrchestrator, input, [...runningMain(1), started], '1.2');
  expect(afterEvent.isDone).toBe(false);
  expect(flat(afterEvent).at(-1)).toMatchObject({ actionType: 5 });
  const exited = await replay(
    jobLifecycleOrchestrator,
    input,
    [...runningMain(1), started, raised(`task:${master.taskId}`, { kind: 'taskExited', exitCode: 0 })],
    '1.2',
  );
  expect(flat(exited).at(-1)).toMatchObject({ functionName: 'CompleteJobAttempt', input: { attempt: 1 } });
  // A round its timer won (the node check found nothing) ends the episode.
  const quiet = await replay(
    jobLifecycleOrchestrator,
    input,
    [...runningMain(1), episode(30), fired(3, 30), completed(4, { lost: [] }, 30)],
    '1.2',
  );
  expect(flat(quiet).map((a) => a.functionName ?? a.actionType)).toEqual([
    5,
    'LaunchJobTasks',
    'LaunchJobTasks',
    5,
    'CheckJobNodes',
    4,
  ]);
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
    raised('nodesGranted', { attempt: 1, nodeIds: ['node-1'] }),
    completed(1, noPreparation),
    failed(2, 1),
    fired(3, 3),
    failed(4, 3),
    fired(5, 7),
    failed(6, 7),
    fired(7, 15),
    failed(8, 15),
    fired(9, 31),
    failed(10, 31),
    fired(11, 63), // after the last try's timer the library fails the task with the last error
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
  history.push(completed(12, null, 64));
  const grace = flat(await replay(jobLifecycleOrchestrator, input, history)).at(-1)!;
  expect(grace.fireAt).toBe(at(10));
  history.push(fired(13, 74));
  const kill = flat(await replay(jobLifecycleOrchestrator, input, history)).at(-1)!;
  expect(kill).toMatchObject({ functionName: 'StopJobTasks', input: { signal: 'SIGKILL' } });
  // ... and the job fails with the reason (CompleteJobAttempt then asks the scheduler to reuse its nodes).
  history.push(completed(14, null, 75));
  const state = await replay(jobLifecycleOrchestrator, input, history);
  const last = flat(state).at(-1)!;
  expect(last).toMatchObject({
    functionName: 'CompleteJobAttempt',
    input: { attempt: 1, outcome: { kind: 'failed', code: 'JobLifecycleError' } },
  });
  expect(JSON.stringify(last.input)).toContain('Cosmos DB unavailable');
});

test('a lifecycle started to take a job up reads its record at once; a running attempt has its phases launched again', async () => {
  const adopted: JobLifecycleInput = { ...input, adopt: true };
  const reading = flat(await replay(jobLifecycleOrchestrator, adopted, []));
  expect(reading.map((a) => a.functionName ?? a.actionType)).toEqual(['ReadJobState']); // no wait for a grant
  const state = await replay(jobLifecycleOrchestrator, adopted, [
    completed(0, { state: 'running', attempt: 2, nodeIds: ['node-1'] }),
  ]);
  const launch = flat(state).at(-1)!;
  // Launched again (a node agent keeps a running task and answers a finished one with its exit).
  expect(launch).toMatchObject({
    functionName: 'LaunchJobTasks',
    input: { attempt: 2, phase: 'preparation' },
  });
});

test('a lifecycle taking up a job being terminated stops the attempt without waiting for events, then records it terminated', async () => {
  const adopted: JobLifecycleInput = { ...input, adopt: true };
  const history: Event[] = [completed(0, { state: 'terminating', attempt: 1, nodeIds: ['node-1'] })];
  const stopping = flat(await replay(jobLifecycleOrchestrator, adopted, history)).at(-1)!;
  expect(stopping).toMatchObject({
    functionName: 'StopJobTasks',
    input: {
      signal: 'SIGTERM',
      tasks: [],
      reason: 'The job was terminated by the user.',
      attemptOf: { jobUuid: input.jobUuid, attempt: 1, nodeIds: ['node-1'] },
    },
  });
  history.push(completed(1, null, 1), fired(2, 11));
  const kill = flat(await replay(jobLifecycleOrchestrator, adopted, history)).at(-1)!;
  expect(kill).toMatchObject({ functionName: 'StopJobTasks', input: { signal: 'SIGKILL' } });
  history.push(completed(3, null, 12));
  const last = flat(await replay(jobLifecycleOrchestrator, adopted, history)).at(-1)!;
  expect(last).toMatchObject({
    functionName: 'CompleteJobAttempt',
    input: { attempt: 1, outcome: { kind: 'terminated' } },
  });
});

test('version 1.1: a task its node lost (agent stopped, launcher died) requeues at once; a 1.0 instance checks the nodes first', async () => {
  const lostExit = raised(
    `task:${master.taskId}`,
    { kind: 'taskExited', reason: 'nodeLost', message: 'The node agent stopped.', signal: 'SIGTERM' },
    2,
  );
  const current = flat(await replay(jobLifecycleOrchestrator, input, [...runningMain(), lostExit], '1.1')).at(
    -1,
  )!;
  expect(current).toMatchObject({
    functionName: 'CompleteJobAttempt',
    input: { attempt: 1, outcome: { kind: 'preempted', reason: 'The node agent stopped.' } },
  });
  // The same history recorded by a 1.0 instance replays as it was written: a node check comes first.
  const older = flat(await replay(jobLifecycleOrchestrator, input, [...runningMain(), lostExit])).at(-1)!;
  expect(older).toMatchObject({ functionName: 'CheckJobNodes' });
});

const nodeHost: LaunchedTask = {
  taskId: '0b1c2d3e-0000-4000-8000-000000000001-1-job_node-1',
  nodeId: 'node-2',
  name: 'job_node-1',
  isMaster: false,
  stdout: { container: 'job-files', name: 'x/stdout-job_node-1.txt' },
  stderr: { container: 'job-files', name: 'x/stderr-job_node-1.txt' },
  hostsNode: true,
};
const gangGranted = raised('nodesGranted', {
  attempt: 1,
  nodeIds: ['node-1', 'node-2'],
  hasPreparation: false,
});
const launchedWithHost: LaunchJobTasksResult = { ...noPreparation, tasks: [master, nodeHost] };

test("a node host is stopped once the job's processes ended, and how it ended is not the job's outcome", async () => {
  const masterDone = raised(`task:${master.taskId}`, { kind: 'taskExited', exitCode: 0, reason: 'exited' });
  const stopping = flat(
    await replay(jobLifecycleOrchestrator, input, [gangGranted, completed(1, launchedWithHost), masterDone]),
  );
  expect(stopping.at(-1)).toMatchObject({
    functionName: 'StopJobTasks',
    input: {
      signal: 'SIGTERM',
      reason: "The job's processes ended.",
      tasks: [{ taskId: nodeHost.taskId, nodeId: 'node-2' }],
    },
  });
  const done = flat(
    await replay(jobLifecycleOrchestrator, input, [
      gangGranted,
      completed(1, launchedWithHost),
      masterDone,
      completed(3, null),
      raised(`task:${nodeHost.taskId}`, { kind: 'taskExited', exitCode: 143, reason: 'killed' }),
    ]),
  );
  expect(done.at(-1)).toMatchObject({
    functionName: 'CompleteJobAttempt',
    input: { outcome: { kind: 'succeeded', exitCode: 0, nodesHandedBack: false } },
  });
});

test('a node host ending by itself while the job runs fails the attempt with its exit, not the stopped master', async () => {
  const state = flat(
    await replay(jobLifecycleOrchestrator, input, [
      gangGranted,
      completed(1, launchedWithHost),
      raised(`task:${nodeHost.taskId}`, { kind: 'taskExited', exitCode: 125, reason: 'exited' }),
      completed(3, { lost: [] }),
      completed(4, null), // StopJobTasks SIGTERM to the master
      raised(`task:${master.taskId}`, { kind: 'taskExited', signal: 'SIGTERM', reason: 'killed' }),
    ]),
  );
  expect(state[4]).toMatchObject({
    functionName: 'StopJobTasks',
    input: {
      signal: 'SIGTERM',
      reason: 'Another process of the job failed.',
      tasks: [{ taskId: master.taskId }],
    },
  });
  const complete = state.at(-1)!;
  expect(complete.functionName).toBe('CompleteJobAttempt');
  expect(complete.input).toMatchObject({
    outcome: { kind: 'failed', exitCode: 125, code: 'JobFailed', stderrOf: nodeHost.stderr },
  });
  expect(JSON.stringify(complete.input)).toContain("The process 'job_node-1' exited with code 125.");
});

describe('1.3: what continue-as-new loses is read back', () => {
  const watching = {
    attempt: 1,
    phase: 'main' as const,
    tasks: [master],
    exits: {},
    deadline: at(3600),
    maxWallClockSeconds: 3600,
    nodeCheckSeconds: 30,
    roundsPerEpisode: 100,
  };
  const resumed: JobLifecycleInput = { ...input, watching };
  const exit = { taskId: master.taskId, exitCode: 0, reason: 'exited', time: at(1) };

  test("a resumed watch first checks the nodes and the job's record; older instances wait at once", async () => {
    const first = flat(await replay(jobLifecycleOrchestrator, resumed, [], '1.3'));
    expect(first).toEqual([
      expect.objectContaining({
        functionName: 'CheckJobNodes',
        input: expect.objectContaining({
          tasks: [{ taskId: master.taskId, nodeId: 'node-1' }],
          lifecycle: input,
        }),
      }),
    ]);
    expect(flat(await replay(jobLifecycleOrchestrator, resumed, [], '1.2'))[0]).toMatchObject({
      actionType: 5,
    });
    // The exit its node's record holds (its event went with the previous execution) completes the attempt.
    const exited = await replay(
      jobLifecycleOrchestrator,
      resumed,
      [completed(0, { lost: [], exits: { [master.taskId]: exit } })],
      '1.3',
    );
    expect(flat(exited).at(-1)).toMatchObject({
      functionName: 'CompleteJobAttempt',
      input: { outcome: { kind: 'succeeded', exitCode: 0 } },
    });
    // A terminate whose event was lost: the record says so.
    const terminated = await replay(
      jobLifecycleOrchestrator,
      resumed,
      [completed(0, { lost: [], terminating: true })],
      '1.3',
    );
    expect(flat(terminated).at(-1)).toMatchObject({
      functionName: 'StopJobTasks',
      input: { signal: 'SIGTERM', reason: 'The job was terminated by the user.' },
    });
  });

  test('an exit found by the periodic node check is taken like its event', async () => {
    const state = await replay(jobLifecycleOrchestrator, input, [
      ...runningMain(),
      episode(31),
      fired(3, 31),
      completed(4, { lost: [], exits: { [master.taskId]: exit } }, 31),
    ]);
    expect(flat(state).at(-1)).toMatchObject({
      functionName: 'CompleteJobAttempt',
      input: { outcome: { kind: 'succeeded', exitCode: 0 } },
    });
  });

  test('the watch does not continue as new while an event that came during its node check waits', async () => {
    const state = await replay(
      jobLifecycleOrchestrator,
      input,
      [
        ...runningMain(1),
        episode(30),
        fired(3, 30),
        raised(`task:${master.taskId}`, { kind: 'taskExited', exitCode: 0 }, 30),
        completed(4, { lost: [] }, 30),
      ],
      '1.2',
    );
    expect(state.isDone).toBe(false);
    expect(flat(state).at(-1)).toMatchObject({ functionName: 'CompleteJobAttempt', input: { attempt: 1 } });
  });

  test("a queued job's re-check continues as new asking the next execution to read the record first", async () => {
    const rechecked = flat(
      await replay(jobLifecycleOrchestrator, input, [
        episode(30),
        fired(0, 30),
        completed(1, { state: 'queued', attempt: 0, nodeIds: [] }, 30),
        completed(2, null, 30),
      ]),
    );
    expect(rechecked.at(-1)).toMatchObject({
      actionType: 4,
      input: { readFirst: true, queuedRecheckSeconds: 60 },
    });
    const next: JobLifecycleInput = { ...input, queuedRecheckSeconds: 60, readFirst: true };
    expect(flat(await replay(jobLifecycleOrchestrator, next, [], '1.3'))[0]).toMatchObject({
      functionName: 'ReadJobState',
    });
    expect(flat(await replay(jobLifecycleOrchestrator, next, [], '1.2'))[0]).toMatchObject({ actionType: 5 });
    // Granted as the previous execution ended: taken up at once (its phases launched again).
    const running = flat(
      await replay(
        jobLifecycleOrchestrator,
        next,
        [completed(0, { state: 'running', attempt: 1, nodeIds: ['node-1'] })],
        '1.3',
      ),
    );
    expect(running.at(-1)).toMatchObject({ functionName: 'LaunchJobTasks', input: { attempt: 1 } });
    // Still queued: it waits for a grant until its next re-check.
    const queued = flat(
      await replay(
        jobLifecycleOrchestrator,
        next,
        [completed(0, { state: 'queued', attempt: 0, nodeIds: [] })],
        '1.3',
      ),
    );
    expect(queued.at(-1)).toMatchObject({ actionType: 5, fireAt: at(60) });
  });
});

test("from 1.6 a queued job's re-checks are spread by up to a quarter, fixed by its instance id; older instances keep theirs", async () => {
  const fireAt = async (id: string, seconds: number, version?: string): Promise<number> => {
    const state = await replayOrchestrator(
      jobLifecycleOrchestrator,
      'JobLifecycle',
      id,
      { ...input, queuedRecheckSeconds: seconds },
      [],
      version,
    );
    const timer = flat(state)[0];
    expect(timer.actionType).toBe(5);
    return (Date.parse(String(timer.fireAt)) - Date.parse(at(0))) / 1000;
  };
  const ids = Array.from({ length: 40 }, (_, i) => `job-${i}-0000-4000-8000-000000000001`);
  for (const seconds of [30, 240]) {
    const delays = await Promise.all(ids.map((id) => fireAt(id, seconds, '1.6')));
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(seconds);
      expect(delay).toBeLessThan(seconds * 1.25);
    }
    // Spread: 40 jobs queued together re-check at many instants over the quarter, not at one.
    expect(new Set(delays.map((d) => Math.floor(((d - seconds) / (seconds / 4)) * 16))).size).toBeGreaterThan(
      8,
    );
    // The same on every replay of an instance.
    expect(await fireAt(ids[0]!, seconds, '1.6')).toBe(delays[0]);
    expect(await fireAt(ids[0]!, seconds, '1.5')).toBe(seconds);
  }
});
