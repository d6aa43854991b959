// Passwordless SSH between the nodes of a VM cluster, which mpirun needs to start the ranks of a multi-node MPI
// job on the gang's other nodes (Batch AI set this up for its MPI toolkits). Every node derives the same Ed25519
// key pair from its cluster's node data key, so the key is never sent or stored anywhere but on the nodes (which
// hold that key already); another cluster's nodes derive another pair. The agent installs it for its own user
// (the tasks' user) and points Open MPI's ssh launcher at it.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface ClusterSshKey {
  /** `ssh-ed25519 <base64> <comment>`, one authorized_keys line without options. */
  publicKey: string;
  /** The private key in OpenSSH's own format, as `ssh-keygen` writes it. */
  privateKeyFile: string;
}

/** Marks the agent's line in authorized_keys, to replace it rather than add another. */
export const clusterSshKeyComment = 'batchai-intra-cluster';
/** The key's file name under ~/.ssh (the public key beside it with `.pub`). */
export const clusterSshKeyFileName = 'batchai_cluster_ed25519';
/**
 * Where the key is accepted from: the cluster's nodes have private addresses only (no public IP on their NICs), so
 * a key that leaked off a node still cannot sign in from the internet; not from the node itself (loopback), which
 * mpirun never needs (its own ranks start directly), so a job's container cannot use it to become root on its host.
 */
export const privateSources = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];

const ed25519Pkcs8Prefix = Buffer.from('302e020100300506032b657004220420', 'hex');

function sshString(value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

/** The cluster's SSH key pair, the same on every node that holds the cluster's node data key. */
export function deriveClusterSshKey(nodeDataKey: Buffer, clusterKey: string): ClusterSshKey {
  const seed = crypto
    .createHmac('sha256', nodeDataKey)
    .update(`batchai/intra-cluster-ssh/v1\n${clusterKey}`)
    .digest();
  const privateKey = crypto.createPrivateKey({
    key: Buffer.concat([ed25519Pkcs8Prefix, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const jwk = crypto.createPublicKey(privateKey).export({ format: 'jwk' });
  const publicBytes = Buffer.from(jwk.x!, 'base64url');
  const publicBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(publicBytes)]);
  // The check integer only lets a reader detect a wrong passphrase; derived from the seed so the file is the same
  // on every start (rewriting it is then a no-op).
  const check = seed.readUInt32BE(0);
  let secret = Buffer.concat([
    uint32(check),
    uint32(check),
    sshString('ssh-ed25519'),
    sshString(publicBytes),
    sshString(Buffer.concat([seed, publicBytes])),
    sshString(clusterSshKeyComment),
  ]);
  const padding = (8 - (secret.length % 8)) % 8;
  secret = Buffer.concat([secret, Buffer.from(Array.from({ length: padding }, (_, i) => i + 1))]);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(publicBlob),
    sshString(secret),
  ]).toString('base64');
  const lines = body.match(/.{1,70}/g) ?? [];
  return {
    publicKey: `ssh-ed25519 ${publicBlob.toString('base64')} ${clusterSshKeyComment}`,
    privateKeyFile: `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`,
  };
}

function writeIfChanged(file: string, content: string, mode: number): void {
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  if (current !== content) fs.writeFileSync(file, content, { mode });
  fs.chmodSync(file, mode);
}

/**
 * Installs the cluster's key for the user whose home is `home`: the key pair under ~/.ssh and one line in
 * authorized_keys (replacing the line an earlier start wrote; other lines are kept). Returns the private key's
 * path. Idempotent.
 */
export function installClusterSshKey(
  home: string,
  key: ClusterSshKey,
  acceptedSources: readonly string[] = privateSources,
): string {
  const dir = path.join(home, '.ssh');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  const keyPath = path.join(dir, clusterSshKeyFileName);
  writeIfChanged(keyPath, key.privateKeyFile, 0o600);
  writeIfChanged(`${keyPath}.pub`, `${key.publicKey}\n`, 0o644);
  const authorizedKeys = path.join(dir, 'authorized_keys');
  const kept = (fs.existsSync(authorizedKeys) ? fs.readFileSync(authorizedKeys, 'utf8') : '')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trimEnd().endsWith(` ${clusterSshKeyComment}`));
  const line = `from="${acceptedSources.join(',')}",no-agent-forwarding,no-port-forwarding,no-X11-forwarding ${key.publicKey}`;
  writeIfChanged(authorizedKeys, [...kept, line, ''].join('\n'), 0o600);
  return keyPath;
}

