// The CLI watching jobs that really run on local nodes (the real app, node agents, Azurite, Cosmos emulator):
// `job file stream` prints the job's stdout until the job ends and `job wait` exits with the job's exit code.
// Needs `npx tsc -p tsconfig.json` first.
import { execFile } from 'child_process';
import { randomBytes } from 'crypto';
import * as path from 'path';
import { startJobTestBed, type JobTestBed } from '../jobs/support/jobTestBed';
import { repoRoot } from '../support/testEnvironment';

const cliMain = path.join(repoRoot, 'dist', 'cli', 'main.js');
const fixtures = path.join(repoRoot, 'test', 'cli', 'fixtures');
// The job test bed's workspace and experiment.
const scope = ['-g', 'jobsrg', '-w', 'ws', '-e', 'exp'];

let bed: JobTestBed;

beforeAll(async () => {
  bed = await startJobTestBed({ JOB_NODE_CHECK_SECONDS: '1' });
  await bed.createCluster('c1', 1);
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [cliMain, ...args],
      {
        cwd: fixtures,
        timeout: 110_000,
        env: {
          PATH: process.env.PATH ?? '',
          BATCHAI_ENDPOINT: `${bed.env.baseUrl}/api`,
          AZURE_BATCHAI_STORAGE_ACCOUNT: 'clistorage',
          AZURE_BATCHAI_STORAGE_KEY: randomBytes(16).toString('base64'),
        },
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(error);
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}

test('job file stream prints stdout.txt of a running job until it ends; job wait exits 0', async () => {
  const create = await cli([
    'job',
    'create',
    ...scope,
    '-n',
    'count',
    '-c',
    'c1',
    '-f',
    'counting.job.json',
    '--no-wait',
  ]);
  expect(create).toMatchObject({ code: 0, stdout: '' });
  const stream = await cli([
    'job',
    'file',
    'stream',
    ...scope,
    '-j',
    'count',
    '-f',
    'stdout.txt',
    '--interval',
    '0.5',
  ]);
  expect(stream.stderr).toBe('');
  expect(stream.code).toBe(0);
  expect(stream.stdout).toBe([1, 2, 3, 4].map((i) => `line ${i} of count\n`).join(''));
  const wait = await cli(['job', 'wait', ...scope, '-n', 'count', '--interval', '0.5']);
  expect(wait.code).toBe(0);
  expect(wait.stderr).toBe('Job count: succeeded, exit code 0.\n');
  const files = await cli(['job', 'file', 'list', ...scope, '-j', 'count', '-o', 'table']);
  expect(files.stdout).toMatch(/^stdout\.txt\s+file\s+\d+/m);
});
