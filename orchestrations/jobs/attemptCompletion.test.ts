import { transitionJob } from '../../shared/domain/jobExecutionState';
import type { ResourceRecord } from '../../shared/domain/resourceRecord';
import { completedRecord } from './attemptCompletion';
import type { AttemptOutcome, CompleteJobAttemptInput } from './jobLifecycleContract';

const uuid = '0b1c2d3e-0000-4000-8000-000000000001';
const t0 = new Date('2026-01-01T00:00:00Z');
const at = new Date('2026-01-01T01:00:00Z');

function queuedJob(): ResourceRecord {
  return {
    kind: 'job',
    ref: {
      kind: 'job',
      subscriptionId: 's',
      resourceGroup: 'rg',
      workspace: 'ws',
      experiment: 'exp',
      name: 'j',
    },
    armId:
      '/subscriptions/s/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/ws/experiments/exp/jobs/j',
    location: 'eastus',
    spec: {},
    status: { executionState: 'queued' },
    encryptedSecrets: {},
    job: {
      uuid,
      clusterId: 'c',
      clusterKey: 'c',
      priority: 'normal',
      nodeCount: 1,
      executionState: 'queued',
      attempts: [],
    },
  };
}

function running(attempts: number): ResourceRecord {
  let record = queuedJob();
  for (let n = 1; n <= attempts; n++) {
    record = transitionJob(record, 'running', { at: t0, nodeIds: [`node-${n}`] });
    if (n < attempts) record = transitionJob(record, 'queued', { at: t0, outcome: 'preempted' });
  }
  return record;
}

function input(attempt: number, outcome: AttemptOutcome, jobUuid = uuid): CompleteJobAttemptInput {
  const job = { subscriptionId: 's', resourceGroup: 'rg', workspace: 'ws', experiment: 'exp', name: 'j' };
  return { lifecycle: { job, jobUuid, clusterKey: 'c' }, attempt, outcome };
}

test('a success records the exit code, the end time and the attempts view', () => {
  const next = completedRecord(running(1), input(1, { kind: 'succeeded', exitCode: 0 }), {
    at,
    maxAttempts: 3,
  })!;
  expect(next.job!.executionState).toBe('succeeded');
  expect(next.status.executionInfo).toMatchObject({ exitCode: 0, endTime: at.toISOString() });
  expect(next.status.attempts).toEqual([
    expect.objectContaining({ attempt: 1, nodeIds: ['node-1'], outcome: 'succeeded', exitCode: 0 }),
  ]);
});

test('the end time is when the last process exited (node clock), kept between the start and now', () => {
  const ended = (endTime: string): string =>
    String(
      completedRecord(running(1), input(1, { kind: 'succeeded', exitCode: 0, endTime }), {
        at,
        maxAttempts: 3,
      })!.status.executionInfo!['endTime' as never],
    );
  expect(ended('2026-01-01T00:30:00.000Z')).toBe('2026-01-01T00:30:00.000Z');
  expect(ended('2025-12-31T23:00:00.000Z')).toBe(t0.toISOString()); // a node clock behind the start
  expect(ended('2026-01-01T02:00:00.000Z')).toBe(at.toISOString()); // a node clock ahead of now
});

test('a failure carries the exit code and the stderr tail in executionInfo.errors', () => {
  const outcome: AttemptOutcome = { kind: 'failed', exitCode: 3, code: 'JobFailed', message: 'Job failed' };
  const next = completedRecord(running(1), input(1, outcome), { at, maxAttempts: 3, stderrTail: 'boom\n' })!;
  expect(next.status.executionInfo).toMatchObject({
    exitCode: 3,
    errors: [
      {
        code: 'JobFailed',
        details: [
          { name: 'exitCode', value: '3' },
          { name: 'stderr', value: 'boom\n' },
        ],
      },
    ],
  });
});

