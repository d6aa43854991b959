// End to end: when an activity of a running job's lifecycle fails all its retries, the lifecycle stops the job's
// processes before failing the job with JobLifecycleError, and the node is free for the next job. The fault is
// injected with the test-only setting JOB_TEST_FAIL_ACTIVITY (honoured only with local compute).
// Needs `npx tsc -p tsconfig.json` first.
import { isAlive } from '../stack/stackProcesses';
import { waitFor } from '../support/testEnvironment';
import { customJob, startJobTestBed, type JobTestBed, jobEnded } from './support/jobTestBed';

let bed: JobTestBed;

beforeAll(async () => {
  // CheckJobNodes runs on every node check (each second here) and fails every time.
  bed = await startJobTestBed({ JOB_NODE_CHECK_SECONDS: '1', JOB_TEST_FAIL_ACTIVITY: 'CheckJobNodes' });
  await bed.createCluster('c1', 1);
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

test('a lifecycle failure stops the job process, fails the job with JobLifecycleError and frees the node', async () => {
  const pid = await bed.putLongJob('doomed', 'c1');
  expect(isAlive(pid)).toBe(true);
  const done = await bed.waitForJob('doomed', 'ended', jobEnded, 90_000);
  expect(done.executionState).toBe('failed');
  const error = (done.executionInfo as { errors: { code: string; message: string }[] }).errors[0];
  expect(error.code).toBe('JobLifecycleError');
  expect(error.message).toContain('JOB_TEST_FAIL_ACTIVITY');
  await waitFor('the process to be stopped', async () => (isAlive(pid) ? undefined : true), 30_000);
  // The node was released: a short job (ends before any node check fails it) runs on it.
  await bed.putJob('next', customJob(bed, 'c1', 'echo next'));
  const next = await bed.waitForJob('next', 'running or ended', (p) => p.executionState !== 'queued', 60_000);
  expect(next.executionState).not.toBe('queued');
}, 180_000);
