import { attemptOutcome, nodeLossOf, nodesHandedBack, taskFailed } from './attemptOutcome';
import type { LaunchedTask, TaskExit } from './jobLifecycleContract';

function task(name: string, isMaster: boolean): LaunchedTask {
  return {
    taskId: `job-1-${name}`,
    nodeId: `node-${name}`,
    name,
    isMaster,
    stdout: { container: 'job-files', name: `x/stdout-${name}.txt` },
    stderr: { container: 'job-files', name: `x/stderr-${name}.txt` },
  };
}

const master = task('rank-0', true);
const worker = task('rank-1', false);

function exits(...list: TaskExit[]): Record<string, TaskExit> {
  return Object.fromEntries(list.map((exit) => [exit.taskId, exit]));
}

test('every task exiting 0 succeeds with the master exit code', () => {
  expect(
    attemptOutcome(
      [master, worker],
      exits({ taskId: master.taskId, exitCode: 0 }, { taskId: worker.taskId, exitCode: 0 }),
    ),
  ).toEqual({ kind: 'succeeded', exitCode: 0 });
});

test('the outcome ends when the last process ended, when every exit says when', () => {
  const timed = attemptOutcome(
    [master, worker],
    exits(
      { taskId: master.taskId, exitCode: 0, time: '2026-01-01T00:00:02.000Z' },
      { taskId: worker.taskId, exitCode: 0, time: '2026-01-01T00:00:05.000Z' },
    ),
  );
  expect(timed).toEqual({ kind: 'succeeded', exitCode: 0, endTime: '2026-01-01T00:00:05.000Z' });
  const untimed = attemptOutcome(
    [master, worker],
    exits(
      { taskId: master.taskId, exitCode: 2, time: '2026-01-01T00:00:02.000Z' },
      { taskId: worker.taskId, exitCode: 0 },
    ),
  );
  expect(untimed).toMatchObject({ kind: 'failed', exitCode: 2 });
  expect(untimed.kind === 'failed' && untimed.endTime).toBeUndefined();
});

test('a failing master gives its exit code and stderr even when a worker failed too', () => {
  const outcome = attemptOutcome(
    [master, worker],
    exits({ taskId: worker.taskId, exitCode: 1 }, { taskId: master.taskId, exitCode: 3 }),
  );
  expect(outcome).toMatchObject({ kind: 'failed', exitCode: 3, code: 'JobFailed', stderrOf: master.stderr });
  expect(outcome.kind === 'failed' && outcome.message).toContain("'rank-0' exited with code 3");
});

test('a worker ended by a signal fails the attempt without an exit code', () => {
  const outcome = attemptOutcome([master, worker], exits({ taskId: worker.taskId, signal: 'SIGKILL' }));
  expect(outcome).toMatchObject({ kind: 'failed', exitCode: undefined, stderrOf: worker.stderr });
  expect(outcome.kind === 'failed' && outcome.message).toContain('ended by SIGKILL');
});

test('a task that never started fails with the agent reason and the given code', () => {
  const outcome = attemptOutcome(
    [master],
    exits({ taskId: master.taskId, reason: 'failedToStart', message: 'The task could not start: disk full' }),
    'JobPreparationFailed',
  );
  expect(outcome).toMatchObject({ kind: 'failed', code: 'JobPreparationFailed' });
  expect(outcome.kind === 'failed' && outcome.message).toContain('disk full');
});

test('the node loss of an exit comes from its machine-readable reason, not its text', () => {
  expect(nodeLossOf({ taskId: 't', signal: 'SIGTERM', reason: 'evicted' })).toMatchObject({ requeue: true });
  // The word 'evicted' in a message of a plain kill means nothing.
  expect(
    nodeLossOf({ taskId: 't', signal: 'SIGTERM', reason: 'killed', message: 'evicted' }),
  ).toBeUndefined();
  expect(nodeLossOf({ taskId: 't', signal: 'SIGTERM', reason: 'killed', nodeRemoval: 'terminate' })).toEqual({
    requeue: false,
    reason: 'The node was removed from the cluster (terminate).',
  });
  expect(
    nodeLossOf({ taskId: 't', signal: 'SIGTERM', reason: 'killed', nodeRemoval: 'requeue' }),
  ).toMatchObject({
    requeue: true,
  });
  expect(nodeLossOf({ taskId: 't', exitCode: 1, reason: 'exited' })).toBeUndefined();
  // A task its node lost (the agent stopped, or its launcher died): the node's failure, not the program's.
  const lost = {
    taskId: 't',
    signal: 'SIGTERM',
    reason: 'nodeLost' as const,
    message: 'The node agent stopped.',
  };
  expect(nodeLossOf(lost)).toEqual({ requeue: true, reason: 'The node agent stopped.' });
  expect(nodeLossOf(lost, false)).toBeUndefined(); // orchestration version 1.0
});

test('only exit code 0 counts as success', () => {
  expect(taskFailed({ taskId: 't', exitCode: 0 })).toBe(false);
  expect(taskFailed({ taskId: 't', exitCode: 143 })).toBe(true);
  expect(taskFailed({ taskId: 't' })).toBe(true);
});

test('the nodes count as handed back only when each had its last task exit by itself', () => {
  const last = (t: LaunchedTask): LaunchedTask => ({ ...t, releasesNode: true });
  const both = [last(master), last(worker)];
  const exited = exits(
    { taskId: master.taskId, exitCode: 0, reason: 'exited' },
    { taskId: worker.taskId, exitCode: 4, reason: 'exited' },
  );
  expect(nodesHandedBack([master.nodeId, worker.nodeId], both, exited)).toBe(true);
  // A worker node without a task of its own (custom MPI): the scheduler hears of it at the attempt's end.
  expect(nodesHandedBack([master.nodeId, worker.nodeId, 'node-mpi'], both, exited)).toBe(false);
  // A node that runs two processes: none of them is its last task alone.
  expect(nodesHandedBack([master.nodeId, worker.nodeId], [last(master), worker], exited)).toBe(false);
  const killed = exits(
    { taskId: master.taskId, exitCode: 0, reason: 'exited' },
    { taskId: worker.taskId, signal: 'SIGTERM', reason: 'killed' },
  );
  expect(nodesHandedBack([master.nodeId, worker.nodeId], both, killed)).toBe(false);
  expect(nodesHandedBack([], both, exited)).toBe(false);
});

test('a master stopped because a worker failed is not the cause: the worker is', () => {
  const outcome = attemptOutcome(
    [master, worker],
    exits(
      { taskId: worker.taskId, exitCode: 2, reason: 'exited' },
      { taskId: master.taskId, exitCode: 143, reason: 'killed' },
    ),
  );
  expect(outcome).toMatchObject({ kind: 'failed', exitCode: 2, stderrOf: worker.stderr });
});
