// End to end: a preempted node (a spot eviction from the IMDS fake) stops the job's gang, puts the job back in the
// queue, and the next attempt runs on another node, resuming from the previous attempt's checkpoint through
// AZ_BATCHAI_PREV_OUTPUT_<id>; attempts are listed and capped; a requeued job whose waiting lifecycle is gone gets a
// new one at its grant. Runs examples/checkpoint-training/train.py.
// Needs `npx tsc -p tsconfig.json` first.
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { startImdsFake, type ImdsFake } from '../../runtime/fakes/imdsFake';
import {
  listNodeDirs,
  readNodeFile,
  type LocalNodeFile,
} from '../../shared/adapters/compute/localNodeRegistry';
import { repoRoot, waitFor } from '../support/testEnvironment';
import { customJob, experiment, startJobTestBed, type JobTestBed, jobEnded } from './support/jobTestBed';

const trainScript = path.join(repoRoot, 'examples', 'checkpoint-training', 'train.py');
let imds: ImdsFake;
let bed: JobTestBed;

beforeAll(async () => {
  imds = await startImdsFake();
  bed = await startJobTestBed({
    COMPUTE_IMDS_URL: imds.baseUrl,
    JOB_NODE_CHECK_SECONDS: '2',
    JOB_MAX_ATTEMPTS: '2',
    JOB_TASK_VANISHED_SECONDS: '3',
    // Long watches continue as new after this many rounds: 2 makes every job here cross episodes.
    JOB_WATCH_ROUNDS_PER_EPISODE: '2',
  });
  await Promise.all([
    bed.createCluster('spot', 2),
    bed.createCluster('lossy', 2),
    bed.createCluster('capped', 2),
    bed.createCluster('restarted', 1),
    bed.createCluster('reimaged', 1),
    bed.createCluster('regranted', 1),
    bed.createCluster('frozen', 2),
  ]);
}, 120_000);

afterAll(async () => {
  await bed?.stop();
  await imds?.stop();
});

