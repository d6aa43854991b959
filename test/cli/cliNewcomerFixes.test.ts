// In-process tests of what a newcomer's walkthrough found in the CLI: messages for a bad endpoint, a directory given
// as a config file and a malformed --query; --version; -o none; the /api hint on a bare 404; the per-request
// timeout; job wait on a job without an exit code; notes for empty node lists and deletes of missing resources;
// the resize table's Target column; --max-results as a cap. The service is a scripted fetch (or a real socket).
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as fs from 'fs';
import * as path from 'path';
import { runCli } from '../../cli/cliRunner';
import type { CommandIo } from '../../cli/commandSpec';
import { scriptedIo, type ScriptedReply } from './support/scriptedIo';

/** The scripted I/O with stdout and stderr read as text. */
function io(replies: ScriptedReply[], env: Record<string, string> = {}) {
  const t = scriptedIo(replies, env, __dirname);
  return { ...t, out: () => t.out.join(''), err: () => t.err.join('') };
}

const ws = ['-g', 'rg', '-w', 'ws'];

describe('messages', () => {
  test('--endpoint that is not a URL names the flag, the value and an example', async () => {
    const t = io([]);
    expect(await runCli(['workspace', 'list', '--endpoint', 'not a url'], t.commandIo)).toBe(2);
    expect(t.err()).toContain(
      "batchai workspace list: error: --endpoint: 'not a url' is not a URL (expected e.g. http://127.0.0.1:7071/api).",
    );
    expect(t.urls).toEqual([]);
  });

  test('--config-file naming a directory says it is a directory', async () => {
    const t = io([]);
    const code = await runCli(
      ['cluster', 'create', ...ws, '-n', 'c', '-f', path.dirname(__dirname), '-p', 'pw-1234567'],
      t.commandIo,
    );
    expect(code).toBe(2);
    expect(t.err()).toContain('is a directory, not a file');
    expect(t.err()).not.toContain('EISDIR');
  });

  test('--version prints the package version and exits 0', async () => {
    const t = io([]);
    expect(await runCli(['--version'], t.commandIo)).toBe(0);
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(t.out()).toBe(`${pkg.version}\n`);
  });

  test.each(['a..b', '.a', 'a.'])(
    "--query '%s' is a usage error (exit 2) and calls no service",
    async (q) => {
      const t = io([{ status: 200, body: { name: 'w' } }]);
      expect(await runCli(['workspace', 'show', '-g', 'rg', '-n', 'w', '--query', q], t.commandIo)).toBe(2);
      expect(t.err()).toContain('--query:');
      expect(t.urls).toEqual([]);
    },
  );

  test('a 404 that is not a CloudError hints that the endpoint usually ends with /api', async () => {
    const t = io([{ status: 404, body: '' }]);
    expect(await runCli(['workspace', 'list', '--endpoint', 'http://127.0.0.1:7071'], t.commandIo)).toBe(1);
    expect(t.err()).toMatch(/^Http404: .*\nHint: .*'http:\/\/127\.0\.0\.1:7071'.*ends with .*\/api/s);
    // The service's own 404 (a CloudError) needs no hint.
    const u = io([{ status: 404, body: { error: { code: 'ResourceNotFound', message: 'no ws' } } }]);
    expect(await runCli(['workspace', 'show', '-g', 'rg', '-n', 'w'], u.commandIo)).toBe(1);
    expect(u.err()).toBe('ResourceNotFound: no ws\n');
  });

  test('-o none prints nothing and exits 0', async () => {
    const t = io([{ status: 200, body: { name: 'w', properties: { provisioningState: 'succeeded' } } }]);
    expect(await runCli(['workspace', 'show', '-g', 'rg', '-n', 'w', '-o', 'none'], t.commandIo)).toBe(0);
    expect(t.out()).toBe('');
    expect(t.urls).toHaveLength(1);
  });
});

