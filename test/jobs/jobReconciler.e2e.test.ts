// End to end: a job whose lifecycle orchestration ended while the job still holds its node (here: the instance is
// terminated through the Durable management API, as an operator could) is taken up by the job reconciler's timer
// (run by hand through the admin API) with a new lifecycle: one whose process is still running gets its real exit
// code; one whose process exited while no lifecycle listened gets the exit again from its node agent; one being
// terminated has its process stopped and ends terminated. A queued job has no lifecycle until its grant starts one,
// and a cluster's scheduler that ended while jobs wait is started again by the reconciler. Needs
// `npx tsc -p tsconfig.json` first.
import * as fs from 'fs';
import * as path from 'path';
import { clusterTag } from '../../shared/contracts/nodeQueueNames';
import { isAlive } from '../stack/stackProcesses';
import { waitFor } from '../support/testEnvironment';
import { customJob, experiment, startJobTestBed, type JobTestBed, jobEnded } from './support/jobTestBed';

let bed: JobTestBed;

beforeAll(async () => {
  bed = await startJobTestBed();
  await bed.createCluster('c1', 1);
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

/** The job's lifecycle instance id (`job-<GUID>`; the GUID ends the job's output path segment). */
async function lifecycleOf(name: string): Promise<string> {
  const job = await bed.getJob(name);
  return `job-${String(job.jobOutputDirectoryPathSegment).split('/').at(-1)}`;
}

/**
 * Terminates the lifecycle instance (the job's record is left as it is) and waits until it has ended. The grant
 * records the job running before it starts the lifecycle, so the instance may not exist yet when the job reads
 * running: wait for it first.
 */
async function endLifecycle(name: string): Promise<void> {
  const instanceId = await lifecycleOf(name);
  await waitFor(`${instanceId} started`, async () => {
    const response = await bed.env.durableInstances('GET', instanceId);
    await response.arrayBuffer();
    return response.status === 404 ? undefined : true;
  });
  expect((await bed.env.durableInstances('POST', `${instanceId}/terminate?reason=test`)).status).toBe(202);
  await waitFor(`${instanceId} terminated`, async () => {
    const status = (await (await bed.env.durableInstances('GET', instanceId)).json()) as {
      runtimeStatus: string;
    };
    return status.runtimeStatus === 'Terminated' ? true : undefined;
  });
}

async function runReconciler(): Promise<void> {
  const response = await bed.env.invokeFunction('jobReconciler');
  expect(response.status).toBe(202);
}

function agentLog(): string {
  const dir = path.join(bed.dataDir, 'nodes', clusterTag(bed.clusterId('c1').toLowerCase()));
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => fs.readFileSync(path.join(dir, e.name, 'agent.log'), 'utf8'))
    .join('\n');
}

test('a running job whose lifecycle ended gets a new one that sees its process exit with the real code', async () => {
  const flag = path.join(bed.dataDir, 'release-still-running');
  await bed.putJob(
    'still-running',
    customJob(bed, 'c1', `while [ ! -e '${flag}' ]; do sleep 0.1; done; echo done; exit 3`),
  );
  await bed.waitForJob('still-running', 'running', (p) => p.executionState === 'running');
  await endLifecycle('still-running');
  await runReconciler();
  // The new lifecycle is running (it took the job up) before the process is let go.
  const instanceId = await lifecycleOf('still-running');
  await waitFor(`${instanceId} started again`, async () => {
    const status = (await (await bed.env.durableInstances('GET', instanceId)).json()) as {
      runtimeStatus: string;
    };
    return status.runtimeStatus === 'Running' ? true : undefined;
  });
  fs.writeFileSync(flag, '');
  const done = await bed.waitForJob('still-running', 'ended', jobEnded, 60_000);
  expect(done.executionState).toBe('failed');
  expect(done.executionInfo).toMatchObject({ exitCode: 3 });
  expect((done.attempts as unknown[]).length).toBe(1); // taken up, not run again
}, 120_000);

test('a job whose process exited while no lifecycle listened gets its exit from the node agent again', async () => {
  const flag = path.join(bed.dataDir, 'release-exited');
  const count = path.join(bed.dataDir, 'exited-runs');
  await bed.putJob(
    'exited',
    customJob(bed, 'c1', `echo run >> '${count}'; while [ ! -e '${flag}' ]; do sleep 0.1; done; exit 4`),
  );
  await bed.waitForJob('exited', 'running', (p) => p.executionState === 'running');
  await endLifecycle('exited');
  fs.writeFileSync(flag, '');
  await waitFor('the exit reported to no one', async () =>
    /task \S+ ended: exit code 4/.test(agentLog()) ? true : undefined,
  );
  expect((await bed.getJob('exited')).executionState).toBe('running');
  await runReconciler();
  const done = await bed.waitForJob('exited', 'ended', jobEnded, 60_000);
  expect(done.executionState).toBe('failed');
  expect(done.executionInfo).toMatchObject({ exitCode: 4 });
  expect(agentLog()).toMatch(/ran already: its exit is reported again/);
  expect(fs.readFileSync(count, 'utf8')).toBe('run\n'); // the process ran once
}, 120_000);

test('a job being terminated whose lifecycle ended has its process stopped and ends terminated', async () => {
  const pid = await bed.putLongJob('terminating', 'c1');
  await endLifecycle('terminating');
  // The terminate request finds no lifecycle to tell: the record says terminating, the process runs on.
  const terminate = await bed.api.send('POST', `${experiment}/jobs/terminating/terminate`);
  expect(terminate.status).toBe(202);
  await bed.waitForJob('terminating', 'terminating', (p) => p.executionState === 'terminating');
  expect(isAlive(pid)).toBe(true);
  await runReconciler();
  const done = await bed.waitForJob('terminating', 'ended', jobEnded, 60_000);
  expect(done.executionState).toBe('failed');
  expect(JSON.stringify(done.executionInfo)).toContain('terminated');
  await waitFor('the process to be stopped', async () => (isAlive(pid) ? undefined : true));
}, 120_000);

test("a queued job has no lifecycle; a cluster's ended scheduler is started again by the reconciler while jobs wait", async () => {
  const flag = path.join(bed.dataDir, 'release-blocker');
  await bed.putJob('blocker', customJob(bed, 'c1', `while [ ! -e '${flag}' ]; do sleep 0.1; done`));
  await bed.waitForJob('blocker', 'running', (p) => p.executionState === 'running');
  await bed.putJob('waiting', customJob(bed, 'c1', 'echo granted; exit 5'));
  await bed.waitForJob('waiting', 'explained', (p) => p.queueInfo !== undefined);
  expect((await bed.env.durableInstances('GET', await lifecycleOf('waiting'))).status).toBe(404);
  // The scheduler ends (an operator terminates it): nothing is left to look at the queue but the reconciler.
  const scheduler = `jobscheduler-${clusterTag(bed.clusterId('c1').toLowerCase())}`;
  const statusOf = async (instanceId: string): Promise<string | undefined> => {
    const response = await bed.env.durableInstances('GET', instanceId);
    // 202 while it runs, 200 once it ended, 404 when there is none.
    if (response.status === 404) return undefined;
    return ((await response.json()) as { runtimeStatus: string }).runtimeStatus;
  };
  expect((await bed.env.durableInstances('POST', `${scheduler}/terminate?reason=test`)).status).toBe(202);
  await waitFor('the scheduler terminated', async () =>
    (await statusOf(scheduler)) === 'Terminated' ? true : undefined,
  );
  await runReconciler();
  await waitFor('the scheduler running again', async () =>
    ['Running', 'Pending'].includes(String(await statusOf(scheduler))) ? true : undefined,
  );
  expect((await bed.getJob('waiting')).executionState).toBe('queued');
  fs.writeFileSync(flag, ''); // the node comes free: the grant starts the waiting job's lifecycle
  const done = await bed.waitForJob('waiting', 'ended', jobEnded, 60_000);
  expect(done.executionState).toBe('failed');
  expect(done.executionInfo).toMatchObject({ exitCode: 5 });
  expect((done.attempts as unknown[]).length).toBe(1);
  expect(await statusOf(await lifecycleOf('waiting'))).toBe('Completed');
}, 120_000);
