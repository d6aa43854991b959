import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  attemptLabel,
  clusterSshEnvironment,
  clusterSshKeyFileName,
  deriveClusterSshKey,
  installClusterSshKey,
  installContainerSsh,
} from './clusterSsh';

const key = Buffer.alloc(32, 7);
let home: string;

beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'cluster-ssh-'));
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

test('every node of a cluster derives the same key pair, another cluster or node data key another one', () => {
  const pair = deriveClusterSshKey(key, 'rg/ws/gpu');
  expect(deriveClusterSshKey(Buffer.from(key), 'rg/ws/gpu')).toEqual(pair);
  expect(deriveClusterSshKey(key, 'rg/ws/cpu').publicKey).not.toBe(pair.publicKey);
  expect(deriveClusterSshKey(Buffer.alloc(32, 8), 'rg/ws/gpu').publicKey).not.toBe(pair.publicKey);
  expect(pair.publicKey).toMatch(
    /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]+=* batchai-intra-cluster$/,
  );
});

test('OpenSSH reads the private key and finds the public key in it', () => {
  const pair = deriveClusterSshKey(key, 'rg/ws/gpu');
  const keyPath = installClusterSshKey(home, pair);
  const derived = spawnSync('ssh-keygen', ['-y', '-f', keyPath], { encoding: 'utf8' });
  expect(derived.stderr).toBe('');
  expect(derived.stdout.trim()).toBe(pair.publicKey);
});

test('installing is idempotent, keeps the other authorized keys and replaces an earlier cluster key', () => {
  const sshDir = path.join(home, '.ssh');
  fs.mkdirSync(sshDir);
  fs.writeFileSync(path.join(sshDir, 'authorized_keys'), 'ssh-rsa AAAAB3Nza admin@laptop\n');
  installClusterSshKey(home, deriveClusterSshKey(Buffer.alloc(32, 1), 'rg/ws/old'));
  const pair = deriveClusterSshKey(key, 'rg/ws/gpu');
  const keyPath = installClusterSshKey(home, pair);
  installClusterSshKey(home, pair);

  expect(keyPath).toBe(path.join(sshDir, clusterSshKeyFileName));
  const lines = fs.readFileSync(path.join(sshDir, 'authorized_keys'), 'utf8').trimEnd().split('\n');
  expect(lines).toEqual([
    'ssh-rsa AAAAB3Nza admin@laptop',
    `from="10.0.0.0/8,172.16.0.0/12,192.168.0.0/16",no-agent-forwarding,no-port-forwarding,no-X11-forwarding ${pair.publicKey}`,
  ]);
  expect(fs.statSync(sshDir).mode & 0o777).toBe(0o700);
  expect(fs.statSync(keyPath).mode & 0o777).toBe(0o600);
  expect(fs.statSync(path.join(sshDir, 'authorized_keys')).mode & 0o777).toBe(0o600);
  expect(fs.readFileSync(keyPath, 'utf8')).toBe(pair.privateKeyFile);
});

test("Open MPI's ssh launcher gets the key, no host key prompt, and a port only when asked", () => {
  expect(clusterSshEnvironment('/root/.ssh/k')).toEqual({
    OMPI_MCA_plm_rsh_agent: 'ssh',
    OMPI_MCA_plm_rsh_args:
      '-i /root/.ssh/k -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR',
  });
  expect(clusterSshEnvironment('/k', 2222).OMPI_MCA_plm_rsh_args).toMatch(/ -p 2222$/);
});

test("a job's containers get a copy of the key and Open MPI's launcher into the attempt's container elsewhere", () => {
  const dir = path.join(home, 'container-ssh');
  const pair = deriveClusterSshKey(key, 'rg/ws/gpu');
  expect(installContainerSsh(dir, pair)).toEqual({ OMPI_MCA_plm_rsh_agent: '/batchai/ssh/rsh' });
  expect(fs.readFileSync(path.join(dir, 'key'), 'utf8')).toBe(pair.privateKeyFile);
  expect(fs.statSync(path.join(dir, 'key')).mode & 0o777).toBe(0o600);
  expect(fs.statSync(path.join(dir, 'rsh')).mode & 0o777).toBe(0o755);
  const launcher = fs.readFileSync(path.join(dir, 'rsh'), 'utf8');
  expect(launcher).toContain('exec ssh -i "$(dirname "$0")/key" -o IdentitiesOnly=yes');
  // It waits for the other node's container (its image may still be pulled), then runs the daemon in it.
  expect(launcher).toContain(
    `'c=; for i in $(seq 1 300); do c=$(docker ps -q --filter label=batchai.attempt='"$BATCHAI_ATTEMPT_LABEL"'`,
  );
  expect(launcher).toContain('docker exec -i "$c"\' "$@"');
  expect(launcher).not.toContain(' -p ');
  expect(spawnSync('sh', ['-n', path.join(dir, 'rsh')]).status).toBe(0);
});

test('every node of an attempt labels its containers alike; another attempt or job differently', () => {
  const label = attemptLabel('/subscriptions/s/jobs/train', 1);
  expect(label).toMatch(/^[0-9a-f]{24}$/);
  expect(attemptLabel('/subscriptions/s/jobs/train', 1)).toBe(label);
  expect(attemptLabel('/subscriptions/s/jobs/train', 2)).not.toBe(label);
  expect(attemptLabel('/subscriptions/s/jobs/test', 1)).not.toBe(label);
});
