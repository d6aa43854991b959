// In-process tests of the runner: exit codes, where errors go and how they read, help, and that secrets given on
// the command line are never printed. The service is a scripted fetch.
import { runCli } from '../../cli/cliRunner';
import { scriptedIo, type ScriptedReply } from './support/scriptedIo';

function io(replies: ScriptedReply[], env: Record<string, string> = {}) {
  return scriptedIo(replies, env, __dirname);
}

test('a service error prints code: message (target) on stderr and exits 1', async () => {
  const t = io([
    {
      status: 400,
      body: { error: { code: 'InvalidVmSize', message: 'bad size', target: 'properties.vmSize' } },
    },
  ]);
  const code = await runCli(
    ['cluster', 'create', '-g', 'rg', '-w', 'ws', '-n', 'c', '-s', 'x', '-p', 's3cret-pw'],
    t.commandIo,
  );
  expect(code).toBe(1);
  expect(t.err.join('')).toBe('InvalidVmSize: bad size (properties.vmSize)\n');
  expect(t.out.join('') + t.err.join('')).not.toContain('s3cret-pw');
});

test('--endpoint and --subscription choose the URL; defaults come from the environment', async () => {
  const t = io([{ status: 200, body: { name: 'ws', properties: { provisioningState: 'succeeded' } } }], {
    BATCHAI_ENDPOINT: 'http://env.test/api',
    BATCHAI_SUBSCRIPTION_ID: 'envsub',
  });
  expect(
    await runCli(
      ['workspace', 'show', '-g', 'rg', '-n', 'ws', '--query', 'provisioningState', '-o', 'tsv'],
      t.commandIo,
    ),
  ).toBe(0);
  expect(t.out.join('')).toBe('succeeded\n');
  expect(t.urls[0]).toBe(
    'GET http://env.test/api/subscriptions/envsub/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/ws?api-version=2018-05-01',
  );
  const u = io([{ status: 200, body: {} }]);
  await runCli(
    ['workspace', 'show', '-g', 'rg', '-n', 'ws', '--endpoint', 'http://flag.test/x', '--subscription', 's2'],
    u.commandIo,
  );
  expect(u.urls[0]).toMatch(/^GET http:\/\/flag\.test\/x\/subscriptions\/s2\//);
});

test('usage errors exit 2 with a hint and call no service', async () => {
  const t = io([]);
  expect(await runCli(['job', 'show', '-g', 'rg', '-w', 'ws', '-n', 'j'], t.commandIo)).toBe(2);
  expect(t.err.join('')).toBe(
    "batchai job show: error: the following argument is required: --experiment/-e\nTry 'batchai job show -h' for help.\n",
  );
  expect(await runCli(['workspace', 'list', '-o', 'yaml'], t.commandIo)).toBe(2);
  expect(
    await runCli(['workspace', 'show', '-g', 'rg', '-n', 'ws', '--endpoint', 'ftp://x'], t.commandIo),
  ).toBe(2);
  expect(t.urls).toEqual([]);
});

test('-h prints help for groups and commands and exits 0', async () => {
  const t = io([]);
  expect(await runCli(['job', '-h'], t.commandIo)).toBe(0);
  expect(t.out.join('')).toContain('Subgroups:');
  expect(await runCli(['job', 'file', 'stream', '-h'], t.commandIo)).toBe(0);
  expect(t.out.join('')).toContain('--file-name -f [Required]');
  // Every subgroup of the top level says what it is for.
  const top = io([]);
  expect(await runCli(['-h'], top.commandIo)).toBe(0);
  const subgroups = top.out.join('').split('Subgroups:')[1].split('Commands:')[0];
  const lines = subgroups.split('\n').filter((line) => line.includes(':'));
  expect(lines.length).toBeGreaterThan(5);
  for (const line of lines) expect(line).toMatch(/: \S/);
});

test('job wait exits with the job exit code once it has finished', async () => {
  const t = io([
    { status: 200, body: { name: 'j', properties: { executionState: 'running' } } },
    {
      status: 200,
      body: { name: 'j', properties: { executionState: 'failed', executionInfo: { exitCode: 3 } } },
    },
  ]);
  expect(
    await runCli(
      ['job', 'wait', '-g', 'rg', '-w', 'ws', '-e', 'e', '-n', 'j', '--interval', '0'],
      t.commandIo,
    ),
  ).toBe(3);
  expect(t.err.join('')).toBe('Job j: failed, exit code 3.\n');
});

test('delete with --no-wait sends the DELETE and returns at once', async () => {
  const t = io([{ status: 202 }]);
  expect(
    await runCli(['cluster', 'delete', '-g', 'rg', '-w', 'ws', '-n', 'c', '-y', '--no-wait'], t.commandIo),
  ).toBe(0);
  expect(t.urls).toHaveLength(1);
  expect(t.urls[0]).toMatch(/^DELETE /);
  expect(t.out).toEqual([]);
});
