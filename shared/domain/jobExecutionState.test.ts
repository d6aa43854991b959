// Unit tests of the job state machine and of secret sealing (pure logic, no I/O).
import { AesGcmSecretProtector } from '../crypto/aesGcmSecretProtector';
import { transitionJob } from './jobExecutionState';
import type { ResourceRecord } from './resourceRecord';

const job: ResourceRecord = {
  kind: 'job',
  ref: { kind: 'job', subscriptionId: 's', resourceGroup: 'rg', workspace: 'w', experiment: 'e', name: 'j' },
  armId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/w/experiments/e/jobs/j',
  location: 'eastus',
  spec: {},
  status: { executionState: 'queued' },
  encryptedSecrets: {},
  job: {
    uuid: 'u',
    clusterId: 'c',
    clusterKey: 'c',
    priority: 'normal',
    nodeCount: 1,
    executionState: 'queued',
    attempts: [],
  },
};

test('a preempted job goes back to queued with its attempt closed, then runs a second attempt', () => {
  const running = transitionJob(job, 'running', { at: new Date('2024-01-01T00:00:00Z'), nodeIds: ['n1'] });
  const requeued = transitionJob(running, 'queued', {
    at: new Date('2024-01-01T01:00:00Z'),
    outcome: 'preempted',
  });
  const again = transitionJob(requeued, 'running', { at: new Date('2024-01-01T02:00:00Z'), nodeIds: ['n2'] });
  const done = transitionJob(again, 'succeeded', { at: new Date('2024-01-01T03:00:00Z'), exitCode: 0 });
  expect(done.job!.attempts.map((a) => [a.attempt, a.outcome, a.nodeIds[0]])).toEqual([
    [1, 'preempted', 'n1'],
    [2, 'succeeded', 'n2'],
  ]);
  expect(done.status).toMatchObject({
    executionState: 'succeeded',
    executionInfo: { exitCode: 0, endTime: '2024-01-01T03:00:00.000Z' },
  });
  expect(job.job!.executionState).toBe('queued'); // the input record is not mutated
});

test('a job leaving the queue drops why it waited: terminated while queued, it shows no wait reason', () => {
  const waiting = structuredClone(job);
  waiting.status.queueInfo = { reason: 'ExceedsClusterSize', position: 1, message: 'too large' };
  const terminated = transitionJob(waiting, 'failed', { at: new Date() });
  expect(terminated.status.queueInfo).toBeUndefined();
  expect(
    transitionJob(waiting, 'running', { at: new Date(), nodeIds: ['n1'] }).status.queueInfo,
  ).toBeUndefined();
});

test('a finished job cannot move again', () => {
  const failed = transitionJob(job, 'failed', { at: new Date() });
  expect(() => transitionJob(failed, 'running', { at: new Date() })).toThrow(
    /cannot go from 'failed' to 'running'/,
  );
});

test('a sealed secret opens only with its own context and key', () => {
  const key = Buffer.alloc(32, 7);
  const protector = new AesGcmSecretProtector(key);
  const sealed = protector.seal('p4ss', 'job-a#properties.secrets[0].value');
  expect(sealed).not.toContain('p4ss');
  expect(protector.open(sealed, 'job-a#properties.secrets[0].value')).toBe('p4ss');
  expect(() => protector.open(sealed, 'job-b#properties.secrets[0].value')).toThrow();
  expect(() =>
    new AesGcmSecretProtector(Buffer.alloc(32, 8)).open(sealed, 'job-a#properties.secrets[0].value'),
  ).toThrow();
});

test('a transition is never dated before the one it follows; the end time stays the last exit', () => {
  const running = transitionJob(job, 'running', { at: new Date('2024-01-01T00:00:00Z'), nodeIds: ['n1'] });
  // Terminated at :31, after its last process had exited at :28 (a parameter server still ran): succeeded.
  const terminating = transitionJob(running, 'terminating', { at: new Date('2024-01-01T00:00:31Z') });
  const done = transitionJob(terminating, 'succeeded', { at: new Date('2024-01-01T00:00:28Z'), exitCode: 0 });
  expect(done.status).toMatchObject({
    executionStateTransitionTime: '2024-01-01T00:00:31.000Z',
    executionInfo: { endTime: '2024-01-01T00:00:28.000Z' },
  });
});
