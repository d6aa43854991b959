// End to end on local nodes with a stand-in docker CLI (test/fixtures/fakeDocker: no Docker engine exists here; it
// runs each container's command on the host and keeps its file system as a directory): what a job's preparation
// installed in its container is there for the job's processes on that node, as in Batch AI (its Horovod recipe
// installs Horovod in jobPreparation), and a job without a preparation runs from its own image as before.
// Needs `npx tsc -p tsconfig.json` first.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { waitFor } from '../support/testEnvironment';
import { customJob, experiment, startJobTestBed, type JobTestBed, jobEnded } from './support/jobTestBed';

let bed: JobTestBed;
let binDir: string;

beforeAll(async () => {
  binDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-docker-'));
  fs.copyFileSync(
    path.join(__dirname, '..', 'fixtures', 'fakeDocker', 'docker'),
    path.join(binDir, 'docker'),
  );
  fs.chmodSync(path.join(binDir, 'docker'), 0o755);
  // The node agents inherit the host's PATH: they find this docker first.
  bed = await startJobTestBed({ PATH: `${binDir}:${process.env.PATH ?? '/usr/bin:/bin'}` });
  await bed.createCluster('boxes', 1);
}, 120_000);

afterAll(async () => {
  await bed?.stop();
  if (binDir) fs.rmSync(binDir, { recursive: true, force: true });
});

function dockerCalls(): string[] {
  const log = path.join(binDir, 'state', 'calls.log');
  if (!fs.existsSync(log)) return [];
  return fs.readFileSync(log, 'utf8').trim().split('\n');
}

test("the job's processes start from what its preparation installed in the container on that node", async () => {
  await bed.putJob(
    'horovod',
    customJob(bed, 'boxes', 'cat "$FAKE_CONTAINER_ROOT/site-packages/horovod"', {
      containerSettings: { imageSourceRegistry: { image: 'tensorflow/tensorflow:1.8.0-gpu' } },
      jobPreparation: {
        commandLine:
          'mkdir -p "$FAKE_CONTAINER_ROOT/site-packages" && echo "horovod 0.13.4" > "$FAKE_CONTAINER_ROOT/site-packages/horovod"',
      },
    }),
  );
  const done = await bed.waitForJob('horovod', 'ended', jobEnded);
  expect(done.executionState).toBe('succeeded');
  expect(await bed.stdoutOf('horovod')).toBe('horovod 0.13.4\n');

  const calls = dockerCalls();
  const preparation = calls.findIndex((c) => c.startsWith('run ') && c.includes('-job_prep-'));
  expect(preparation).toBeGreaterThanOrEqual(0);
  const prepCall = calls[preparation].split(' ');
  expect(prepCall).not.toContain('--rm'); // kept until committed
  expect(prepCall).toContain('tensorflow/tensorflow:1.8.0-gpu');
  const container = prepCall[prepCall.indexOf('--name') + 1];
  const commit = calls.find((c) => c.startsWith('commit ') && c.includes(` ${container} `))!;
  expect(commit).toMatch(
    new RegExp(`^commit (--change ENV \\w+= )+${container} batchai-prepared-[0-9a-f]{32}$`),
  );
  // The variables the container got are emptied in the image: no value of the job stays on disk.
  expect(commit).toContain('--change ENV AZ_BATCHAI_JOB_NAME=');
  const image = commit.split(' ').at(-1)!;
  expect(calls.indexOf(`rm -f ${container}`)).toBeGreaterThan(calls.indexOf(commit));
  const main = calls.find((c) => c.startsWith('run ') && c.includes(` ${image} `))!;
  expect(main.split(' ')).toContain('--rm');
  expect(calls.indexOf(main)).toBeGreaterThan(calls.indexOf(commit));
  // The prepared container itself is gone.
  expect(fs.existsSync(path.join(binDir, 'state', 'containers', container))).toBe(false);
}, 120_000);

test('a container job without a preparation runs from its own image, removed with its container, nothing kept', async () => {
  const before = dockerCalls().length;
  await bed.putJob(
    'plain',
    customJob(bed, 'boxes', 'echo "in $FAKE_CONTAINER_ROOT"', {
      containerSettings: { imageSourceRegistry: { image: 'python:3.12-slim' } },
    }),
  );
  const done = await bed.waitForJob('plain', 'ended', jobEnded);
  expect(done.executionState).toBe('succeeded');
  const calls = dockerCalls().slice(before);
  const runs = calls.filter((c) => c.startsWith('run '));
  expect(runs).toHaveLength(1);
  expect(runs[0].split(' ')).toEqual(expect.arrayContaining(['--rm', 'python:3.12-slim']));
  expect(calls.filter((c) => c.startsWith('commit '))).toEqual([]);
}, 120_000);