/**
 * The environment that makes Open MPI's ssh launcher use the cluster's key on the gang's nodes: their host keys
 * are not known in advance (new nodes come and go), so they are not checked, and never prompted for. `port` is for
 * tests (an sshd on a free port); nodes use 22.
 */
export function clusterSshEnvironment(keyPath: string, port?: number): Record<string, string> {
  return { OMPI_MCA_plm_rsh_agent: 'ssh', OMPI_MCA_plm_rsh_args: sshOptions(keyPath, port) };
}

function sshOptions(keyPath: string, port?: number): string {
  return [
    `-i ${keyPath}`,
    '-o IdentitiesOnly=yes',
    '-o StrictHostKeyChecking=no',
    '-o UserKnownHostsFile=/dev/null',
    '-o BatchMode=yes',
    '-o LogLevel=ERROR',
    ...(port === undefined ? [] : [`-p ${port}`]),
  ].join(' ');
}

/** Where a job's containers find the cluster's key and Open MPI's remote launcher (mounted read-only). */
export const containerSshMount = '/batchai/ssh';
/** Labels every container of a job attempt, so a node's launcher can find the attempt's container on another. */
export const attemptLabelName = 'batchai.attempt';

/** The value of `attemptLabelName`: the same on every node of the attempt. */
export function attemptLabel(jobId: string, attempt: number): string {
  return crypto.createHash('sha256').update(`${jobId}\n${attempt}`).digest('hex').slice(0, 24);
}

/**
 * The launcher Open MPI runs (as `plm_rsh_agent`) in a job's container to start its daemon on another node of the
 * gang: it signs in to that node over SSH with the cluster's key and starts the daemon in the attempt's container
 * there (the node's host task, labelled with the attempt), so every rank runs in the job's image.
 * `BATCHAI_ATTEMPT_LABEL` comes from the container's environment.
 */
export function containerRemoteLauncher(port?: number): string {
  const options = sshOptions('"$(dirname "$0")/key"', port);
  return [
    '#!/bin/sh',
    "# Open MPI's remote launcher in a job's container (written by the node agent): the daemon starts in the job's",
    '# container on the other node.',
    'host="$1"',
    'shift',
    // The other node's container may still be starting (its image being pulled): wait for it, up to 10 minutes.
    `exec ssh ${options} "$host" \\`,
    `  'c=; for i in $(seq 1 300); do c=$(docker ps -q --filter label=${attemptLabelName}='"$BATCHAI_ATTEMPT_LABEL"' | head -n 1); [ -n "$c" ] && break; sleep 2; done; docker exec -i "$c"' "$@"`,
    '',
  ].join('\n');
}

/**
 * Writes what a job's containers on this node mount at `containerSshMount` (a copy of the key, the launcher) into
 * `dir`, and returns the environment that points Open MPI at it. Idempotent.
 */
export function installContainerSsh(dir: string, key: ClusterSshKey, port?: number): Record<string, string> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeIfChanged(path.join(dir, 'key'), key.privateKeyFile, 0o600);
  writeIfChanged(path.join(dir, 'rsh'), containerRemoteLauncher(port), 0o755);
  return { OMPI_MCA_plm_rsh_agent: `${containerSshMount}/rsh` };
}
