// Benchmark: the job path on local nodes through the real runtime and API (the three figures).
// (1) submit-to-start on an idle node: PUT answered -> the trivial job's process starts (it appends
// `date +%s%N` to a file), p50/p99, plus PUT -> `running` visible in GET and a breakdown of where one job's
// time goes; (2) throughput: 500 trivial jobs on 4 node slots (4 one-slot local nodes), jobs/s from the first PUT
// to the last `succeeded`, and the CPU each job cost (machine-wide and by process role, from /proc), where a node's
// cycle goes (its idle time between jobs, the scheduling passes' durations, from the logs), on the fresh stack, then
// again warm; then the same on the 4 job slots of one node (`jobSlotsPerNode`), on a stack of its own, fresh then
// warm; (3) preemption recovery: an IMDS Preempt for a running job's node -> the next attempt's process starts;
// (4) a waiting queue: what 1,000 jobs queued behind a busy node cost the stack while they wait (CPU per second by
// process role, function invocations); (5) listing the experiment's jobs after the bursts (1,030 jobs), wall time
// and CPU per list. Figures only: the machine is shared.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startImdsFake } from '../runtime/fakes/imdsFake';
import { readComputeConfig } from '../shared/config/computeConfig';
import { cpuPerUnit, cpuSnapshot } from './cpuUsage';
import { webhookPath } from '../runtime/durable/managementApi';
import { customJob, experiment, startJobTestBed, type JobTestBed } from '../test/jobs/support/jobTestBed';

const singleRuns = Number(process.env.BENCH_JOBS_SINGLE ?? 30);
const burstJobs = Number(process.env.BENCH_JOBS_BURST ?? 500);
const recoveryRuns = Number(process.env.BENCH_JOBS_RECOVERY ?? 3);
const waitingJobs = Number(process.env.BENCH_JOBS_WAITING ?? 1_000);
const waitingSeconds = Number(process.env.BENCH_JOBS_WAITING_SECONDS ?? 60);
/**
 * The compute timings `npm start` runs with (local defaults: heartbeats every 2 s, a monitor pass every 5 s) instead
 * of the job test bed's quicker ones for tests (1 s, 2 s), whose background traffic is not what a user's machine
 * carries.
 */
function localComputeTimings(): Record<string, string> {
  const { timings } = readComputeConfig({ AzureWebJobsStorage: 'unused', DATA_DIR: os.tmpdir() });
  return {
    COMPUTE_HEARTBEAT_SECONDS: String(timings.heartbeatMs / 1000),
    COMPUTE_NODE_LOST_AFTER_SECONDS: String(timings.nodeLostAfterMs / 1000),
    COMPUTE_MONITOR_INTERVAL_SECONDS: String(timings.monitorIntervalMs / 1000),
  };
}

/** What `npm start` runs with (runtime/start.ts): host.json's queue polling backoff capped for local runs. */
const localSettings: Record<string, string> = {
  ...localComputeTimings(),
  ...(process.env.BENCH_JOBS_AZURE_POLLING
    ? {}
    : { AzureFunctionsJobHost__extensions__queues__maxPollingInterval: '00:00:01' }),
};

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Wall-clock ms of the first start line written by a job (`date +%s%N`), or undefined while none. */
function startTimes(file: string): number[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => /^\d+$/.test(line))
    .map((line) => Number(BigInt(line) / 1_000_000n));
}

async function poll<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function submit(bed: JobTestBed, name: string, properties: Record<string, unknown>): Promise<number> {
  const response = await bed.api.send('PUT', `${experiment}/jobs/${name}`, { properties });
  if (response.status !== 202 && response.status !== 200) {
    throw new Error(`PUT job ${name}: ${response.status} ${response.text}`);
  }
  return Date.now();
}

/**
 * The lifecycle orchestration's creation time (durable HTTP API) of the job instance created after `since` (the
 * PUT; one job at a time, so no other job's lifecycle is created after it).
 */
async function orchestrationCreated(bed: JobTestBed, since: number): Promise<number | undefined> {
  const url = new URL(`${bed.env.baseUrl}${webhookPath}/instances`);
  url.searchParams.set('code', bed.env.masterKey);
  url.searchParams.set('instanceIdPrefix', 'job-');
  url.searchParams.set('createdTimeFrom', new Date(since).toISOString());
  const response = await fetch(url);
  const items = (await response.json()) as { createdTime: string }[];
  const times = items.map((i) => Date.parse(i.createdTime)).filter((t) => t >= since);
  return times.length > 0 ? Math.max(...times) : undefined;
}

