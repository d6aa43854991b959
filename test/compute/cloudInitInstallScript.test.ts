// The install script a scale set VM runs at first boot (shared/adapters/compute/cloudInitCustomData.ts), run by bash
// against stand-ins for the machine's commands (curl, apt-get, node, systemctl, ...) in a temp directory: it installs
// what is missing, waits for the node identity's token, and installs and starts the agent, or stops with the reason
// without starting a broken agent.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cloudInitCustomData } from '../../shared/adapters/compute/cloudInitCustomData';
import type { AgentConfig } from '../../shared/contracts/agentConfig';

const packageUrl = 'https://acct.blob.core.windows.net/node-agent/batchai-agent.tgz';
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cloud-init-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function installScript(): string {
  const customData = cloudInitCustomData(
    { storage: {}, workRoot: '/mnt/batch/tasks' } as unknown as AgentConfig,
    {
      packageUrl,
      managedIdentityClientId: 'node-client-id',
    },
  );
  const script = /path: \/opt\/batchai\/install\.sh\n.*\n\s+content: \|\n((?: {6}.*\n)+)/
    .exec(customData)![1]
    .replace(/^ {6}/gm, '');
  // The machine's directories, moved into the temp directory.
  return script.replaceAll('/tmp/', `${dir}/tmp-`).replaceAll('/opt/batchai', path.join(dir, 'opt'));
}

/** A stand-in command: a bash script that logs its arguments to calls.log, then runs `body`. */
function stub(name: string, body = ''): void {
  fs.writeFileSync(
    path.join(dir, 'bin', name),
    `#!/bin/bash\necho "${name} $*" >> ${dir}/calls.log\n${body}\n`,
    { mode: 0o755 },
  );
}

function machine(options: {
  node?: number;
  tokenFailures: number;
  nodesourceFails?: boolean;
  /** The image has the mount helpers and Docker (default). */
  helpers?: boolean;
}): void {
  fs.mkdirSync(path.join(dir, 'bin'));
  // Real tools the script uses besides the stand-ins.
  for (const tool of ['bash', 'sed', 'seq', 'tar', 'gzip', 'mkdir', 'cat', 'rm', 'cp', 'touch']) {
    const real = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    fs.symlinkSync(real, path.join(dir, 'bin', tool));
  }
  const nodeStub = (major: number): string =>
    `#!/bin/bash\necho "node $*" >> ${dir}/calls.log\necho ${major}\n`;
  if (options.node) fs.writeFileSync(path.join(dir, 'bin', 'node'), nodeStub(options.node), { mode: 0o755 });
  // apt-get installing nodejs after NodeSource's setup brings Node 22.
  fs.writeFileSync(path.join(dir, 'node22'), nodeStub(22), { mode: 0o755 });
  stub(
    'apt-get',
    `[[ "$*" == *"install -y nodejs"* ]] && [ -f ${dir}/nodesource-ran ] && cp ${dir}/node22 ${dir}/bin/node; exit 0`,
  );
  const helpers =
    options.helpers === false ? [] : ['mount.cifs', 'mount.nfs', 'blobfuse2', 'python3', 'docker'];
  for (const command of [...helpers, 'dpkg', 'systemctl', 'sleep']) stub(command);
  fs.mkdirSync(path.join(dir, 'pkg', 'dist', 'agent'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'pkg', 'dist', 'agent', 'main.js'), '');
  spawnSync('tar', ['-czf', path.join(dir, 'agent.tgz'), '-C', path.join(dir, 'pkg'), 'dist']);
  fs.writeFileSync(path.join(dir, 'token-failures'), String(options.tokenFailures));
  stub(
    'curl',
    [
      'out=""; prev=""; for a in "$@"; do [ "$prev" = "-o" ] && out="$a"; prev="$a"; done',
      'case "$*" in',
      '  *metadata/identity*)',
      `    n=$(cat ${dir}/token-failures); if [ "$n" -gt 0 ]; then echo $((n-1)) > ${dir}/token-failures; exit 7; fi`,
      '    echo \'{"access_token":"tok-123","expires_in":"3600"}\' ;;',
      options.nodesourceFails
        ? '  *setup_22.x*) exit 6 ;;'
        : `  *setup_22.x*) echo "touch ${dir}/nodesource-ran" > "$out" ;;`,
      `  *batchai-agent.tgz*) cp ${dir}/agent.tgz "$out" ;;`,
      '  *packages-microsoft-prod.deb*) echo deb > "$out" ;;',
      '  *) exit 22 ;;',
      'esac',
    ].join('\n'),
  );
}