describe('per-request timeout', () => {
  let server: http.Server;
  let endpoint: string;
  const pending: http.ServerResponse[] = [];

  beforeAll(async () => {
    // Accepts every request and never answers it.
    server = http.createServer((_req, res) => pending.push(res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  });
  afterAll(async () => {
    for (const res of pending) res.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('a server that never answers fails the request after --timeout as EndpointUnreachable naming it', async () => {
    const t = io([]);
    const commandIo = { ...t.commandIo, fetch: undefined }; // the real fetch, the real socket
    expect(await runCli(['workspace', 'list', '--endpoint', endpoint, '--timeout', '0.5'], commandIo)).toBe(
      1,
    );
    expect(t.err()).toMatch(
      /^EndpointUnreachable: Cannot reach http:\/\/127\.0\.0\.1:\d+: no answer within 0\.5 s/,
    );
    expect(t.err()).toContain('--timeout');
  });

  test('BATCHAI_REQUEST_TIMEOUT sets it too; a bad value is a usage error', async () => {
    const t = io([], { BATCHAI_REQUEST_TIMEOUT: '0.5', BATCHAI_ENDPOINT: endpoint });
    expect(await runCli(['workspace', 'list'], { ...t.commandIo, fetch: undefined })).toBe(1);
    expect(t.err()).toContain('no answer within 0.5 s');
    const u = io([]);
    expect(await runCli(['workspace', 'list', '--timeout', 'soon'], u.commandIo)).toBe(2);
  });

  test('the timeout is per request: a long poll of many quick answers is not cut', async () => {
    const running = { status: 200, body: { name: 'j', properties: { executionState: 'running' } } };
    const replies: ScriptedReply[] = [...Array.from({ length: 5 }, () => running)];
    replies.push({
      status: 200,
      body: { name: 'j', properties: { executionState: 'succeeded', executionInfo: { exitCode: 0 } } },
    });
    const t = io(replies);
    // Each answer comes after a while; together they take longer than the timeout, each one much less.
    const slow: CommandIo['fetch'] = async (url, init) => {
      await new Promise((r) => setTimeout(r, 250));
      return (t.commandIo.fetch as NonNullable<CommandIo['fetch']>)(url, init);
    };
    const code = await runCli(
      ['job', 'wait', ...ws, '-e', 'e', '-n', 'j', '--interval', '0', '--timeout', '1'],
      { ...t.commandIo, fetch: slow },
    );
    expect(code).toBe(0);
    expect(t.urls).toHaveLength(6);
  });
});

describe('job wait', () => {
  test('a terminated job without an exit code prints its error and exits 1 without inventing a code', async () => {
    const t = io([
      {
        status: 200,
        body: {
          name: 'j',
          properties: {
            executionState: 'failed',
            executionInfo: { errors: [{ code: 'JobTerminated', message: 'The job was terminated.' }] },
          },
        },
      },
    ]);
    expect(await runCli(['job', 'wait', ...ws, '-e', 'e', '-n', 'j'], t.commandIo)).toBe(1);
    expect(t.err()).toBe('Job j: failed, no exit code (JobTerminated: The job was terminated.).\n');
  });

  test("a job's own exit code is kept", async () => {
    const t = io([
      {
        status: 200,
        body: { name: 'j', properties: { executionState: 'succeeded', executionInfo: { exitCode: 0 } } },
      },
    ]);
    expect(await runCli(['job', 'wait', ...ws, '-e', 'e', '-n', 'j'], t.commandIo)).toBe(0);
    expect(t.err()).toBe('Job j: succeeded, exit code 0.\n');
  });
});

describe('node lists', () => {
  test.each([
    [['cluster', 'node', 'list', ...ws, '-c', 'c']],
    [['job', 'node', 'list', ...ws, '-e', 'e', '-j', 'j']],
  ])('%j: an empty list says on stderr why, in json and in table mode', async (args) => {
    for (const output of ['json', 'table']) {
      const t = io([{ status: 200, body: { value: [] } }]);
      expect(await runCli([...args, '-o', output], t.commandIo)).toBe(0);
      expect(t.err()).toMatch(
        /No node offers a remote login.*Local nodes \(npm start\) never do.*cluster show/s,
      );
      expect(t.out()).toBe(output === 'json' ? '[]\n' : '');
    }
  });

  test('a non-empty list prints no note', async () => {
    const t = io([{ status: 200, body: { value: [{ nodeId: 'n0', ipAddress: '10.0.0.4', port: 22 }] } }]);
    expect(await runCli(['cluster', 'node', 'list', ...ws, '-c', 'c', '-o', 'table'], t.commandIo)).toBe(0);
    expect(t.err()).toBe('');
    expect(t.out()).toContain('n0');
  });
});

describe('cluster resize', () => {
  test('prints the PATCH answer with a Target column, manual or auto-scale', async () => {
    const patched = {
      id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/ws/clusters/c',
      name: 'c',
      properties: {
        allocationState: 'steady',
        scaleSettings: { manual: { targetNodeCount: 1 } },
        nodeStateCounts: { idleNodeCount: 2, runningNodeCount: 0 },
      },
    };
    const t = io([{ status: 200, body: patched }]);
    expect(await runCli(['cluster', 'resize', ...ws, '-n', 'c', '-t', '1', '-o', 'table'], t.commandIo)).toBe(
      0,
    );
    const [header, , row] = t.out().split('\n');
    expect(header).toMatch(/State\s+Target\s+Idle/);
    expect(row).toMatch(/steady\s+1\s+2/);
    expect(t.urls[0]).toMatch(/^PATCH /);
    const auto = {
      ...patched,
      properties: {
        ...patched.properties,
        scaleSettings: { autoScale: { minimumNodeCount: 0, maximumNodeCount: 4 } },
      },
    };
    const u = io([{ status: 200, body: auto }]);
    expect(
      await runCli(
        ['cluster', 'auto-scale', ...ws, '-n', 'c', '--min', '0', '--max', '4', '-o', 'table'],
        u.commandIo,
      ),
    ).toBe(0);
    expect(u.out()).toMatch(/0-4 \(auto\)/);
  });
});

describe('deletes of missing resources', () => {
  test.each([
    [['cluster', 'delete', ...ws, '-n', 'nocl'], 'There was no such cluster.'],
    [['experiment', 'delete', ...ws, '-n', 'noex'], 'There was no such experiment.'],
    [['file-server', 'delete', ...ws, '-n', 'nofs'], 'There was no such file server.'],
    [['job', 'delete', ...ws, '-e', 'e', '-n', 'nojob'], 'There was no such job.'],
    [['workspace', 'delete', '-g', 'rg', '-n', 'nows'], 'There was no such workspace.'],
  ])('%j: a 204 prints a note on stderr and exits 0', async (args, note) => {
    const t = io([{ status: 204 }]);
    expect(await runCli([...args, '-y'], t.commandIo)).toBe(0);
    expect(t.err()).toBe(`${note}\n`);
  });

  test('an accepted delete (202) prints no note', async () => {
    const t = io([
      { status: 202, headers: { 'azure-asyncoperation': 'http://x.test/op', 'retry-after': '0' } },
      { status: 200, body: { status: 'Succeeded' } },
    ]);
    expect(await runCli(['cluster', 'delete', ...ws, '-n', 'c', '-y'], t.commandIo)).toBe(0);
    expect(t.err()).toBe('');
  });
});

describe('--max-results', () => {
  const item = (n: number) => ({ name: `e${n}`, properties: {} });
  test('caps the number of results and stops fetching pages once reached', async () => {
    const t = io([
      { status: 200, body: { value: [item(1), item(2)], nextLink: 'http://x.test/p2' } },
      { status: 200, body: { value: [item(3), item(4)], nextLink: 'http://x.test/p3' } },
      { status: 200, body: { value: [item(5)] } },
    ]);
    expect(await runCli(['experiment', 'list', ...ws, '--max-results', '3'], t.commandIo)).toBe(0);
    expect((JSON.parse(t.out()) as { name: string }[]).map((e) => e.name)).toEqual(['e1', 'e2', 'e3']);
    expect(t.urls).toHaveLength(2);
    expect(t.urls[0]).toContain('maxresults=3');
  });

  test('above 1000 it still caps, asking pages of 1000', async () => {
    const t = io([{ status: 200, body: { value: [item(1)] } }]);
    expect(await runCli(['job', 'list', ...ws, '-e', 'e', '--max-results', '5000'], t.commandIo)).toBe(0);
    expect(t.urls[0]).toContain('maxresults=1000');
  });
});

describe('job file stream', () => {
  test('a file that never appears: a note naming the files there, again at the end, exit 1', async () => {
    const job = (state: string) => ({
      status: 200,
      body: { name: 'j', properties: { executionState: state } },
    });
    const files = {
      status: 200,
      body: {
        value: [
          { name: 'stderr-wk-0.txt', fileType: 'file' },
          { name: 'stdout-wk-0.txt', fileType: 'file' },
        ],
      },
    };
    const t = io([job('running'), files, job('running'), files, job('succeeded'), files]);
    const code = await runCli(
      ['job', 'file', 'stream', ...ws, '-e', 'e', '-j', 'j', '-f', 'stdout.txt', '--interval', '0'],
      t.commandIo,
    );
    expect(code).toBe(1);
    expect(t.out()).toBe('');
    expect(t.err()).toBe(
      "Waiting for 'stdout.txt': the job is running and the directory has stderr-wk-0.txt, stdout-wk-0.txt but not it.\n" +
        "The job ended (succeeded) without creating 'stdout.txt'; the directory has: stderr-wk-0.txt, stdout-wk-0.txt.\n",
    );
  });
});