interface Attempt {
  nodeIds: string[];
  startTime?: string;
}

/** `print` false: the same jobs as a warm-up only (a second stack is given what the first had before its burst). */
async function submitToStart(bed: JobTestBed, dir: string, print = true): Promise<void> {
  const toStart: number[] = [];
  const sentToStart: number[] = [];
  const toRunning: number[] = [];
  const stages: Record<string, number[]> = { putAnswered: [], orchestration: [], granted: [], process: [] };
  for (let i = 0; i < singleRuns; i++) {
    const name = `single-${i}`;
    const file = path.join(dir, name);
    const sent = Date.now();
    const answered = await submit(bed, name, customJob(bed, 'bench', `date +%s%N >> ${file}`));
    const running = await poll(`${name} running`, async () => {
      const job = await bed.getJob(name);
      return ['running', 'succeeded', 'failed'].includes(String(job.executionState)) ? job : undefined;
    });
    const runningSeen = Date.now();
    const started = await poll(`${name} process start`, async () => startTimes(file)[0]);
    const granted = Date.parse(String((running.attempts as Attempt[] | undefined)?.[0]?.startTime));
    const created = await orchestrationCreated(bed, sent);
    toStart.push(started - answered);
    sentToStart.push(started - sent);
    toRunning.push(runningSeen - answered);
    stages.putAnswered.push(answered - sent);
    if (!Number.isNaN(granted)) {
      stages.granted.push(granted - answered);
      stages.process.push(started - granted);
      if (created !== undefined) stages.orchestration.push(created - granted);
    }
    await poll(`${name} ended`, async () => {
      const job = await bed.getJob(name);
      return ['succeeded', 'failed'].includes(String(job.executionState)) ? true : undefined;
    });
  }
  if (!print) return;
  const p = (values: number[]): string =>
    values.length === 0 ? 'n/a' : `p50 ${percentile(values, 50)} ms, p99 ${percentile(values, 99)} ms`;
  process.stdout.write(
    `submit-to-start on an idle node (${singleRuns} jobs, one at a time):\n` +
      `  PUT answered -> process started:   ${p(toStart)}\n` +
      `  PUT sent -> process started:       ${p(sentToStart)}\n` +
      `  PUT answered -> running in GET:    ${p(toRunning)}\n` +
      `  breakdown (p50 of each step):\n` +
      `    PUT sent -> PUT answered (job recorded, scheduler signalled):  ${percentile(stages.putAnswered, 50)} ms\n` +
      `    PUT answered -> granted (scheduler pass, running):             ${percentile(stages.granted, 50)} ms\n` +
      `    granted -> process started (launch, node task queue, agent):   ${percentile(stages.process, 50)} ms\n` +
      `    granted -> lifecycle orchestration created (after the launch): ${percentile(stages.orchestration, 50)} ms\n`,
  );
}

/**
 * Function invocations per job in a slice of the host's log (its "Executing 'Functions.<name>'" lines), by
 * function, most frequent first: what the host's share of a job's CPU is spent on.
 */