test('a preparation that fails keeps nothing and fails the job with its exit code', async () => {
  const before = dockerCalls().length;
  await bed.putJob(
    'broken',
    customJob(bed, 'boxes', 'echo never', {
      containerSettings: { imageSourceRegistry: { image: 'tensorflow/tensorflow:1.8.0-gpu' } },
      jobPreparation: { commandLine: 'echo "no such package" >&2; exit 3' },
    }),
  );
  const done = await bed.waitForJob('broken', 'ended', jobEnded);
  expect(done.executionState).toBe('failed');
  expect((done.executionInfo as { errors: { code: string }[] }).errors[0].code).toBe('JobPreparationFailed');
  const calls = dockerCalls().slice(before);
  expect(calls.filter((c) => c.startsWith('commit '))).toEqual([]);
  const run = calls.find((c) => c.startsWith('run '))!.split(' ');
  const container = run[run.indexOf('--name') + 1];
  expect(calls).toContain(`rm -f ${container}`);
}, 120_000);

test("a multi-node job in containers runs the job's container on every node, all labelled with the attempt", async () => {
  await bed.createCluster('pair', 2);
  const before = dockerCalls().length;
  // The master waits (up to 30 s) for the other node's container: a master that ended first would have the other
  // node's container stopped before its run message was even taken, and nothing would be left to see there.
  const runsSoFar = dockerCalls().filter((c) => c.startsWith('run ')).length;
  const log = path.join(binDir, 'state', 'calls.log');
  const bothRunning =
    `for i in $(seq 300); do [ "$(grep -c '^run ' '${log}')" -ge ${runsSoFar + 2} ] && break; sleep 0.1; done; ` +
    'echo "master in $FAKE_CONTAINER_ROOT"';
  await bed.putJob('gang', {
    ...customJob(bed, 'pair', bothRunning),
    nodeCount: 2,
    containerSettings: { imageSourceRegistry: { image: 'horovod/horovod:0.13' } },
  });
  const done = await bed.waitForJob('gang', 'ended', jobEnded);
  expect(done.executionState).toBe('succeeded');
  const runs = dockerCalls()
    .slice(before)
    .filter((c) => c.startsWith('run '))
    .map((c) => c.split(' '));
  expect(runs).toHaveLength(2); // the master's command, and the other node's host container
  const labels = runs.map((args) => args[args.indexOf('--label') + 1]);
  expect(labels[0]).toMatch(/^batchai\.attempt=[0-9a-f]{24}$/);
  expect(labels[1]).toBe(labels[0]);
  expect(runs.map((args) => args[args.indexOf('--name') + 1]).sort()).toEqual([
    expect.stringMatching(/-1-job_node-1$/),
    expect.stringMatching(/-1-master$/),
  ]);
  // Local nodes have no intra-cluster SSH: nothing of it is mounted.
  expect(runs.flat().join(' ')).not.toContain('/batchai/ssh');
  // The containers keep their image's PATH and HOME.
  for (const args of runs) {
    expect(args.filter((arg, i) => args[i - 1] === '-e')).not.toEqual(expect.arrayContaining(['PATH']));
    expect(args.filter((arg, i) => args[i - 1] === '-e')).not.toEqual(expect.arrayContaining(['HOME']));
  }
  // The other node's container was stopped through the engine too, not only its docker client.
  const host = runs.find((args) => args[args.indexOf('--name') + 1].endsWith('-1-job_node-1'))!;
  const name = host[host.indexOf('--name') + 1];
  await waitFor('the docker kill and the kill in the host container', async () =>
    dockerCalls().includes(`kill --signal=SIGTERM ${name}`) &&
    dockerCalls().includes(`exec ${name} sh -c kill -TERM -1`)
      ? true
      : undefined,
  );
  // The host container was stopped with the job: none is left running.
  expect(fs.readdirSync(path.join(binDir, 'state', 'running'))).toEqual([]);
}, 120_000);

test("terminating a job in a container gives its program (not only the container's shell) SIGTERM to checkpoint", async () => {
  const program = [
    'import signal, sys, time',
    'def stop(*_):',
    '    print("checkpoint saved", flush=True)',
    '    sys.exit(0)',
    'signal.signal(signal.SIGTERM, stop)',
    'print("training", flush=True)',
    'time.sleep(600)',
  ].join('\n');
  const script = path.join(binDir, 'train.py');
  fs.writeFileSync(script, program);
  await bed.putJob(
    'checkpoint',
    // `; true`: the container's first process stays the shell (a shell may exec a lone last command instead).
    customJob(bed, 'boxes', `python3 -u ${script}; true`, {
      containerSettings: { imageSourceRegistry: { image: 'pytorch/pytorch:latest' } },
    }),
  );
  await waitFor('the program running', async () =>
    (await bed.stdoutOf('checkpoint')).includes('training') ? true : undefined,
  );
  await bed.api.send('POST', `${experiment}/jobs/checkpoint/terminate`);
  const done = await bed.waitForJob('checkpoint', 'ended', jobEnded);
  expect(done.executionState).toBe('failed');
  expect((done.executionInfo as { errors: { code: string }[] }).errors[0].code).toBe('JobTerminated');
  expect(await bed.stdoutOf('checkpoint')).toBe('training\ncheckpoint saved\n');
}, 120_000);