test('a preemption requeues while attempts remain, and fails as JobPreempted at the cap', () => {
  const preempted: AttemptOutcome = { kind: 'preempted', reason: 'The node n is leaving.' };
  const requeued = completedRecord(running(1), input(1, preempted), { at, maxAttempts: 2 })!;
  expect(requeued.job!.executionState).toBe('queued');
  expect(requeued.job!.attempts[0]).toMatchObject({
    outcome: 'preempted',
    reason: 'The node n is leaving.',
    endTime: at.toISOString(),
  });
  const capped = completedRecord(running(2), input(2, preempted), { at, maxAttempts: 2 })!;
  expect(capped.job!.executionState).toBe('failed');
  expect(capped.job!.attempts[1]).toMatchObject({ outcome: 'preempted', reason: 'The node n is leaving.' });
  expect((capped.status.executionInfo as { errors: { code: string }[] }).errors[0].code).toBe('JobPreempted');
});

test('a stale attempt writes nothing: requeued, superseded, already ended, or another job of that name', () => {
  const done: AttemptOutcome = { kind: 'succeeded', exitCode: 0 };
  const context = { at, maxAttempts: 3 };
  const requeued = transitionJob(running(1), 'queued', { at, outcome: 'preempted' });
  expect(completedRecord(requeued, input(1, done), context)).toBeUndefined();
  expect(completedRecord(running(2), input(1, done), context)).toBeUndefined();
  const ended = transitionJob(running(1), 'failed', { at, outcome: 'terminated' });
  expect(completedRecord(ended, input(1, done), context)).toBeUndefined();
  const other = '0b1c2d3e-0000-4000-8000-000000000002';
  expect(completedRecord(running(1), input(1, done, other), context)).toBeUndefined();
});

test('termination while terminating ends failed with JobTerminated', () => {
  const terminating = transitionJob(running(1), 'terminating', { at: t0 });
  const next = completedRecord(terminating, input(1, { kind: 'terminated' }), { at, maxAttempts: 3 })!;
  expect(next.job!.executionState).toBe('failed');
  expect(next.job!.attempts[0].outcome).toBe('terminated');
  expect(next.status.executionInfo).toMatchObject({
    errors: [{ code: 'JobTerminated', message: 'The job was terminated by the user.' }],
  });
  // Stopped by its sweep: the sweep's reason, not "by the user".
  terminating.job!.terminationReason = "Stopped by the sweep 'lr': Bandit policy at step 2: ...";
  const stopped = completedRecord(terminating, input(1, { kind: 'terminated' }), { at, maxAttempts: 3 })!;
  expect(stopped.status.executionInfo).toMatchObject({
    errors: [{ code: 'JobTerminated', message: "Stopped by the sweep 'lr': Bandit policy at step 2: ..." }],
  });
});

test('a job terminated (or deleted) while its attempt ended for another reason is recorded terminated', () => {
  const terminating = (attempts: number): ResourceRecord =>
    transitionJob(running(attempts), 'terminating', { at: t0 });
  // A lost node was being stopped when the user terminated the job: no requeue (terminating -> queued is refused).
  const preempted = completedRecord(terminating(1), input(1, { kind: 'preempted', reason: 'node lost' }), {
    at,
    maxAttempts: 3,
  })!;
  expect(preempted.job!.executionState).toBe('failed');
  expect(preempted.status.executionInfo).toMatchObject({ errors: [{ code: 'JobTerminated' }] });
  expect(preempted.job!.attempts[0]).toMatchObject({ outcome: 'terminated' });
  // At the last attempt too, not JobPreempted.
  const last = completedRecord(terminating(3), input(3, { kind: 'preempted', reason: 'node lost' }), {
    at,
    maxAttempts: 3,
  })!;
  expect(last.status.executionInfo).toMatchObject({ errors: [{ code: 'JobTerminated' }] });
  const failed = completedRecord(
    terminating(1),
    input(1, { kind: 'failed', code: 'JobFailed', message: 'exit 143', exitCode: 143 }),
    { at, maxAttempts: 3 },
  )!;
  expect(failed.status.executionInfo).toMatchObject({ errors: [{ code: 'JobTerminated' }] });
  // A success that came before the termination stands.
  const succeeded = completedRecord(terminating(1), input(1, { kind: 'succeeded', exitCode: 0 }), {
    at,
    maxAttempts: 3,
  })!;
  expect(succeeded.job!.executionState).toBe('succeeded');
});
