// End to end: jobs made by the event sources run on a local node and succeed (the job lifecycle runs them; this
// checks that their jobs are complete, runnable jobs): a queue submission (secrets included), a job schedule's job
// (with the trigger variables the schedule sets), and a job carrying a scoring rule's variables. Needs
// `npx tsc -p tsconfig.json`.
import { QueueClient } from '@azure/storage-queue';
import {
  customJob,
  experiment,
  startJobTestBed,
  SUB,
  type JobTestBed,
  jobEnded,
} from '../jobs/support/jobTestBed';
import { waitFor } from '../support/testEnvironment';
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
  const done = await bed.waitForJob(name, 'to finish', jobEnded, 90_000);
  expect(done.executionState).toBe('succeeded');
  expect((done.executionInfo as { exitCode?: number } | undefined)?.exitCode).toBe(0);
}, 150_000);

test("a job schedule's job runs with the schedule's variables", async () => {
  const workspace = experiment.slice(0, experiment.indexOf('/experiments/'));
  const put = await bed.api.send('PUT', `${workspace}/jobSchedules/hourly`, {
    properties: {
      schedule: '0 0 * * * *',
      experimentName: 'exp',
      startTime: new Date(Date.now() - 2 * 3600_000).toISOString(),
      // No secrets in a template (and so no job mount with a key): the command checks its variables itself.
      jobTemplate: {
        properties: {
          ...customJob(
            bed,
            'c1',
            'test "$AZ_BATCHAI_SCHEDULED_TIME" = "{scheduledTime}" && test "$AZ_BATCHAI_TRIGGER_SCHEDULE" = hourly',
          ),
          mountVolumes: undefined,
          stdOutErrPathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/logs',
        },
      },
    },
  });
  expect(put.status).toBe(201);
  expect((await bed.env.invokeFunction('jobSchedulesTimer')).status).toBe(202);
  // The timer's own tick (every minute) may run beside the invocation: one creates the job, the other finds it
  // ('existing'), and the run recorded is whichever wrote first. Either way the due time has its one job.
  const lastRun = await waitFor('the schedule to create its job', async () => {
    const response = await bed.api.send('GET', `${workspace}/jobSchedules/hourly`);
    const run = (
      response.body.properties as { lastRun?: { result: string; jobName: string; dueTime: string } }
    ).lastRun;
    return run?.result === 'created' || run?.result === 'existing' ? run : undefined;
  });
  const done = await bed.waitForJob(lastRun.jobName, 'to finish', jobEnded, 90_000);
  expect(done.executionState).toBe('succeeded');
  expect(done.environmentVariables).toEqual(
    expect.arrayContaining([{ name: 'AZ_BATCHAI_SCHEDULED_TIME', value: lastRun.dueTime }]),
  );
}, 150_000);

test("a job with a scoring rule's input variables runs; one shadowing an input directory's path is refused", async () => {
  const variables = [
    { name: 'AZ_BATCHAI_INPUT_BLOB_URL', value: 'https://acct.blob.core.windows.net/in/a.csv' },
    { name: 'AZ_BATCHAI_TRIGGER_EVENT_ID', value: 'event-1' },
  ];
  await bed.putJob(
    'scored',
    customJob(bed, 'c1', 'echo "$AZ_BATCHAI_INPUT_BLOB_URL $AZ_BATCHAI_TRIGGER_EVENT_ID"', {
      environmentVariables: variables,
    }),
  );
  const done = await bed.waitForJob('scored', 'to finish', jobEnded, 90_000);
  expect(done.executionState).toBe('succeeded');
  expect(await bed.stdoutOf('scored')).toBe('https://acct.blob.core.windows.net/in/a.csv event-1\n');
  // Names the service sets are refused at the PUT, naming the field, not at launch.
  const refused = await bed.api.send('PUT', `${experiment}/jobs/refused`, {
    properties: customJob(bed, 'c1', 'true', {
      inputDirectories: [{ id: 'DATA', path: '$AZ_BATCHAI_JOB_MOUNT_ROOT/afs' }],
      environmentVariables: [{ name: 'AZ_BATCHAI_INPUT_DATA', value: '/elsewhere' }],
    }),
  });
  expect(refused.status).toBe(400);
  expect(refused.body.error).toMatchObject({ target: 'properties.environmentVariables[0].name' });
  const reserved = await bed.api.send('PUT', `${experiment}/jobs/refused`, {
    properties: customJob(bed, 'c1', 'true', {
      environmentVariables: [{ name: 'AZ_BATCHAI_JOB_NAME', value: 'mine' }],
    }),
  });
  expect(reserved.status).toBe(400);
  expect(reserved.body.error).toMatchObject({ target: 'properties.environmentVariables[0].name' });
}, 150_000);
