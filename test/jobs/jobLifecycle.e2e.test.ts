// End to end through the real app on the local host: jobs submitted over the resource API are scheduled on local
// nodes, run by the node agents, and recorded with their exit codes; stdout/stderr are listed with working SAS
// links; failures, termination and the wall-clock limit end jobs `failed` with the reason.
// Needs `npx tsc -p tsconfig.json` first (the host, the app and the agents run from dist/).
import * as fs from 'fs';
import * as path from 'path';
import { BlobServiceClient } from '@azure/storage-blob';
import { jobFilesContainer } from '../../shared/config/resourceNames';
import { webhookPath } from '../../runtime/durable/managementApi';
import { waitFor } from '../support/testEnvironment';
import {
  customJob,
  experiment,
  startJobTestBed,
  type JobTestBed,
  queueInfoExplained,
  jobEnded,
} from './support/jobTestBed';

let bed: JobTestBed;

beforeAll(async () => {
  // Every watch round continues as new: termination and the wall clock must survive episode changes.
  bed = await startJobTestBed({ JOB_WATCH_ROUNDS_PER_EPISODE: '1', JOB_NODE_CHECK_SECONDS: '1' });
  await bed.createCluster('c1', 1);
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

interface ExecutionInfo {
  startTime?: string;
  endTime?: string;
  exitCode?: number;
  errors?: { code: string; message: string; details?: { name: string; value: string }[] }[];
}

function infoOf(properties: Record<string, unknown>): ExecutionInfo {
  return (properties.executionInfo ?? {}) as ExecutionInfo;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('a single-node custom job runs, succeeds with its exit code, and its stdout/stderr download by SAS link', async () => {
  await bed.putJob(
    'hello',
    customJob(bed, 'c1', 'echo "hello from $AZ_BATCHAI_JOB_NAME"; echo "to stderr" >&2; exit 0'),
  );
  const done = await bed.waitForJob('hello', 'ended', jobEnded);
  expect(done.executionState).toBe('succeeded');
  const info = infoOf(done);
  expect(info.exitCode).toBe(0);
  expect(Date.parse(info.endTime ?? '')).toBeGreaterThanOrEqual(Date.parse(info.startTime ?? ''));
  expect(done.queueInfo).toBeUndefined();

  const listing = await bed.api.send(
    'POST',
    bed.api.url(`${experiment}/jobs/hello/listOutputFiles`, { outputdirectoryid: 'stdouterr' }),
  );
  expect(listing.status).toBe(200);
  const files = listing.body.value as { name: string; fileType: string; downloadUrl: string }[];
  expect(files.map((f) => f.name).sort()).toEqual(['stderr.txt', 'stdout.txt']);
  const stdout = files.find((f) => f.name === 'stdout.txt')!;
  expect(stdout.fileType).toBe('file');
  // The blob mirrors the Batch AI layout inside the job's Azure file share mount.
  expect(decodeURIComponent(new URL(stdout.downloadUrl).pathname)).toContain(
    '/files/storageacct/logs/00000000-0000-0000-0000-000000000000/jobsrg/workspaces/ws/experiments/exp/jobs/hello/',
  );
  expect(await (await fetch(stdout.downloadUrl)).text()).toBe('hello from hello\n');
  const stderr = files.find((f) => f.name === 'stderr.txt')!;
  expect(await (await fetch(stderr.downloadUrl)).text()).toBe('to stderr\n');

  // The node was given back: the next job runs on it.
  await bed.putJob('after', customJob(bed, 'c1', 'true'));
  expect((await bed.waitForJob('after', 'ended', jobEnded)).executionState).toBe('succeeded');
}, 120_000);

test("a process's empty stderr is made when its files are listed: no blob before, listed once on every page", async () => {
  await bed.putJob('quiet', {
    ...customJob(bed, 'c1', 'echo only stdout'),
    jobPreparation: { commandLine: 'echo preparing' },
  });
  const done = await bed.waitForJob('quiet', 'ended', jobEnded);
  expect(done.executionState).toBe('succeeded');
  // The agent made no stderr blob: the process wrote nothing there.
  const container = BlobServiceClient.fromConnectionString(
    bed.env.settings.AzureWebJobsStorage,
  ).getContainerClient(jobFilesContainer);
  const blobNames = async (): Promise<string[]> => {
    const names: string[] = [];
    for await (const blob of container.listBlobsFlat())
      if (blob.name.includes('/jobs/quiet/')) names.push(blob.name);
    return names.map((name) => name.split('/').at(-1)!).sort();
  };
  expect(await blobNames()).toEqual(['stdout-job_prep.txt', 'stdout.txt']);
  // Listed one file a page: the stderr files sort before the stdout files, on earlier pages; each name comes once.
  const names: string[] = [];
  let url: string | undefined = bed.api.url(`${experiment}/jobs/quiet/listOutputFiles`, {
    outputdirectoryid: 'stdouterr',
    maxresults: '1',
  });
  const files: { name: string; downloadUrl: string; properties: { contentLength: number } }[] = [];
  while (url) {
    const page = await bed.api.send('POST', url);
    expect(page.status).toBe(200);
    const value = page.body.value as (typeof files)[number][];
    expect(value.length).toBeLessThanOrEqual(1);
    files.push(...value);
    names.push(...value.map((f) => f.name));
    url = (page.body.nextLink as string | undefined) || undefined;
  }
  expect(names).toEqual(['stderr-job_prep.txt', 'stderr.txt', 'stdout-job_prep.txt', 'stdout.txt']);
  const stderr = files.find((f) => f.name === 'stderr.txt')!;
  expect(stderr.properties.contentLength).toBe(0);
  const download = await fetch(stderr.downloadUrl);
  expect(download.status).toBe(200);
  expect(await download.text()).toBe('');
  expect(await blobNames()).toEqual([
    'stderr-job_prep.txt',
    'stderr.txt',
    'stdout-job_prep.txt',
    'stdout.txt',
  ]);
  // Two first listings at once (a dashboard and a CLI polling) of a job whose stderr is not made yet: both list it.
  await bed.putJob('quiet2', customJob(bed, 'c1', 'echo only stdout'));
  await bed.waitForJob('quiet2', 'ended', jobEnded);
  const listings = await Promise.all(
    [1, 2].map(() =>
      bed.api.send(
        'POST',
        bed.api.url(`${experiment}/jobs/quiet2/listOutputFiles`, { outputdirectoryid: 'stdouterr' }),
      ),
    ),
  );
  for (const listing of listings) {
    expect((listing.body.value as { name: string }[]).map((f) => f.name)).toEqual([
      'stderr.txt',
      'stdout.txt',
    ]);
  }
}, 120_000);

test("an ended job's temp directory, which its cluster's local nodes share, is removed after its outputs", async () => {
  await bed.putJob(
    'scratch',
    customJob(
      bed,
      'c1',
      'echo "$AZ_BATCHAI_JOB_TEMP"; mkdir -p "$AZ_BATCHAI_JOB_TEMP/work" && echo x > "$AZ_BATCHAI_JOB_TEMP/work/f"',
    ),
  );
  const done = await bed.waitForJob('scratch', 'ended', jobEnded);
  expect(done.executionState).toBe('succeeded');
  const jobTemp = (await bed.stdoutOf('scratch')).trim();
  const uuid = String(done.jobOutputDirectoryPathSegment).split('/').at(-1)!;
  expect(jobTemp.startsWith(bed.dataDir)).toBe(true);
  expect(jobTemp.endsWith(`/${uuid}`)).toBe(true);
  // Removed in the activity that records the end, right after the record's write that the GET saw.
  await waitFor(
    'the job temp directory removed',
    async () => (fs.existsSync(jobTemp) ? undefined : true),
    10_000,
  );
  expect(fs.existsSync(path.dirname(jobTemp))).toBe(true);
}, 120_000);

/** The job lifecycle instances (durable HTTP API) by runtime status, keyed by job GUID. */
async function lifecycles(): Promise<Map<string, string>> {
  const url = new URL(`${bed.env.baseUrl}${webhookPath}/instances`);
  url.searchParams.set('code', bed.env.masterKey);
  url.searchParams.set('instanceIdPrefix', 'job-');
  const items = (await (await fetch(url)).json()) as { instanceId: string; runtimeStatus: string }[];
  return new Map(items.map((item) => [item.instanceId.slice('job-'.length), item.runtimeStatus]));
}

test('a queued job has no lifecycle until its grant starts one; a PUT refused for a changed job starts none', async () => {
  await bed.putJob('lifecycle-first', customJob(bed, 'c1', 'sleep 30'));
  const first = await bed.waitForJob('lifecycle-first', 'running', (p) => p.executionState === 'running');
  const uuidOf = (job: Record<string, unknown>) =>
    String(job.jobOutputDirectoryPathSegment).split('/').at(-1)!;
  // Recorded running at its grant, then launched, then its lifecycle started with the grant.
  await waitFor("the first job's lifecycle", async () =>
    ['Running', 'Pending'].includes(String((await lifecycles()).get(uuidOf(first)))) ? true : undefined,
  );
  // The cluster's one node is busy: the next job waits, with no orchestration of its own.
  await bed.putJob('lifecycle-second', customJob(bed, 'c1', 'echo second'));
  const second = await bed.waitForJob('lifecycle-second', 'explained', (p) => p.queueInfo !== undefined);
  expect(second.executionState).toBe('queued');
  const before = await lifecycles();
  expect(before.has(uuidOf(second))).toBe(false);
  const refused = await bed.api.send('PUT', `${experiment}/jobs/lifecycle-first`, {
    properties: customJob(bed, 'c1', 'sleep 31'),
  });
  expect(refused.status).toBe(409);
  expect([...(await lifecycles()).keys()].filter((id) => !before.has(id))).toEqual([]);
  // The node comes free: the grant starts the waiting job's lifecycle, which runs it to the end.
  await bed.api.send('POST', `${experiment}/jobs/lifecycle-first/terminate`);
  await bed.waitForJob('lifecycle-first', 'ended', (p) => p.executionState === 'failed', 30_000);
  const done = await bed.waitForJob('lifecycle-second', 'ended', jobEnded, 30_000);
  expect(done.executionState).toBe('succeeded');
  await waitFor("the second job's lifecycle completed", async () =>
    (await lifecycles()).get(uuidOf(done)) === 'Completed' ? true : undefined,
  );
}, 120_000);

test('a job exiting 3 fails with its exit code and the tail of its stderr, without a retry', async () => {
  await bed.putJob('fails', customJob(bed, 'c1', 'echo "bad input: no data" >&2; exit 3'));
  const done = await bed.waitForJob('fails', 'ended', jobEnded);
  expect(done.executionState).toBe('failed');
  const info = infoOf(done);
  expect(info.exitCode).toBe(3);
  expect(info.errors?.[0]).toMatchObject({ code: 'JobFailed' });
  expect(info.errors?.[0].details).toEqual(
    expect.arrayContaining([
      { name: 'exitCode', value: '3' },
      { name: 'stderr', value: 'bad input: no data\n' },
    ]),
  );
}, 120_000);

test('terminating a running job stops its process within seconds and fails it as JobTerminated', async () => {
  await bed.putJob('endless', customJob(bed, 'c1', 'echo $$; exec sleep 600'));
  await bed.waitForJob('endless', 'running', (p) => p.executionState === 'running');
  // The process prints its pid first (live stdout): wait for it, so the kill hits a running process.
  const pid = await waitFor('the pid on live stdout', async () => {
    const text = await bed.stdoutOf('endless');
    return /^\d+\n/.test(text) ? Number(text.trim()) : undefined;
  });
  expect(processAlive(pid)).toBe(true);
  const terminate = await bed.api.send('POST', `${experiment}/jobs/endless/terminate`);
  expect(terminate.status).toBe(202);
  const done = await bed.waitForJob('endless', 'ended', jobEnded, 45_000);
  expect(done.executionState).toBe('failed');
  expect(infoOf(done).errors?.[0]).toMatchObject({ code: 'JobTerminated' });
  expect(processAlive(pid)).toBe(false);
  const operation = await bed.api.waitForOperation(terminate);
  expect(operation.status).toBe('Succeeded');
}, 120_000);

test("a terminated job's program gets its grace after SIGTERM to save a checkpoint: the task's shell waits for it", async () => {
  // The handler takes 5 s: more than the 3 s the agent gives what a task leaves behind, less than the 30 s grace.
  // Before, the task's shell (dash) died of the SIGTERM at once and the program was killed 3 s later.
  const script = path.join(bed.dataDir, 'checkpointing.py');
  fs.writeFileSync(
    script,
    [
      'import signal, sys, time',
      'def stop(*_):',
      '    time.sleep(5)',
      "    print('checkpoint saved', flush=True)",
      '    sys.exit(0)',
      'signal.signal(signal.SIGTERM, stop)',
      "print('training', flush=True)",
      'time.sleep(600)',
    ].join('\n'),
  );
  await bed.putJob('graceful', customJob(bed, 'c1', `python3 ${script}; echo 'not after a stop'`));
  await waitFor('the program running', async () =>
    (await bed.stdoutOf('graceful')).includes('training') ? true : undefined,
  );
  expect((await bed.api.send('POST', `${experiment}/jobs/graceful/terminate`)).status).toBe(202);
  const done = await bed.waitForJob('graceful', 'ended', jobEnded, 60_000);
  expect(infoOf(done).errors?.[0]).toMatchObject({ code: 'JobTerminated' });
  expect(await bed.stdoutOf('graceful')).toBe('training\ncheckpoint saved\n');
}, 120_000);

test('terminating a queued job fails it as JobTerminated at once, and it never runs', async () => {
  // Two nodes on a one-node cluster: it waits for ever.
  await bed.putJob('never', { ...customJob(bed, 'c1', 'echo ran'), nodeCount: 2 });
  await bed.waitForJob('never', 'explained', queueInfoExplained);
  const terminate = await bed.api.send('POST', `${experiment}/jobs/never/terminate`);
  expect(terminate.status).toBe(202);
  expect((await bed.api.waitForOperation(terminate)).status).toBe('Succeeded');
  const done = await bed.getJob('never');
  expect(done.executionState).toBe('failed');
  expect(infoOf(done).errors?.[0]).toMatchObject({ code: 'JobTerminated' });
  expect(infoOf(done).startTime).toBeUndefined();
});

test('a job running past maxWallClockTime is stopped and fails', async () => {
  await bed.putJob(
    'slow',
    customJob(bed, 'c1', 'exec sleep 600', { constraints: { maxWallClockTime: 'PT3S' } }),
  );
  const done = await bed.waitForJob('slow', 'ended', jobEnded, 60_000);
  expect(done.executionState).toBe('failed');
  expect(infoOf(done).errors?.[0]).toMatchObject({ code: 'MaxWallClockTimeExceeded' });
}, 120_000);

test('job preparation runs first with its own output file; user variables and secrets reach the process', async () => {
  await bed.putJob(
    'prepared',
    customJob(
      bed,
      'c1',
      // The secret's value is not in the command line (only in the environment): it is checked piecewise.
      'test "$TOKEN" = "s3cr3t-$SUFFIX" && echo "main sees $GREETING and $(cat prepared.txt)"',
      {
        jobPreparation: { commandLine: 'echo ready > "$AZ_BATCHAI_JOB_TEMP/prepared.txt"; echo preparing' },
        environmentVariables: [
          { name: 'GREETING', value: 'hello' },
          { name: 'SUFFIX', value: 'value' },
        ],
        secrets: [{ name: 'TOKEN', value: 's3cr3t-value' }],
      },
    ),
  );
  const done = await bed.waitForJob('prepared', 'ended', jobEnded);
  expect(done.executionState).toBe('succeeded');
  const listing = await bed.api.send(
    'POST',
    bed.api.url(`${experiment}/jobs/prepared/listOutputFiles`, { outputdirectoryid: 'stdouterr' }),
  );
  const files = listing.body.value as { name: string; downloadUrl: string }[];
  const text = async (name: string): Promise<string> =>
    (await fetch(files.find((f) => f.name === name)!.downloadUrl)).text();
  expect(await text('stdout-job_prep.txt')).toBe('preparing\n');
  expect(await text('stdout.txt')).toBe('main sees hello and ready\n');
  expect(JSON.stringify(await bed.getJob('prepared'))).not.toContain('s3cr3t-value');
}, 120_000);

test('a failing job preparation fails the job before the main command runs', async () => {
  await bed.putJob(
    'badprep',
    customJob(bed, 'c1', 'echo main ran', { jobPreparation: { commandLine: 'echo no disk >&2; exit 7' } }),
  );
  const done = await bed.waitForJob('badprep', 'ended', jobEnded);
  expect(done.executionState).toBe('failed');
  expect(infoOf(done)).toMatchObject({ exitCode: 7, errors: [{ code: 'JobPreparationFailed' }] });
  expect(await bed.stdoutOf('badprep')).toBe('');
}, 120_000);

test('deleting a running job stops it, then the delete completes', async () => {
  await bed.putJob('doomed', customJob(bed, 'c1', 'exec sleep 600'));
  await bed.waitForJob('doomed', 'running', (p) => p.executionState === 'running');
  const deletion = await bed.api.send('DELETE', `${experiment}/jobs/doomed`);
  expect(deletion.status).toBe(202);
  expect((await bed.api.waitForOperation(deletion)).status).toBe('Succeeded');
  expect((await bed.api.send('GET', `${experiment}/jobs/doomed`)).status).toBe(404);
}, 120_000);

test('an operation left in progress never deletes a job created again under the same name', async () => {
  await bed.putJob('reborn', customJob(bed, 'c1', 'exec sleep 600'));
  await bed.waitForJob('reborn', 'running', (p) => p.executionState === 'running');
  const first = await bed.api.send('DELETE', `${experiment}/jobs/reborn`);
  expect(first.status).toBe(202); // its operation is not read now
  // Stopped, or already gone: the pending-operations timer may have completed the delete nobody reads.
  await waitFor('job reborn stopped or gone', async () => {
    const response = await bed.api.send('GET', `${experiment}/jobs/reborn`);
    if (response.status === 404) return true;
    return (response.body.properties as Record<string, unknown>).executionState === 'failed'
      ? true
      : undefined;
  });
  const second = await bed.api.send('DELETE', `${experiment}/jobs/reborn`);
  if (second.status === 202) await bed.api.waitForOperation(second);
  expect((await bed.api.send('GET', `${experiment}/jobs/reborn`)).status).toBe(404);
  await bed.putJob('reborn', customJob(bed, 'c1', 'true'));
  // The first DELETE's operation, read (or advanced by the timer) now, finds another job: it is done, nothing more.
  expect((await bed.api.waitForOperation(first)).status).toBe('Succeeded');
  const again = await bed.api.send('GET', `${experiment}/jobs/reborn`);
  expect(again.status).toBe(200);
  expect((again.body.properties as Record<string, unknown>).provisioningState).not.toBe('deleting');
}, 120_000);

test('a delete nobody polls still completes: the experiment of a running job goes once the job has stopped', async () => {
  const other = `${experiment}-unpolled`;
  await bed.api.put(other);
  await bed.api.put(`${other}/jobs/orphan`, { properties: customJob(bed, 'c1', 'exec sleep 600') });
  const jobState = async (): Promise<string | undefined> => {
    const response = await bed.api.send('GET', `${other}/jobs/orphan`);
    return response.status === 200
      ? String((response.body.properties as Record<string, unknown>).executionState)
      : undefined;
  };
  await waitFor('orphan running', async () => ((await jobState()) === 'running' ? true : undefined));
  // The DELETE is answered 202 (its job runs); its operation is never read (`--no-wait`).
  expect((await bed.api.send('DELETE', other)).status).toBe(202);
  await waitFor('orphan stopped', async () => {
    const state = await jobState();
    return state === undefined || state === 'failed' ? true : undefined;
  });
  // The pendingOperations timer (here run by hand; it also runs every 30 s) finishes the cascade.
  expect((await bed.env.invokeFunction('pendingOperations')).status).toBe(202);
  await waitFor('the experiment gone', async () =>
    (await bed.api.send('GET', other)).status === 404 ? true : undefined,
  );
  expect((await bed.api.send('GET', `${other}/jobs/orphan`)).status).toBe(404);
}, 120_000);

test('finished orchestration instances are purged after the retention; running ones and the records stay', async () => {
  await bed.putJob('purged', customJob(bed, 'c1', 'true'));
  const done = await bed.waitForJob('purged', 'ended', jobEnded);
  const uuid = String(done.jobOutputDirectoryPathSegment).split('/').at(-1)!;
  await waitFor('its lifecycle completed', async () =>
    (await lifecycles()).get(uuid) === 'Completed' ? true : undefined,
  );
  const all = async (): Promise<{ instanceId: string; runtimeStatus: string }[]> => {
    const url = new URL(`${bed.env.baseUrl}${webhookPath}/instances`);
    url.searchParams.set('code', bed.env.masterKey);
    url.searchParams.set('top', '1000');
    return (await (await fetch(url)).json()) as { instanceId: string; runtimeStatus: string }[];
  };
  const running = (await all()).filter((i) => i.runtimeStatus === 'Running').map((i) => i.instanceId);
  expect(running.length).toBeGreaterThan(0); // the cluster's monitor and scheduler at least
  // The default retention (7 days) keeps it.
  expect((await bed.env.invokeFunction('durableHistoryPurge')).status).toBe(202);
  expect((await lifecycles()).get(uuid)).toBe('Completed');
  // With none, the next purge removes every finished instance, and only those.
  await bed.env.restartHost({ DURABLE_HISTORY_RETENTION_DAYS: '0' });
  expect((await bed.env.invokeFunction('durableHistoryPurge')).status).toBe(202);
  await waitFor('finished instances purged', async () =>
    (await all()).some((i) => ['Completed', 'Failed', 'Terminated'].includes(i.runtimeStatus))
      ? undefined
      : true,
  );
  expect((await lifecycles()).has(uuid)).toBe(false);
  const left = new Set((await all()).map((i) => i.instanceId));
  for (const id of running) expect(left.has(id)).toBe(true);
  expect((await bed.getJob('purged')).executionState).toBe('succeeded');
  // The cluster still runs jobs.
  await bed.putJob('after-purge', customJob(bed, 'c1', 'true'));
  expect((await bed.waitForJob('after-purge', 'ended', jobEnded)).executionState).toBe('succeeded');
}, 120_000);

test('short jobs whose watch continues as new every round all end: no exit is lost at an episode boundary', async () => {
  // Every round here is one episode (JOB_WATCH_ROUNDS_PER_EPISODE=1) with a node check each second: exits often
  // arrive as a watch continues as new, which keeps no events (test/jobs/jobLifecycleOrchestrator.replay.test.ts
  // pins the mechanism; this runs it through the real stack).
  await bed.createCluster('quad', 4);
  const names = Array.from({ length: 16 }, (_, i) => `short${i}`);
  for (const [i, name] of names.entries()) {
    await bed.putJob(
      name,
      customJob(bed, 'quad', `sleep ${(1 + ((i * 37) % 23) / 10).toFixed(2)}; echo done`),
    );
  }
  for (const name of names) {
    expect((await bed.waitForJob(name, 'ended', jobEnded, 90_000)).executionState).toBe('succeeded');
  }
}, 240_000);