function invocationsPerJob(log: string, jobs: number): string {
  const counts = new Map<string, number>();
  for (const match of log.matchAll(/Executing 'Functions\.([^']+)'/g)) {
    counts.set(match[1], (counts.get(match[1]) ?? 0) + 1);
  }
  const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
  const parts = [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} ${(n / jobs).toFixed(2)}`);
  return `function invocations per job: ${(total / jobs).toFixed(2)} (${parts.join(', ')})`;
}

/**
 * Where a node's cycle goes, from the burst's own logs: how long each node sat idle between a process's exit and
 * its next process's start (its agent's log lines, since `since`), and how long the cluster's scheduling passes
 * took (the host's `Executed 'Functions.ScheduleJobs'` lines): passes run one at a time per cluster, so an exit
 * waits for the pass under way and then for the next.
 */
function nodeCycle(bed: JobTestBed, cluster: string, hostLog: string, since: number, jobs: number): string {
  const gaps: number[] = [];
  const nodesRoot = path.join(bed.dataDir, 'nodes');
  for (const pool of fs.readdirSync(nodesRoot).filter((dir) => dir.startsWith(`${cluster}-`))) {
    for (const node of fs.readdirSync(path.join(nodesRoot, pool)).filter((n) => n.startsWith('node-'))) {
      const logFile = path.join(nodesRoot, pool, node, 'agent.log');
      if (!fs.existsSync(logFile)) continue;
      let ended: number | undefined;
      for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
        const entry = /^\{"time":"([^"]+)".*"message":"task \S+ (started|ended)/.exec(line);
        const time = entry ? Date.parse(entry[1]) : NaN;
        if (!entry || time < since) continue;
        if (entry[2] === 'ended') ended = time;
        else if (ended !== undefined) {
          gaps.push(time - ended);
          ended = undefined;
        }
      }
    }
  }
  const passes = [
    ...hostLog.matchAll(/Executed 'Functions\.ScheduleJobs' \(Succeeded, Id=\S+, Duration=(\d+)ms\)/g),
  ].map((match) => Number(match[1]));
  const mean = (values: number[]) =>
    Math.round(values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length));
  return (
    `node idle from an exit to its next start: p50 ${percentile(gaps, 50)} ms, mean ${mean(gaps)} ms ` +
    `(${gaps.length} gaps); scheduling passes: ${passes.length} (${(passes.length / jobs).toFixed(2)} per job), ` +
    `p50 ${percentile(passes, 50)} ms, mean ${mean(passes)} ms`
  );
}

/**
 * A burst on `cluster`: 'burst' (4 one-slot nodes) or 'packed' (one node with `jobSlotsPerNode: 4`), each on a test
 * bed of its own. The 'fresh' round runs on a stack that has served at most the submit-to-start jobs and on nodes
 * just started (every process still warming up: its code not yet optimized by V8, caches empty); the 'warm' round
 * runs the same burst again on the same stack and nodes, as a stack that has been running a while would.
 */
async function throughput(
  bed: JobTestBed,
  cluster: 'burst' | 'packed',
  round: 'fresh' | 'warm',
): Promise<void> {
  const logBefore = bed.env.hostOutput().length;
  const cpuBefore = cpuSnapshot();
  const start = Date.now();
  const names = Array.from({ length: burstJobs }, (_, i) => `${cluster}-${round}-${i}`);
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < names.length) await submit(bed, names[next++], customJob(bed, cluster, 'true'));
    }),
  );
  const submitted = Date.now() - start;
  // Watching must not load the machine more than the jobs do: one point read of the last job every 50 ms, then
  // the experiment's job list (pages of full records) for the others; one still running is watched the same way.
  const pending = new Set(names);
  while (pending.size > 0) {
    const watched = [...pending].at(-1)!;
    await poll(`${watched} ended`, async () => ((await jobState(bed, watched)) ? true : undefined), 600_000);
    for (const [name, state] of await jobStates(bed)) {
      if (state === 'failed') throw new Error(`${name} failed`);
      if (state === 'succeeded') pending.delete(name);
    }
  }
  const total = Date.now() - start;
  const cpu = cpuPerUnit(cpuBefore, cpuSnapshot(), burstJobs);
  // BENCH_JOBS_HOST_LOG=<file>: the host's log of the whole run so far, to study a run's passes and invocations.
  if (process.env.BENCH_JOBS_HOST_LOG)
    fs.writeFileSync(process.env.BENCH_JOBS_HOST_LOG, bed.env.hostOutput());
  const what =
    round === 'fresh' ? `fresh stack and node${cluster === 'burst' ? 's' : ''}` : 'the same again, warm';
  const slots =
    cluster === 'packed'
      ? '4 node slots (1 local node, jobSlotsPerNode 4)'
      : '4 node slots (4 one-slot local nodes)';
  const hostLog = bed.env.hostOutput().slice(logBefore);
  process.stdout.write(
    `throughput, ${what}: ${burstJobs} trivial jobs on ${slots}: submitted in ` +
      `${submitted} ms, all succeeded after ${total} ms = ${((burstJobs * 1000) / total).toFixed(1)} jobs/s\n` +
      `  ${cpu}\n` +
      `  ${invocationsPerJob(hostLog, burstJobs)}\n` +
      // A node's idle time between jobs is a one-slot figure.
      (cluster === 'packed' ? '' : `  ${nodeCycle(bed, cluster, hostLog, start, burstJobs)}\n`),
  );
}

/**
 * What a queue costs while it waits: `waitingJobs` jobs submitted behind a job that holds the cluster's one node,
 * then the stack's CPU per second by process role over `waitingSeconds`, and the host's function invocations then
 * (its cluster monitor's and the busy node's heartbeats' included). A queued job has no orchestration of its own.
 */
async function waitingQueue(bed: JobTestBed): Promise<void> {
  await bed.createCluster('held', 1);
  await submit(bed, 'holder', customJob(bed, 'held', 'exec sleep 3600'));
  await poll('the holder running', async () =>
    (await bed.getJob('holder')).executionState === 'running' ? true : undefined,
  );
  const names = Array.from({ length: waitingJobs }, (_, i) => `waiting-${i}`);
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < names.length) await submit(bed, names[next++], customJob(bed, 'held', 'true'));
    }),
  );
  const logBefore = bed.env.hostOutput().length;
  const cpuBefore = cpuSnapshot();
  await new Promise((r) => setTimeout(r, waitingSeconds * 1000));
  const cpu = cpuPerUnit(cpuBefore, cpuSnapshot(), waitingSeconds, 'second');
  const counts = new Map<string, number>();
  for (const [, name] of bed.env
    .hostOutput()
    .slice(logBefore)
    .matchAll(/Executing 'Functions\.(\w+)'/g))
    counts.set(name, (counts.get(name) ?? 0) + 1);
  const invocations = [...counts].sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name} ${n}`);
  process.stdout.write(
    `a waiting queue: ${waitingJobs} jobs queued behind a busy node, the ${waitingSeconds} s after their PUTs:\n` +
      `  ${cpu}\n` +
      `  function invocations: ${invocations.join(', ') || 'none'}\n`,
  );
}