interface Attempt {
  attempt: number;
  nodeIds: string[];
  outcome?: string;
  reason?: string;
  startTime?: string;
  endTime?: string;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs until stopped on attempt 1 (printing its pid first); a later attempt says so and succeeds. */
function secondAttemptSucceeds(cluster: string): Record<string, unknown> {
  return customJob(
    bed,
    cluster,
    'if [ -n "$AZ_BATCHAI_PREV_OUTPUT_OUT" ]; then echo "resumed after $AZ_BATCHAI_PREV_OUTPUT_OUT"; exit 0; fi; echo $$; exec sleep 600',
    { outputDirectories: [{ id: 'OUT', pathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/afs' }] },
  );
}

/**
 * A node's agent crashes (its task launcher with it) and its service manager starts it again, logging where the
 * first one did. The node stays the same (its VM lives on): the local pool, which takes a dead agent for a dead VM,
 * must not see the moment between the two, so the old agent is frozen, `whileDown` runs, the new agent is started
 * and recorded as the node's, and only then is the old one killed.
 */
async function restartAgent(
  nodeDir: string,
  node: LocalNodeFile,
  whileDown = (): void => {},
): Promise<ChildProcess> {
  process.kill(-node.pid, 'SIGSTOP');
  whileDown();
  const log = fs.openSync(path.join(nodeDir, 'agent.log'), 'a');
  const agent = spawn(
    process.execPath,
    [path.join(repoRoot, 'dist', 'agent', 'main.js'), '--config', node.configPath],
    {
      cwd: nodeDir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? nodeDir },
      detached: true,
      stdio: ['ignore', log, log],
    },
  );
  fs.closeSync(log);
  fs.writeFileSync(path.join(nodeDir, 'node.json'), JSON.stringify({ ...node, pid: agent.pid }));
  process.kill(-node.pid, 'SIGKILL');
  await waitFor('the first agent to be gone', async () => (processAlive(node.pid) ? undefined : true));
  return agent;
}

/** Submits `secondAttemptSucceeds` as `job` and waits for attempt 1's process: its pid, attempt and node. */
async function firstAttemptRunning(
  job: string,
  cluster: string,
): Promise<{ pid: number; first: Attempt; nodeDir: string; node: LocalNodeFile }> {
  await bed.putJob(job, secondAttemptSucceeds(cluster));
  const pid = await waitFor('the pid on live stdout', async () => {
    const text = await bed.stdoutOf(job);
    return /^\d+\n/.test(text) ? Number(text.trim()) : undefined;
  });
  const first = ((await bed.getJob(job)).attempts as Attempt[])[0];
  const nodeDir = listNodeDirs(bed.dataDir).find((dir) => path.basename(dir) === first.nodeIds[0])!;
  return { pid, first, nodeDir, node: readNodeFile(nodeDir)! };
}

function trainingJob(epochs: number): Record<string, unknown> {
  return customJob(bed, 'spot', `python3 ${trainScript} --epochs ${epochs} --epoch-seconds 0.5`, {
    outputDirectories: [{ id: 'MODEL', pathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/afs' }],
  });
}

test('a preempted job is requeued and its next attempt resumes from the checkpoint on another node', async () => {
  await bed.putJob('train', trainingJob(8));
  await waitFor('epoch 2 on live stdout', async () =>
    (await bed.stdoutOf('train')).includes('epoch 2 ') ? true : undefined,
  );
  const first = ((await bed.getJob('train')).attempts as Attempt[])[0];
  imds.schedule('Preempt', [first.nodeIds[0]], 5_000);

  const done = await bed.waitForJob('train', 'ended', jobEnded, 90_000);
  expect(done.executionState).toBe('succeeded');
  const attempts = done.attempts as Attempt[];
  expect(attempts).toHaveLength(2);
  // What the lifecycle saw first: the node's record (leaving: Preempt scheduled) or the task's exit (evicted).
  expect(attempts[0]).toMatchObject({
    attempt: 1,
    outcome: 'preempted',
    reason: expect.stringMatching(/Preempt/),
  });
  expect(attempts[1]).toMatchObject({ attempt: 2, outcome: 'succeeded' });
  expect(attempts[1].nodeIds[0]).not.toBe(first.nodeIds[0]);
  // The listing shows the latest attempt's files: it resumed where attempt 1 checkpointed.
  const stdout = await bed.stdoutOf('train');
  const resumed = /^resumed from epoch (\d+)$/m.exec(stdout);
  expect(resumed).not.toBeNull();
  expect(Number(resumed![1])).toBeGreaterThanOrEqual(2);
  expect(stdout).toContain('epoch 8 loss');
  expect(stdout).not.toContain('epoch 1 loss');

  // The model and the last checkpoint are listed in the MODEL output directory with working links.
  const listing = await bed.api.send(
    'POST',
    bed.api.url(`${experiment}/jobs/train/listOutputFiles`, { outputdirectoryid: 'MODEL' }),
  );
  const files = listing.body.value as { name: string; downloadUrl: string }[];
  expect(files.map((f) => f.name).sort()).toEqual(['checkpoint.json', 'model.json']);
  const model = (await (await fetch(files.find((f) => f.name === 'model.json')!.downloadUrl)).json()) as {
    epochs: number;
    weight: number;
  };
  expect(model.epochs).toBe(8);
  expect(model.weight).toBeCloseTo(1 - 0.5 ** 8, 6);
}, 180_000);

test('a node lost without notice (agent killed, no heartbeats) requeues its job onto a healthy node', async () => {
  const { pid, first, node } = await firstAttemptRunning('lost', 'lossy');
  // The VM is gone: its agent and the job's process die together, and nothing is reported.
  process.kill(-node.pid, 'SIGKILL');
  if (processAlive(pid)) process.kill(pid, 'SIGKILL');

  const done = await bed.waitForJob('lost', 'ended', jobEnded, 90_000);
  expect(done.executionState).toBe('succeeded');
  const attempts = done.attempts as Attempt[];
  expect(attempts.map((a) => a.outcome)).toEqual(['preempted', 'succeeded']);
  expect(attempts[1].nodeIds[0]).not.toBe(first.nodeIds[0]);
  expect(await bed.stdoutOf('lost')).toMatch(/^resumed after \/\S+\/outputs\n$/);
}, 180_000);

test('a node whose agent froze (no heartbeats) while its task runs: the job runs again only once that task is stopped', async () => {
  const { pid, first, node } = await firstAttemptRunning('frozen', 'frozen');
  // The agent hangs (a partition would do the same): no heartbeats, while the job's process, in its own process
  // group, runs on. The node is lost; the job must not run again beside that process.
  process.kill(-node.pid, 'SIGSTOP');
  try {
    await waitFor(
      'attempt 2',
      async () => (((await bed.getJob('frozen')).attempts as Attempt[]).length >= 2 ? true : undefined),
      90_000,
    );
    expect(processAlive(pid)).toBe(false);
    const done = await bed.waitForJob('frozen', 'ended', jobEnded, 90_000);
    expect(done.executionState).toBe('succeeded');
    const attempts = done.attempts as Attempt[];
    expect(attempts.map((a) => a.outcome)).toEqual(['preempted', 'succeeded']);
    expect(attempts[1].nodeIds[0]).not.toBe(first.nodeIds[0]);
  } finally {
    if (processAlive(node.pid)) process.kill(-node.pid, 'SIGKILL');
  }
}, 180_000);

test('a job whose node agent crashed and came back is requeued at once: the agent stops the task it finds in its journal', async () => {
  const { pid, nodeDir, node } = await firstAttemptRunning('orphaned', 'restarted');
  // The agent crashes; the job's process, in its own process group, lives on. A service manager starts the agent
  // again at once, well before the node's heartbeats are missed.
  const agent = await restartAgent(nodeDir, node);
  try {
    const done = await bed.waitForJob('orphaned', 'ended', jobEnded, 90_000);
    expect(done.executionState).toBe('succeeded');
    const attempts = done.attempts as Attempt[];
    expect(attempts.map((a) => a.outcome)).toEqual(['preempted', 'succeeded']);
    expect(attempts[0].reason).toBe('The node agent restarted while the task ran (its process was stopped).');
    expect(await bed.stdoutOf('orphaned')).toMatch(/^resumed after \/\S+\/outputs\n$/);
    expect(processAlive(pid)).toBe(false);
    // The requeue came from the journal (the node was never lost: its agent came back within the heartbeat window).
    expect(fs.readFileSync(path.join(nodeDir, 'agent.log'), 'utf8')).toContain(
      'was running when the previous agent ended: stopped',
    );
  } finally {
    if (processAlive(agent.pid!)) process.kill(-agent.pid!, 'SIGKILL');
  }
}, 180_000);

test('a job whose node lost its task without an exit (the agent came back without its journal) is requeued', async () => {
  const { pid, nodeDir, node } = await firstAttemptRunning('wiped', 'reimaged');
  // The node restarts from a fresh disk: its processes are gone, and so is the agent's task journal.
  const agent = await restartAgent(nodeDir, node, () => {
    process.kill(pid, 'SIGKILL');
    fs.rmSync(path.join(nodeDir, 'state', 'tasks.ndjson'));
  });
  try {
    const done = await bed.waitForJob('wiped', 'ended', jobEnded, 90_000);
    expect(done.executionState).toBe('succeeded');
    const attempts = done.attempts as Attempt[];
    expect(attempts.map((a) => a.outcome)).toEqual(['preempted', 'succeeded']);
    // Its heartbeats stopped listing the task and no exit came: the job's node check found it lost.
    expect(attempts[0].reason).toMatch(
      /^The node \S+ no longer runs the task \S+ and reported no exit for it/,
    );
    expect(await bed.stdoutOf('wiped')).toMatch(/^resumed after \/\S+\/outputs\n$/);
  } finally {
    if (processAlive(agent.pid!)) process.kill(-agent.pid!, 'SIGKILL');
  }
}, 180_000);

test('a requeued job whose waiting lifecycle is gone is taken up by a new one when its grant comes', async () => {
  const { nodeDir, node } = await firstAttemptRunning('regranted', 'regranted');
  // A high-priority job waits for the cluster's one node: it takes the node when the first attempt ends.
  const flag = path.join(bed.dataDir, 'release-urgent');
  await bed.putJob(
    'urgent',
    customJob(bed, 'regranted', `while [ ! -e '${flag}' ]; do sleep 0.1; done`, {
      schedulingPriority: 'high',
    }),
  );
  await bed.waitForJob('urgent', 'explained', (p) => p.queueInfo !== undefined);
  // The agent restarts and stops the task it finds in its journal: attempt 1 ends, the job is requeued behind
  // the high-priority one, and its lifecycle continues as new, waiting for its next grant.
  const agent = await restartAgent(nodeDir, node);
  try {
    await bed.waitForJob('urgent', 'running', (p) => p.executionState === 'running');
    const waiting = await bed.waitForJob(
      'regranted',
      'requeued',
      (p) => p.executionState === 'queued' && (p.attempts as Attempt[]).length === 1,
    );
    expect((waiting.attempts as Attempt[])[0].outcome).toBe('preempted');
    // Its lifecycle is lost meanwhile (an operator purged it, or the task hub was replaced).
    const instanceId = `job-${String(waiting.jobOutputDirectoryPathSegment).split('/').at(-1)}`;
    const statusOf = async (): Promise<number> => {
      const response = await bed.env.durableInstances('GET', instanceId);
      await response.arrayBuffer();
      return response.status;
    };
    expect(await statusOf()).toBe(202); // running: waiting for its grant
    expect((await bed.env.durableInstances('POST', `${instanceId}/terminate?reason=test`)).status).toBe(202);
    await waitFor(`${instanceId} ended`, async () => ((await statusOf()) === 200 ? true : undefined));
    expect((await bed.env.durableInstances('DELETE', instanceId)).status).toBe(200);
    expect(await statusOf()).toBe(404);
    // The node comes free: the pass grants the job and finds no lifecycle to tell, so it starts one.
    fs.writeFileSync(flag, '');
    const done = await bed.waitForJob('regranted', 'ended', jobEnded, 60_000);
    expect(done.executionState).toBe('succeeded');
    expect((done.attempts as Attempt[]).map((a) => a.outcome)).toEqual(['preempted', 'succeeded']);
    expect(await bed.stdoutOf('regranted')).toMatch(/^resumed after \/\S+\/outputs\n$/);
    expect(bed.env.hostOutput()).toContain(`${instanceId} had ended: started again`);
  } finally {
    if (processAlive(agent.pid!)) process.kill(-agent.pid!, 'SIGKILL');
  }
}, 180_000);

test('a job preempted in every allowed attempt fails as JobPreempted with its attempts listed', async () => {
  await bed.putJob(
    'unlucky',
    customJob(bed, 'capped', 'echo "attempt on $AZ_BATCHAI_NODE_ID"; exec sleep 600'),
  );
  for (const attempt of [1, 2]) {
    const running = await bed.waitForJob(
      'unlucky',
      `running attempt ${attempt}`,
      (p) => p.executionState === 'running' && (p.attempts as Attempt[]).length === attempt,
    );
    // Preempt only once the process runs (its first line is on stdout), so its SIGTERM is the eviction's.
    await waitFor(`attempt ${attempt} printing`, async () =>
      (await bed.stdoutOf('unlucky')).startsWith('attempt on') ? true : undefined,
    );
    imds.schedule('Preempt', [(running.attempts as Attempt[])[attempt - 1].nodeIds[0]], 5_000);
  }
  const done = await bed.waitForJob('unlucky', 'ended', jobEnded, 90_000);
  expect(done.executionState).toBe('failed');
  const attempts = done.attempts as Attempt[];
  expect(attempts.map((a) => a.outcome)).toEqual(['preempted', 'preempted']);
  expect(new Set(attempts.map((a) => a.nodeIds[0])).size).toBe(2);
  const errors = (done.executionInfo as { errors: { code: string; message: string }[] }).errors;
  expect(errors[0].code).toBe('JobPreempted');
  expect(errors[0].message).toContain('2 attempt(s)');
}, 180_000);
