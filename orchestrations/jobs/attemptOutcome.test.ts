import { attemptOutcome, nodeLossOf, taskFailed } from './attemptOutcome';
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
});

test('only exit code 0 counts as success', () => {
  expect(taskFailed({ taskId: 't', exitCode: 0 })).toBe(false);
  expect(taskFailed({ taskId: 't', exitCode: 143 })).toBe(true);
  expect(taskFailed({ taskId: 't' })).toBe(true);
});