/**
 * What listing a large experiment costs (the dashboard's and the CLI's job list): `listRuns` lists of all the
 * experiment's jobs (pages of up to 1,000 through the API, as `jobStates` reads them), one at a time, with the wall
 * time of each and the CPU of all by process role.
 */
async function listingCost(bed: JobTestBed): Promise<void> {
  const listRuns = 10;
  const times: number[] = [];
  let jobs = 0;
  const cpuBefore = cpuSnapshot();
  for (let i = 0; i < listRuns; i++) {
    const started = Date.now();
    jobs = (await jobStates(bed)).size;
    times.push(Date.now() - started);
  }
  process.stdout.write(
    `listing the experiment's ${jobs} jobs (${listRuns} lists, one at a time): p50 ${percentile(times, 50)} ms, ` +
      `max ${Math.max(...times)} ms\n  ${cpuPerUnit(cpuBefore, cpuSnapshot(), listRuns, 'list')}\n`,
  );
}

/** The job's execution state once it ended (undefined while queued or running); throws if it failed. */
async function jobState(bed: JobTestBed, name: string): Promise<string | undefined> {
  const job = await bed.getJob(name);
  if (job.executionState === 'failed') throw new Error(`${name} failed: ${JSON.stringify(job)}`);
  if (job.executionState === 'succeeded') return 'succeeded';
  await new Promise((r) => setTimeout(r, 50));
  return undefined;
}

/** Every job of the experiment with its execution state (all pages of the list). */
async function jobStates(bed: JobTestBed): Promise<Map<string, string>> {
  const states = new Map<string, string>();
  let url: string | undefined = bed.api.url(`${experiment}/jobs`, { maxresults: '1000' });
  while (url) {
    const page = await bed.api.send('GET', url);
    if (page.status !== 200) throw new Error(`list jobs: ${page.status} ${page.text}`);
    for (const job of page.body.value as { name: string; properties: { executionState: string } }[]) {
      states.set(job.name, job.properties.executionState);
    }
    url = (page.body.nextLink as string | undefined) || undefined;
  }
  return states;
}

/**
 * Waits until the cluster has two ready local nodes, neither of them `evicted`: their directories (the local
 * nodes' "VMs") with the setup marker their agent writes before it reports setup done, and the cluster's counts.
 */
