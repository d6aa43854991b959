// mpirun across two "nodes" over real SSH with the key each VM node's agent derives and installs
// (agent/clusterSsh.ts): the worker is an OpenSSH server on 127.0.0.2 (Open MPI takes it for another host), whose
// authorized_keys is what the worker's agent installed; the master's ranks launch through ssh with the agent's
// environment, on the host or, for a job in containers, into the attempt's container on the worker (a stand-in
// docker CLI there, test/fixtures/fakeDocker: no Docker engine exists here). Needs Open MPI and the OpenSSH server
// (Debian: openmpi-bin, openssh-server; .ci/run installs both) and root (sshd switches to the user it signs in).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  attemptLabelName,
  clusterSshEnvironment,
  deriveClusterSshKey,
  installClusterSshKey,
  installContainerSsh,
  privateSources,
} from '../../agent/clusterSsh';
import { nodeHostCommandLine } from '../../shared/domain/toolkits/launchPlanBuilder';

const sshd = '/usr/sbin/sshd';
const runnable =
  process.getuid?.() === 0 &&
  fs.existsSync(sshd) &&
  spawnSync('mpirun', ['--version'], { stdio: 'ignore' }).status === 0;

if (!runnable) {
  console.warn(
    'clusterSshMpi: skipped, it needs root, /usr/sbin/sshd (openssh-server) and mpirun (openmpi-bin).',
  );
}

const clusterKey = 'rg/ws/mpi';
const nodeDataKey = Buffer.alloc(32, 42);
const workerAddress = '127.0.0.2';
let dir: string;
let server: ChildProcess | undefined;
let port: number;
const hosts: ChildProcess[] = [];
const launched: ChildProcess[] = [];
/** This run's attempt label: what a remote launcher still waiting for its container is found by, to stop it. */
const attemptTag = `t${process.pid}x${Date.now()}`;

async function freePort(host: string): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, host, resolve));
  const { port: free } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return free;
}

async function waitForPort(host: string, target: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(target, host, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `sshd did not listen on ${host}:${target}: ${fs.readFileSync(path.join(dir, 'sshd.log'), 'utf8')}`,
  );
}

