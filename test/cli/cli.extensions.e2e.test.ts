// The CLI's extension commands through the real app on the local host with local nodes: `job show -o table` with
// a queued job's wait reason, a sweep that runs its trials (create, list, show, trials, cancel, delete), scoring
// rules, job schedules and role assignments. The CLI runs as a child process (`node dist/cli/main.js`).
// Needs `npx tsc -p tsconfig.json` first.
import { execFile } from 'child_process';
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  customJob,
  experiment,
  startJobTestBed,
  type JobTestBed,
  queueInfoExplained,
} from '../jobs/support/jobTestBed';
import { repoRoot, waitFor } from '../support/testEnvironment';

const cliMain = path.join(repoRoot, 'dist', 'cli', 'main.js');
const script = path.join(repoRoot, 'examples', 'sweep', 'train.js');
const node = process.execPath;
const scope = ['-g', 'jobsrg', '-w', 'ws'];
const expScope = [...scope, '-e', 'exp'];

let bed: JobTestBed;
let work: string;

beforeAll(async () => {
  if (!fs.existsSync(cliMain))
    throw new Error(`${cliMain} is missing: run \`npx tsc -p tsconfig.json\` first.`);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'batchai-cli-ext-'));
  bed = await startJobTestBed({ SWEEP_POLL_SECONDS: '1', SWEEP_ROUNDS_PER_EPISODE: '5' });
  await bed.createCluster('cpu', 1);
}, 120_000);