async function readyPair(bed: JobTestBed, cluster: string, evicted: string): Promise<void> {
  const nodesRoot = path.join(bed.dataDir, 'nodes');
  await poll(`a ready pair of nodes in ${cluster} without ${evicted}`, async () => {
    const poolDir = fs.readdirSync(nodesRoot).find((dir) => dir.startsWith(`${cluster}-`));
    const nodes = poolDir
      ? fs.readdirSync(path.join(nodesRoot, poolDir)).filter((n) => n.startsWith('node-'))
      : [];
    const ready = nodes.filter((n) =>
      fs.existsSync(path.join(nodesRoot, poolDir!, n, 'state', 'setup.json')),
    );
    if (nodes.length === 2 && ready.length === 2 && !nodes.includes(evicted)) return true;
    await new Promise((r) => setTimeout(r, 100));
    return undefined;
  });
  await idleNodes(bed, cluster, 2);
}

async function idleNodes(bed: JobTestBed, cluster: string, count: number): Promise<void> {
  await poll(`${count} idle nodes in ${cluster}`, async () => {
    const response = await bed.api.send('GET', bed.clusterId(cluster));
    const counts = (response.body.properties as Record<string, Record<string, number>>).nodeStateCounts;
    const total = Object.values(counts ?? {}).reduce((sum, n) => sum + n, 0);
    if (counts?.idleNodeCount === count && total === count) return true;
    await new Promise((r) => setTimeout(r, 200));
    return undefined;
  });
}

async function recovery(dir: string): Promise<void> {
  const imds = await startImdsFake();
  const bed = await startJobTestBed({
    ...localSettings,
    COMPUTE_IMDS_URL: imds.baseUrl,
    JOB_MAX_ATTEMPTS: '2',
  });
  try {
    await bed.createCluster('spot', 2);
    const times: number[] = [];
    for (let i = 0; i < recoveryRuns; i++) {
      const name = `evicted-${i}`;
      const file = path.join(dir, name);
      const command =
        `date +%s%N >> ${file}; ` +
        'if [ -n "$AZ_BATCHAI_PREV_OUTPUT_OUT" ]; then exit 0; fi; exec sleep 600';
      await submit(
        bed,
        name,
        customJob(bed, 'spot', command, {
          outputDirectories: [{ id: 'OUT', pathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/afs' }],
        }),
      );
      await poll(`${name} first process`, async () => startTimes(file)[0]);
      const job = await bed.getJob(name);
      const node = (job.attempts as Attempt[])[0].nodeIds[0];
      const notice = Date.now();
      imds.schedule('Preempt', [node], 30_000);
      const restarted = await poll(`${name} second process`, async () => startTimes(file)[1]);
      times.push(restarted - notice);
      await bed.waitForJob(name, 'succeeded', (p) => p.executionState === 'succeeded', 120_000);
      // The evicted node leaves the pool and the cluster monitor replaces it: start the next run on a ready pair
      // (else the next run's requeued job waits for the replacement node, which is not what is measured).
      await readyPair(bed, 'spot', node);
    }
    process.stdout.write(
      `preemption recovery (${recoveryRuns} runs): eviction notice -> next attempt's process started: ` +
        `p50 ${percentile(times, 50)} ms, max ${Math.max(...times)} ms (${times.join(', ')})\n`,
    );
  } finally {
    await bed.stop();
    await imds.stop();
  }
}

export async function run(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-jobs-'));
  try {
    const bed = await startJobTestBed(localSettings);
    try {
      await bed.createCluster('bench', 1);
      await submitToStart(bed, dir);
      await bed.createCluster('burst', 4);
      await throughput(bed, 'burst', 'fresh');
      await throughput(bed, 'burst', 'warm');
      await listingCost(bed);
      if (waitingJobs > 0) await waitingQueue(bed);
    } finally {
      await bed.stop();
    }
    // The same 4 node slots as one node's, on a stack of its own that first runs what the first one did before its
    // burst (the submit-to-start jobs, unprinted), so both fresh rounds start from the same point.
    const packed = await startJobTestBed(localSettings);
    try {
      await packed.createCluster('bench', 1);
      const warmUpDir = path.join(dir, 'packed');
      fs.mkdirSync(warmUpDir);
      await submitToStart(packed, warmUpDir, false);
      await packed.createCluster('packed', 1, { jobSlotsPerNode: 4 });
      await throughput(packed, 'packed', 'fresh');
      await throughput(packed, 'packed', 'warm');
    } finally {
      await packed.stop();
    }
    await recovery(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