function run(): { status: number | null; stderr: string; calls: string[] } {
  const result = spawnSync('bash', ['-c', installScript()], {
    encoding: 'utf8',
    env: { PATH: path.join(dir, 'bin'), HOME: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
  });
  const log = path.join(dir, 'calls.log');
  const calls = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : [];
  return { status: result.status, stderr: result.stderr, calls };
}

test('a fresh VM gets Node 22, waits for its identity, installs the agent with its token and starts it', () => {
  machine({ tokenFailures: 2 });
  const { status, stderr, calls } = run();
  expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
  expect(calls.filter((c) => c.startsWith('apt-get'))).toEqual([
    'apt-get -o DPkg::Lock::Timeout=600 install -y nodejs',
  ]);
  // Two refusals from the metadata service, two pauses, then the token.
  expect(calls.filter((c) => c.includes('metadata/identity'))).toHaveLength(3);
  expect(calls.filter((c) => c.startsWith('sleep'))).toEqual(['sleep 10', 'sleep 10']);
  const download = calls.find((c) => c.includes('batchai-agent.tgz'))!;
  expect(download).toContain('-H Authorization: Bearer tok-123');
  expect(download).toContain('--retry 10');
  expect(fs.existsSync(path.join(dir, 'opt', 'dist', 'agent', 'main.js'))).toBe(true);
  expect(calls.slice(-2)).toEqual([
    'systemctl daemon-reload',
    'systemctl enable --now batchai-agent.service',
  ]);
});

test('a VM whose Node cannot be brought to 22 stops with the reason and starts no agent', () => {
  machine({ node: 20, tokenFailures: 0, nodesourceFails: true });
  const { status, calls } = run();
  expect(status).not.toBe(0);
  expect(calls.some((c) => c.startsWith('systemctl'))).toBe(false);
  expect(calls.some((c) => c.includes('batchai-agent.tgz'))).toBe(false);
});

test('a VM whose identity never gets a token stops with the reason and starts no agent', () => {
  machine({ node: 22, tokenFailures: 1000 });
  const { status, stderr, calls } = run();
  expect(status).toBe(1);
  expect(stderr).toContain('No token for the node identity from the metadata service');
  expect(calls.filter((c) => c.includes('metadata/identity'))).toHaveLength(60);
  expect(calls.some((c) => c.startsWith('systemctl'))).toBe(false);
});

test("an image without the mount helpers, Python or Docker gets them (blobfuse2 from Microsoft's repository)", () => {
  machine({ node: 22, tokenFailures: 0, helpers: false });
  const { status, calls } = run();
  expect(status).toBe(0);
  expect(calls.find((c) => c.startsWith('curl') && c.includes('packages-microsoft-prod.deb'))).toContain(
    'https://packages.microsoft.com/config/ubuntu/',
  );
  expect(calls.filter((c) => c.startsWith('dpkg'))).toHaveLength(1);
  expect(calls.filter((c) => c.startsWith('apt-get'))).toEqual([
    'apt-get -o DPkg::Lock::Timeout=600 update',
    'apt-get -o DPkg::Lock::Timeout=600 install -y cifs-utils nfs-common fuse3 blobfuse2',
    'apt-get -o DPkg::Lock::Timeout=600 update',
    'apt-get -o DPkg::Lock::Timeout=600 install -y python3',
    'apt-get -o DPkg::Lock::Timeout=600 update',
    'apt-get -o DPkg::Lock::Timeout=600 install -y docker.io',
  ]);
  expect(calls.slice(-1)).toEqual(['systemctl enable --now batchai-agent.service']);
});

test("the jobs' slice has a unit of its own, which the agent's unit wants and starts after", () => {
  const customData = cloudInitCustomData(
    { storage: {}, workRoot: '/mnt/batch/tasks' } as unknown as AgentConfig,
    { packageUrl, managedIdentityClientId: 'node-client-id' },
  );
  const file = (name: string): string =>
    /content: \|\n((?: {6}.*\n?)+)/
      .exec(customData.slice(customData.indexOf(`path: /etc/systemd/system/${name}`)))![1]
      .replace(/^ {6}/gm, '');
  expect(file('batchai-jobs.slice')).toBe(
    '[Unit]\nDescription=Batch AI job processes (no Instance Metadata Service)\n\n[Slice]\n',
  );
  const agentUnit = file('batchai-agent.service');
  expect(agentUnit).toMatch(/^After=.*batchai-jobs\.slice$/m);
  expect(agentUnit).toMatch(/^Wants=.*batchai-jobs\.slice$/m);
});

test("the agent's telemetry settings go to an environment file only root reads, which its unit loads", () => {
  const connection = 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://x/';
  const customData = cloudInitCustomData(
    { storage: {}, workRoot: '/mnt/batch/tasks' } as unknown as AgentConfig,
    {
      packageUrl,
      managedIdentityClientId: 'node-client-id',
      environment: { APPLICATIONINSIGHTS_CONNECTION_STRING: connection },
    },
  );
  const entry = customData.slice(customData.indexOf('path: /etc/batchai/agent.env'));
  expect(entry).toMatch(/^path: \/etc\/batchai\/agent\.env\n {4}permissions: '0600'\n {4}encoding: b64\n/);
  const content = /content: (\S+)/.exec(entry)![1];
  expect(Buffer.from(content, 'base64').toString('utf8')).toBe(
    `APPLICATIONINSIGHTS_CONNECTION_STRING=${connection}\n`,
  );
  expect(customData).toMatch(/^ {6}EnvironmentFile=-\/etc\/batchai\/agent\.env$/m);
  expect(() =>
    cloudInitCustomData({ storage: {}, workRoot: '/w' } as unknown as AgentConfig, {
      packageUrl,
      environment: { TELEMETRY_MIN_LEVEL: 'info\nExecStart=/bin/evil' },
    }),
  ).toThrow(/TELEMETRY_MIN_LEVEL/);
});