afterAll(async () => {
  await bed?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [cliMain, ...args],
      {
        cwd: work,
        timeout: 90_000,
        env: { PATH: process.env.PATH ?? '', HOME: work, BATCHAI_ENDPOINT: `${bed.env.baseUrl}/api` },
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(error);
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}

async function cliOk(args: string[]): Promise<string> {
  const run = await cli(args);
  if (run.code !== 0) throw new Error(`batchai ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return run.stdout;
}

async function cliJson<T = Record<string, unknown>>(args: string[]): Promise<T> {
  return JSON.parse(await cliOk(args)) as T;
}

function writeJson(name: string, value: unknown): string {
  fs.writeFileSync(path.join(work, name), JSON.stringify(value));
  return name;
}

/** A job template without plain secrets (scoring rules and schedules refuse them). */
const plainTemplate = (): Record<string, unknown> => ({
  properties: {
    nodeCount: 1,
    cluster: { id: bed.clusterId('cpu') },
    stdOutErrPathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/logs',
    customToolkitSettings: { commandLine: 'echo hello' },
  },
});

describe('batchai extension commands through the real app', () => {
  test('job show -o table shows why a queued job waits, and its attempts', async () => {
    await bed.putJob('blocker', customJob(bed, 'cpu', `${node} -e "setTimeout(function(){},120000)"`));
    await bed.waitForJob('blocker', 'running', (p) => p.executionState === 'running');
    await bed.putJob('waiting', customJob(bed, 'cpu', `${node} -e ""`));
    const queued = await bed.waitForJob('waiting', 'to show queueInfo', queueInfoExplained);
    const reason = (queued.queueInfo as { reason: string }).reason;
    const table = await cliOk(['job', 'show', ...expScope, '-n', 'waiting', '-o', 'table']);
    const [header, , row] = table.split('\n');
    expect(header).toMatch(/Attempts\s+Wait reason$/);
    expect(row).toContain(reason);
    const running = await cliOk(['job', 'show', ...expScope, '-n', 'blocker', '-o', 'table']);
    expect(running.split('\n')[2]).toMatch(/running\s+1$/); // one attempt, no wait reason

    const terminate = await bed.api.send('POST', `${experiment}/jobs/blocker/terminate`);
    expect(terminate.status).toBeLessThan(300);
    await bed.waitForJob('waiting', 'succeeded', (p) => p.executionState === 'succeeded', 90_000);
  }, 240_000);

  test('sweep create, list, show and trials: the trials run and the best one is reported', async () => {
    const template = customJob(
      bed,
      'cpu',
      `${node} ${script} --lr {parameters.lr} --epochs 2 --epoch-seconds 0.2`,
    );
    delete template.cluster; // given with -c
    const file = writeJson('sweep.json', {
      properties: {
        jobTemplate: template,
        parameters: { lr: { type: 'choice', values: [0.1, 0.01] } },
        sampling: 'grid',
        maxConcurrentTrials: 1,
        objective: { metric: 'accuracy', goal: 'maximize' },
      },
    });
    const created = await cliJson(['sweep', 'create', ...expScope, '-n', 'lrs', '-f', file, '-c', 'cpu']);
    expect(created).toMatchObject({ name: 'lrs', executionState: 'running', resourceGroup: 'jobsrg' });

    const done = await waitFor(
      'sweep lrs to end',
      async () => {
        const sweep = await cliJson(['sweep', 'show', ...expScope, '-n', 'lrs']);
        return sweep.executionState !== 'running' ? sweep : undefined;
      },
      120_000,
    );
    expect(done).toMatchObject({ executionState: 'succeeded', bestTrial: { name: 'lrs-t1' } });

    const trials = await cliOk(['sweep', 'trials', ...expScope, '-n', 'lrs', '-o', 'table']);
    const lines = trials.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Name\s+State\s+Metric\s+Step\s+Parameters/);
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(/^lrs-t0\s+succeeded\s+[\d.]+\s+\d+\s+lr=0\.1$/);
    expect(lines[3]).toMatch(/^lrs-t1\s+succeeded\s+[\d.]+\s+\d+\s+lr=0\.01$/);

    const list = await cliOk(['sweep', 'list', ...expScope, '-o', 'table']);
    expect(list.split('\n')[0]).toMatch(/Name\s+Experiment\s+State\s+Trials.*Best trial\s+Best metric/);
    // Trials, Not started, Running, Succeeded, Failed.
    expect(list.split('\n')[2]).toMatch(/^lrs\s+exp\s+succeeded\s+2\s+0\s+0\s+2\s+0\s+lrs-t1\s+[\d.]+$/);
  }, 240_000);

  test('sweep cancel stops a running sweep and sweep delete removes it', async () => {
    const file = writeJson('long.json', {
      properties: {
        jobTemplate: customJob(
          bed,
          'cpu',
          `${node} ${script} --lr {parameters.lr} --epochs 60 --epoch-seconds 1`,
        ),
        parameters: { lr: { type: 'choice', values: [0.1, 0.01, 0.001] } },
        sampling: 'grid',
        maxConcurrentTrials: 1,
        objective: { metric: 'accuracy', goal: 'maximize' },
      },
    });
    await cliJson(['sweep', 'create', ...expScope, '-n', 'long', '-f', file]);
    await waitFor(
      'a trial of sweep long to run',
      async () => {
        const trials = await cliJson<{ state: string }[]>(['sweep', 'trials', ...expScope, '-n', 'long']);
        return trials.some((t) => t.state === 'running') ? true : undefined;
      },
      90_000,
    );
    await cliJson(['sweep', 'cancel', ...expScope, '-n', 'long']);
    const cancelled = await waitFor(
      'sweep long to be cancelled',
      async () => {
        const sweep = await cliJson(['sweep', 'show', ...expScope, '-n', 'long']);
        return sweep.executionState === 'cancelled' ? sweep : undefined;
      },
      90_000,
    );
    expect(cancelled.trialCounts).toMatchObject({ running: 0, queued: 0 });

    expect(await cli(['sweep', 'delete', ...expScope, '-n', 'long'])).toMatchObject({ code: 0, stdout: '' });
    const missing = await cli(['sweep', 'show', ...expScope, '-n', 'long']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/not found/i);
    const again = await cli(['sweep', 'delete', ...expScope, '-n', 'long']);
    expect(again).toMatchObject({ code: 0, stderr: 'There was no such sweep.\n' });
  }, 240_000);

  test('scoring-rule and job-schedule create -f, show, list and delete', async () => {
    const rule = writeJson('rule.json', {
      properties: {
        source: { container: 'incoming', blobPrefix: 'batch/' },
        experimentName: 'exp',
        jobTemplate: plainTemplate(),
      },
    });
    const created = await cliJson(['scoring-rule', 'create', ...scope, '-n', 'score-csv', '-f', rule]);
    expect(created).toMatchObject({
      name: 'score-csv',
      experimentName: 'exp',
      provisioningState: 'succeeded',
    });
    expect(await cliJson(['scoring-rule', 'show', ...scope, '-n', 'score-csv'])).toMatchObject({
      source: { container: 'incoming', blobPrefix: 'batch/' },
    });
    const rules = await cliOk(['scoring-rule', 'list', ...scope, '-o', 'table']);
    expect(rules.split('\n')[2]).toMatch(/^score-csv\s+jobsrg\s+exp\s+incoming\s+batch\//);

    const schedule = writeJson('schedule.json', {
      properties: { schedule: '0 0 2 * * *', experimentName: 'exp', jobTemplate: plainTemplate() },
    });
    await cliJson(['job-schedule', 'create', ...scope, '-n', 'nightly', '-f', schedule]);
    const shown = await cliJson(['job-schedule', 'show', ...scope, '-n', 'nightly']);
    expect(shown.nextRunTime).toMatch(/T02:00:00/);
    const schedules = await cliOk(['job-schedule', 'list', ...scope, '-o', 'table']);
    expect(schedules.split('\n')[2]).toMatch(/^nightly\s+jobsrg\s+exp\s+0 0 2 \* \* \*/);

    const bad = writeJson('bad.json', { properties: { schedule: 'every day', experimentName: 'exp' } });
    const refused = await cli(['job-schedule', 'create', ...scope, '-n', 'bad', '-f', bad]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/properties\./);
    const noProperties = await cli([
      'job-schedule',
      'create',
      ...scope,
      '-n',
      'bad',
      '-f',
      writeJson('x.json', {}),
    ]);
    expect(noProperties.stderr).toMatch(/must have a 'properties' object/);

    await cliOk(['scoring-rule', 'delete', ...scope, '-n', 'score-csv']);
    await cliOk(['job-schedule', 'delete', ...scope, '-n', 'nightly']);
    expect(await cliJson<unknown[]>(['scoring-rule', 'list', ...scope])).toEqual([]);
    expect(await cliJson<unknown[]>(['job-schedule', 'list', ...scope])).toEqual([]);
  }, 120_000);

  test('role-assignment create, list and delete', async () => {
    const principal = randomUUID();
    const created = await cliJson([
      'role-assignment',
      'create',
      ...scope,
      '--principal-id',
      principal,
      '--role',
      'contributor',
      '--principal-type',
      'Group',
    ]);
    expect(created).toMatchObject({ name: principal, role: 'contributor', principalType: 'Group' });
    const table = await cliOk(['role-assignment', 'list', ...scope, '-o', 'table']);
    expect(table).toMatch(new RegExp(`${principal}\\s+Group\\s+contributor\\s+ws`));
    const wrongRole = await cli([
      'role-assignment',
      'create',
      ...scope,
      '--principal-id',
      principal,
      '--role',
      'boss',
    ]);
    expect(wrongRole.code).not.toBe(0);
    expect(wrongRole.stderr).toMatch(/--role/);
    await cliOk(['role-assignment', 'delete', ...scope, '--principal-id', principal]);
    const list = await cliJson<{ name: string }[]>(['role-assignment', 'list', ...scope]);
    expect(list.map((a) => a.name)).not.toContain(principal);
  }, 120_000);
});
