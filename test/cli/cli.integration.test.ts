// The CLI and the typed client against the real app on the local host (Azurite + Cosmos emulator): the CLI runs as
// a child process (`node dist/cli/main.js`) like a user runs it. Needs `npx tsc -p tsconfig.json` first.
import { execFile } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BatchAiClient } from '../../shared/client/batchAiClient';
import { BatchAiRestError } from '../../shared/client/batchAiRestError';
import { repoRoot, startTestEnvironment, waitFor, type TestEnvironment } from '../support/testEnvironment';

const cliMain = path.join(repoRoot, 'dist', 'cli', 'main.js');
const fixtures = path.join(repoRoot, 'test', 'cli', 'fixtures');
const SUB = '00000000-0000-0000-0000-000000000000';
const PASSWORD = `Pw-${randomBytes(9).toString('base64url')}`;
const STORAGE_KEY = randomBytes(32).toString('base64');

let env: TestEnvironment;
let home: string;

beforeAll(async () => {
  if (!fs.existsSync(cliMain))
    throw new Error(`${cliMain} is missing: run \`npx tsc -p tsconfig.json\` first.`);
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'batchai-cli-home-'));
  env = await startTestEnvironment({
    settings: { SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64') },
  });
}, 120_000);

afterAll(async () => {
  await env?.stop();
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a child process with a clean environment (no BATCHAI_* leaking in from the caller). */
function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [cliMain, ...args],
      {
        cwd: fixtures,
        timeout: 90_000,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: home,
          BATCHAI_ENDPOINT: `${env.baseUrl}/api`,
          ...extraEnv,
        },
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(error);
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}

async function cliJson(args: string[], extraEnv?: Record<string, string>): Promise<Record<string, unknown>> {
  const run = await cli(args, extraEnv);
  if (run.code !== 0) throw new Error(`batchai ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

const scope = ['-g', 'clirg', '-w', 'cliws'];

describe('batchai CLI through the real app', () => {
  test('workspace create waits for the operation and prints the workspace flattened like az', async () => {
    const ws = await cliJson([
      'workspace',
      'create',
      '-g',
      'clirg',
      '-n',
      'cliws',
      '-l',
      'eastus',
      '--tags',
      'team=ml',
    ]);
    expect(ws).toMatchObject({
      name: 'cliws',
      location: 'eastus',
      resourceGroup: 'clirg',
      provisioningState: 'succeeded',
      tags: { team: 'ml' },
    });
    expect(ws.id).toBe(
      `/subscriptions/${SUB}/resourceGroups/clirg/providers/Microsoft.BatchAI/workspaces/cliws`,
    );
  });

  test('workspace create --no-wait prints nothing and the workspace becomes succeeded', async () => {
    const run = await cli([
      'workspace',
      'create',
      '-g',
      'clirg',
      '-n',
      'nowait',
      '-l',
      'eastus',
      '--no-wait',
    ]);
    expect(run).toMatchObject({ code: 0, stdout: '' });
    const state = await waitFor('workspace nowait to succeed', async () => {
      const show = await cli([
        'workspace',
        'show',
        '-g',
        'clirg',
        '-n',
        'nowait',
        '--query',
        'provisioningState',
      ]);
      return show.stdout.trim() === '"succeeded"' ? show.stdout.trim() : undefined;
    });
    expect(state).toBe('"succeeded"');
  });

  test('experiment list lists every page; --max-results caps the results', async () => {
    for (const name of ['exp1', 'exp2', 'exp3']) {
      await cliJson(['experiment', 'create', ...scope, '-n', name]);
    }
    const all = (await cliJson(['experiment', 'list', ...scope])) as unknown as { name: string }[];
    expect(all.map((e) => e.name).sort()).toEqual(['exp1', 'exp2', 'exp3']);
    const capped = (await cliJson(['experiment', 'list', ...scope, '--max-results', '2'])) as unknown as {
      name: string;
    }[];
    expect(capped).toHaveLength(2);
    const table = await cli(['experiment', 'list', ...scope, '--max-results', '1', '-o', 'table']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Name\s+Resource Group\s+Workspace\s+State$/);
    expect(lines.slice(2)).toHaveLength(1);
  });

  test('cluster create from flags sends the password without ever printing it', async () => {
    const run = await cli(
      ['cluster', 'create', ...scope, '-n', 'manual', '-s', 'STANDARD_D1', '-t', '0', '-u', 'admin'],
      { BATCHAI_ADMIN_PASSWORD: PASSWORD },
    );
    expect(run.code).toBe(0);
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
    const cluster = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(cluster).toMatchObject({
      name: 'manual',
      vmSize: 'STANDARD_D1',
      scaleSettings: { manual: { targetNodeCount: 0 } },
      userAccountSettings: { adminUserName: 'admin' },
      allocationState: 'steady',
      currentNodeCount: 0,
    });
  });

  test('cluster create -f takes a config file and -k adds the SSH key', async () => {
    const cluster = await cliJson([
      'cluster',
      'create',
      ...scope,
      '-n',
      'auto',
      '-f',
      'autoscale.cluster.json',
      '-k',
      'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 test@cli',
    ]);
    expect(cluster).toMatchObject({
      vmPriority: 'lowpriority',
      scaleSettings: { autoScale: { minimumNodeCount: 0, maximumNodeCount: 2 } },
      userAccountSettings: {
        adminUserName: 'batchai',
        adminUserSshPublicKey: 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 test@cli',
      },
    });
  });

  test('cluster auto-scale and resize change the scale settings', async () => {
    const auto = await cliJson([
      'cluster',
      'auto-scale',
      ...scope,
      '-n',
      'manual',
      '--min',
      '0',
      '--max',
      '3',
    ]);
    expect(auto.scaleSettings).toMatchObject({ autoScale: { minimumNodeCount: 0, maximumNodeCount: 3 } });
    const manual = await cliJson(['cluster', 'resize', ...scope, '-n', 'manual', '-t', '0']);
    expect(manual.scaleSettings).toMatchObject({ manual: { targetNodeCount: 0 } });
    // The table shows the new target at once (the node counts follow as nodes come and go).
    const table = await cli(['cluster', 'resize', ...scope, '-n', 'manual', '-t', '0', '-o', 'table']);
    expect(table.code).toBe(0);
    const [header, , row] = table.stdout.split('\n');
    expect(header).toMatch(/State\s+Target\s+Idle/);
    expect(row.slice(header.indexOf('Target')).trim()).toMatch(/^0\b/);
  });

  test('cluster list -o table shows az columns; cluster node list is empty without nodes', async () => {
    const table = await cli(['cluster', 'list', ...scope, '-o', 'table']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Name\s+Resource Group\s+Workspace\s+VM Size\s+State\s+Target\s+Idle/);
    expect(
      lines
        .slice(2)
        .map((l) => l.split(/\s+/)[0])
        .sort(),
    ).toEqual(['auto', 'manual']);
    const nodes = await cli(['cluster', 'node', 'list', ...scope, '-c', 'manual']);
    expect(nodes.code).toBe(0);
    expect(JSON.parse(nodes.stdout)).toEqual([]);
    expect(nodes.stderr).toMatch(/No node offers a remote login.*npm start/s);
    const nodeTable = await cli(['cluster', 'node', 'list', ...scope, '-c', 'manual', '-o', 'table']);
    expect(nodeTable).toMatchObject({ code: 0, stdout: '' });
    expect(nodeTable.stderr).toMatch(/No node offers a remote login/);
  });

  /** `job create` of `name` on the cluster `manual` in experiment `exp1`, from the fixture `file`. */
  const jobCreate = (name: string, file: string, extra: string[] = []): string[] => [
    'job',
    'create',
    ...scope,
    '-e',
    'exp1',
    '-n',
    name,
    '-c',
    'manual',
    '-f',
    file,
    ...extra,
  ];

  test("job create warns of the file's properties the service does not know, with the closest known name", async () => {
    const run = await cli(jobCreate('misspelt', 'misspelt.job.json'));
    expect(run.code).toBe(0); // still created: the service ignores them, as Batch AI did
    expect(run.stderr.split('\n').filter((line) => line.startsWith('Warning'))).toEqual([
      // A key beside 'properties' too: the request leaves it out.
      "Warning: 'location' in 'misspelt.job.json' is not a property of JobCreateParameters: the service ignores it.",
      "Warning: 'properties.jobPreperation' in 'misspelt.job.json' is not a property of JobCreateParameters: the service ignores it. Did you mean 'jobPreparation'?",
      "Warning: 'properties.enviromentVariables' in 'misspelt.job.json' is not a property of JobCreateParameters: the service ignores it. Did you mean 'environmentVariables'?",
      "Warning: 'properties.customToolkitSettings.comandLine' in 'misspelt.job.json' is not a property of JobCreateParameters: the service ignores it. Did you mean 'commandLine'?",
    ]);
  });

  test('job create submits a recipe job.json with the storage account filled in', async () => {
    const storage = ['--storage-account-name', 'clistorage', '--storage-account-key', STORAGE_KEY];
    const run = await cli(jobCreate('tf', 'tensorflow-gpu.job.json', storage));
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain(STORAGE_KEY);
    expect(run.stderr).not.toContain('Warning'); // a recipe's job.json holds only properties Batch AI knows
    const job = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(job).toMatchObject({
      name: 'tf',
      toolType: 'tensorflow',
      nodeCount: 1,
      cluster: {
        id: `/subscriptions/${SUB}/resourceGroups/clirg/providers/Microsoft.BatchAI/workspaces/cliws/clusters/manual`,
      },
      mountVolumes: {
        azureFileShares: [
          { accountName: 'clistorage', azureFileUrl: 'https://clistorage.file.core.windows.net/logs' },
          { accountName: 'clistorage', azureFileUrl: 'https://clistorage.file.core.windows.net/scripts' },
        ],
      },
    });
    await cliJson(jobCreate('tf2', 'tensorflow-gpu.job.json', storage));
    const segment = await cli([
      'job',
      'show',
      ...scope,
      '-e',
      'exp1',
      '-n',
      'tf',
      '--query',
      'jobOutputDirectoryPathSegment',
      '-o',
      'tsv',
    ]);
    expect(segment.stdout.trim()).toMatch(
      /^[^/]+\/clirg\/workspaces\/cliws\/experiments\/exp1\/jobs\/tf\/[0-9a-f-]{36}$/,
    );
    const names = await cli([
      'job',
      'list',
      ...scope,
      '-e',
      'exp1',
      '--max-results',
      '1',
      '--query',
      '[].name',
      '-o',
      'tsv',
    ]);
    expect(names.stdout.trim().split('\n')).toHaveLength(1);
  });

  test('job terminate ends the queued job; job wait exits with its failure; file stream returns', async () => {
    const jobArgs = [...scope, '-e', 'exp1'];
    expect((await cli(['job', 'terminate', ...jobArgs, '-n', 'tf2', '-y'])).code).toBe(0);
    const wait = await cli(['job', 'wait', ...jobArgs, '-n', 'tf2', '--interval', '0.2']);
    expect(wait.code).toBe(1);
    expect(wait.stderr).toContain('failed');
    const files = await cli(['job', 'file', 'list', ...jobArgs, '-j', 'tf2']);
    expect(files.code).toBe(0);
    expect(JSON.parse(files.stdout)).toEqual([]);
    const stream = await cli([
      'job',
      'file',
      'stream',
      ...jobArgs,
      '-j',
      'tf2',
      '-f',
      'stdout.txt',
      '--interval',
      '0.2',
    ]);
    expect(stream.code).toBe(1); // nothing was streamed
    expect(stream.stderr).toContain("without creating 'stdout.txt'");
  });

  test('a missing workspace prints the 404 as code: message and exits 1', async () => {
    const run = await cli(['workspace', 'show', '-g', 'clirg', '-n', 'nosuchws']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^(ResourceNotFound|NotFound): .*nosuchws/);
  });

  test('a bad field is a 400 naming it as the target', async () => {
    const run = await cli([
      'cluster',
      'create',
      ...scope,
      '-n',
      'bad',
      '-s',
      'NOT_A_SIZE',
      '-t',
      '0',
      '-p',
      PASSWORD,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^InvalidVmSize: .*\(properties\.vmSize\)\n$/);
    expect(run.stderr).not.toContain(PASSWORD);
  });

  test('usage errors suggest the closest command or flag and exit 2', async () => {
    const command = await cli(['clustr', 'list']);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain("Did you mean 'cluster'?");
    const flag = await cli(['cluster', 'list', ...scope, '--max-result', '2']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("Did you mean '--max-results'?");
  });

  test('delete removes jobs, clusters, experiments and workspaces', async () => {
    expect((await cli(['job', 'delete', ...scope, '-e', 'exp1', '-n', 'tf', '-y'])).code).toBe(0);
    expect((await cli(['job', 'show', ...scope, '-e', 'exp1', '-n', 'tf'])).code).toBe(1);
    const deleted = await cli(['cluster', 'delete', ...scope, '-n', 'auto', '-y']);
    expect(deleted).toMatchObject({ code: 0, stderr: '' });
    // Deleting what is not there: exit 0 as az does, with a note (like role-assignment delete).
    expect(await cli(['cluster', 'delete', ...scope, '-n', 'nocl', '-y'])).toMatchObject({
      code: 0,
      stdout: '',
      stderr: 'There was no such cluster.\n',
    });
    expect((await cli(['experiment', 'delete', ...scope, '-n', 'exp3', '-y'])).code).toBe(0);
    expect((await cli(['workspace', 'delete', '-g', 'clirg', '-n', 'cliws', '-y'])).code).toBe(0);
    const gone = await cli(['workspace', 'show', '-g', 'clirg', '-n', 'cliws']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/NotFound/);
  });
});

describe('BatchAiClient through the real app', () => {
  let client: BatchAiClient;
  beforeAll(() => {
    client = new BatchAiClient({ endpoint: `${env.baseUrl}/api`, subscriptionId: SUB, pollIntervalMs: 100 });
  });

  test('beginCreate returns a poller that follows Azure-AsyncOperation and then GETs the resource', async () => {
    const poller = await client.workspaces.beginCreate('clientrg', 'clientws', { location: 'westus' });
    expect(poller.operationUrl).toMatch(/\/operationstatuses\/[^/?]+\?api-version=2018-05-01$/);
    const ws = await poller.pollUntilDone();
    expect(poller.status).toBe('Succeeded');
    expect(ws).toMatchObject({
      name: 'clientws',
      location: 'westus',
      properties: { provisioningState: 'succeeded' },
    });
  });

  test('the async iterator walks every page; byPage shows the pages', async () => {
    for (const name of ['a', 'b', 'c', 'd', 'e'])
      await client.experiments.create('clientrg', 'clientws', name);
    const pages: string[][] = [];
    for await (const page of client.experiments
      .listByWorkspace('clientrg', 'clientws', { maxResults: 2 })
      .byPage()) {
      pages.push(page.value.map((e) => e.name as string));
    }
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    const names: string[] = [];
    for await (const experiment of client.experiments.listByWorkspace('clientrg', 'clientws', {
      maxResults: 2,
    })) {
      names.push(experiment.name as string);
    }
    expect(names.sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  test('errors carry the CloudError code, message and target', async () => {
    const error = await client.clusters
      .create('clientrg', 'clientws', 'c1', {
        properties: {
          vmSize: 'STANDARD_D1',
          userAccountSettings: { adminUserName: 'a', adminUserPassword: 'x' },
          nodeSetup: { setupTask: { commandLine: 'true' } as never },
        },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BatchAiRestError);
    expect(error).toMatchObject({
      statusCode: 400,
      target: 'properties.nodeSetup.setupTask.stdOutErrPathPrefix',
    });
  });

  test('beginDelete polls to the end; the resource is then a 404', async () => {
    const poller = await client.workspaces.beginDelete('clientrg', 'clientws');
    await expect(poller.pollUntilDone()).resolves.toBeUndefined();
    const error = await client.workspaces.get('clientrg', 'clientws').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BatchAiRestError);
    expect(error).toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
  });
});
