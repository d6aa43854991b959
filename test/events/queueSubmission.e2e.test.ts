// End to end: a job submitted by queue message runs on a local node and succeeds (the job lifecycle runs it; this
// checks that a submission's job is a complete, runnable job, secrets included). Needs `npx tsc -p tsconfig.json`.
import { QueueClient } from '@azure/storage-queue';
import { customJob, startJobTestBed, SUB, type JobTestBed } from '../jobs/support/jobTestBed';
import { submissionJobName } from '../../shared/domain/eventSources/eventJobName';

let bed: JobTestBed;

beforeAll(async () => {
  bed = await startJobTestBed();
  await bed.createCluster('c1', 1);
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

test('a queued submission runs to succeeded on a local node', async () => {
  const message = {
    schema: 'batchai.jobSubmission',
    version: 1,
    submissionId: 'e2e-order-1',
    subscriptionId: SUB,
    resourceGroup: 'jobsrg',
    workspace: 'ws',
    experiment: 'exp',
    job: {
      properties: customJob(bed, 'c1', 'test "$TOKEN" = "from-a-secret" && echo scored', {
        secrets: [{ name: 'TOKEN', value: 'from-a-secret' }],
      }),
    },
  };
  const queue = new QueueClient(bed.env.settings.AzureWebJobsStorage, 'job-submissions');
  await queue.sendMessage(Buffer.from(JSON.stringify(message), 'utf8').toString('base64'));
  const name = submissionJobName('e2e-order-1');
  const done = await bed.waitForJob(
    name,
    'to finish',
    (p) => p.executionState === 'succeeded' || p.executionState === 'failed',
    90_000,
  );
  expect(done.executionState).toBe('succeeded');
  expect((done.executionInfo as { exitCode?: number } | undefined)?.exitCode).toBe(0);
}, 150_000);