beforeAll(async () => {
  if (!runnable) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cluster-ssh-mpi-'));
  // The worker node's agent installs the cluster's key for its user.
  const workerHome = path.join(dir, 'worker-home');
  // Loopback stands for the cluster's subnet here (nodes accept the key from private addresses only).
  installClusterSshKey(workerHome, deriveClusterSshKey(nodeDataKey, clusterKey), [
    ...privateSources,
    '127.0.0.0/8',
  ]);
  spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'host_key')]);
  port = await freePort(workerAddress);
  fs.writeFileSync(
    path.join(dir, 'sshd_config'),
    [
      `ListenAddress ${workerAddress}:${port}`,
      `HostKey ${path.join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${path.join(workerHome, '.ssh', 'authorized_keys')}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      'StrictModes no', // the temp directory is world-writable
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      // The worker's docker CLI: the stand-in.
      `SetEnv PATH=${path.join(dir, 'bin')}:/usr/bin:/bin`,
      '',
    ].join('\n'),
  );
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.copyFileSync(
    path.join(__dirname, '..', 'fixtures', 'fakeDocker', 'docker'),
    path.join(dir, 'bin', 'docker'),
  );
  fs.chmodSync(path.join(dir, 'bin', 'docker'), 0o755);
  fs.mkdirSync('/run/sshd', { recursive: true }); // its privilege separation directory
  server = spawn(sshd, ['-D', '-e', '-f', path.join(dir, 'sshd_config')], {
    stdio: ['ignore', 'ignore', fs.openSync(path.join(dir, 'sshd.log'), 'a')],
  });
  await waitForPort(workerAddress, port);
}, 30_000);

afterAll(() => {
  // The stand-in docker runs a container's command in a session of its own (its PID namespace): the container is
  // stopped through it, as the agent would, before its CLI process goes (killing that alone leaves it running).
  const docker = dir ? path.join(dir, 'bin', 'docker') : undefined;
  if (docker && fs.existsSync(docker))
    spawnSync(docker, ['kill', '--signal=SIGKILL', 'batchai-host'], { stdio: 'ignore' });
  for (const host of hosts) if (host.exitCode === null) process.kill(-host.pid!, 'SIGKILL');
  for (const child of launched) if (child.exitCode === null) child.kill('SIGKILL');
  spawnSync('pkill', ['-f', `batchai.attempt=${attemptTag}`]);
  server?.kill('SIGTERM');
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** mpirun's arguments for two ranks running `command`: one here (the master), one on the worker. */
function twoRanks(command: string): string[] {
  return ['--host', `127.0.0.1:1,${workerAddress}:1`, '-np', '2', 'sh', '-c', command];
}

/** mpirun on the master with the master agent's environment for a node data key: one rank here, one on the worker. */
function mpirunFromMaster(masterKey: Buffer): { status: number | null; stdout: string; stderr: string } {
  const masterHome = fs.mkdtempSync(path.join(dir, 'master-home-'));
  const keyPath = installClusterSshKey(masterHome, deriveClusterSshKey(masterKey, clusterKey));
  const result = spawnSync(
    'mpirun',
    twoRanks('echo "rank $OMPI_COMM_WORLD_RANK ssh=${SSH_CONNECTION:-none}"'),
    {
      encoding: 'utf8',
      timeout: 60_000,
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        HOME: masterHome,
        OMPI_ALLOW_RUN_AS_ROOT: '1',
        OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1',
        ...clusterSshEnvironment(keyPath, port),
      },
    },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

(runnable ? test : test.skip)(
  "mpirun on the master starts a rank on another node of the cluster over SSH with the agents' key",
  () => {
    const run = mpirunFromMaster(nodeDataKey);
    expect(run).toMatchObject({ status: 0 });
    const lines = run.stdout.trim().split('\n').sort();
    expect(lines).toHaveLength(2);
    // One rank ran here, the other through an SSH session to the worker's address.
    expect(lines.filter((line) => line.endsWith('ssh=none'))).toHaveLength(1);
    expect(lines.filter((line) => line.includes(` ${workerAddress} ${port}`))).toHaveLength(1);
  },
  90_000,
);

(runnable ? test : test.skip)(
  "a node of another cluster (another node data key) cannot start ranks on this cluster's nodes",
  () => {
    const run = mpirunFromMaster(Buffer.alloc(32, 43));
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(`root@${workerAddress}: Permission denied (publickey)`);
    expect(run.stdout).not.toContain(`${workerAddress} ${port}`);
  },
  90_000,
);

(runnable ? test : test.skip)(
  "in a job's containers, mpirun starts the other node's rank in the attempt's container there, once it runs",
  async () => {
    // The master's agent writes the key and the launcher its containers mount; mpirun runs "in" its container.
    const label = attemptTag;
    const sshDir = path.join(dir, 'master-container-ssh');
    const environment = installContainerSsh(sshDir, deriveClusterSshKey(nodeDataKey, clusterKey), port);
    expect(environment).toEqual({ OMPI_MCA_plm_rsh_agent: '/batchai/ssh/rsh' });
    const mpirun = spawn(
      'mpirun',
      twoRanks('echo "rank $OMPI_COMM_WORLD_RANK in=${FAKE_EXEC_IN:-none} ssh=${SSH_CONNECTION:-none}"'),
      {
        cwd: dir,
        env: {
          PATH: process.env.PATH,
          HOME: dir,
          OMPI_ALLOW_RUN_AS_ROOT: '1',
          OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1',
          // The container sees the launcher at /batchai/ssh; here it is where the agent wrote it.
          OMPI_MCA_plm_rsh_agent: path.join(sshDir, 'rsh'),
          BATCHAI_ATTEMPT_LABEL: label,
        },
      },
    );
    launched.push(mpirun);
    let stdout = '';
    let stderr = '';
    mpirun.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    mpirun.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const status = new Promise<number | null>((resolve) => mpirun.on('close', resolve));

    // The worker's container (the attempt's host task, labelled with the attempt) starts only after mpirun: its
    // image was still being pulled, say. The launcher waits for it.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const host = spawn(
      path.join(dir, 'bin', 'docker'),
      [
        'run',
        '--rm',
        '--name',
        'batchai-host',
        '--label',
        `${attemptLabelName}=${label}`,
        'horovod/horovod',
        '/bin/sh',
        '-c',
        nodeHostCommandLine,
      ],
      { detached: true, stdio: 'ignore' },
    );
    hosts.push(host);

    expect({ status: await status, stderr }).toMatchObject({ status: 0 });
    const lines = stdout.trim().split('\n').sort();
    expect(lines).toHaveLength(2);
    expect(lines.filter((line) => line.includes('in=none ssh=none'))).toHaveLength(1);
    expect(lines.filter((line) => line.includes(`in=batchai-host ssh=127.0.0.1`))).toHaveLength(1);
  },
  90_000,
);
