// Mounts a cluster's volumes under the node's mount root ($AZ_BATCHAI_MOUNT_ROOT). On VMs: Azure Files over SMB,
// Blob containers with blobfuse2 (managed identity), NFS (file servers), and unmanaged mount commands. On local
// nodes each mount is a directory that stands for it (jobs see the same paths; nothing is shared over the
// network), except a file server's: a link to the directory that stands for its export, which every local node
// mounting it shares, as NFS clients of one server do.
// Storage account keys arrive sealed with the node data key: opened in memory, written to a 0600 credentials file
// only for the cifs mount that reads it, and deleted as soon as the mount command ended.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { AgentConfig, AgentMount } from '../shared/contracts/agentConfig';
import { mountSealContext, openValues } from '../shared/crypto/nodeSecretSealing';

/** Batch AI's mount root on VMs. */
export const vmMountRoot = '/mnt/batch/tasks/shared/LS_root/mounts';

export interface MountCommand {
  argv: string[];
  env?: Record<string, string>;
  /** A file the command reads (cifs credentials): written 0600 before it runs, deleted after. */
  secretFile?: { path: string; content: string };
}

/**
 * The storage account key of a mount, opened from its sealed credentials (undefined when it has none). `context`:
 * what they are bound to (a cluster mount's by default; a job mount's are bound to their task).
 */
export function mountAccountKey(
  mount: AgentMount,
  config: AgentConfig,
  nodeDataKey: Buffer | undefined,
  context = mountSealContext(config.clusterKey, mount.relativeMountPath),
): string | undefined {
  if ((mount.kind !== 'azureFileShare' && mount.kind !== 'azureBlob') || !mount.sealedCredentials)
    return undefined;
  if (!nodeDataKey) {
    throw new Error(
      `The mount '${mount.relativeMountPath}' has sealed credentials but this node has no node data key.`,
    );
  }
  const opened = openValues(
    nodeDataKey,
    mount.sealedCredentials,
    context,
    `credentials of the mount '${mount.relativeMountPath}'`,
  );
  if (!opened.accountKey)
    throw new Error(`The credentials of the mount '${mount.relativeMountPath}' have no accountKey.`);
  return opened.accountKey;
}

export function mountRootOf(config: AgentConfig): string {
  if (config.mode === 'vm') return vmMountRoot;
  return config.localMountRoot ?? path.join(config.workRoot, 'mounts');
}

/**
 * The command that mounts `mount` at `target` on a Linux VM. `name`: what its credentials file and blobfuse2 cache
 * are named after (unique on the node: a job's mounts add the job to it).
 */
export function vmMountCommand(
  mount: AgentMount,
  target: string,
  config: AgentConfig,
  accountKey?: string,
  name = mount.relativeMountPath,
): MountCommand {
  switch (mount.kind) {
    case 'azureFileShare': {
      const url = new URL(mount.azureFileUrl);
      const share = url.pathname.replace(/^\/+|\/+$/g, '');
      // The account key is never in custom data: it is opened from the sealed credentials and written to this file
      // (mode 600) only while mount.cifs runs.
      const credentials = path.join(config.workRoot, 'secrets', `${name}.cred`);
      const options = [
        'vers=3.0',
        `credentials=${credentials}`,
        `dir_mode=${mount.directoryMode ?? '0777'}`,
        `file_mode=${mount.fileMode ?? '0777'}`,
        'serverino',
        'nofail',
      ];
      return {
        argv: ['mount', '-t', 'cifs', `//${url.host}/${share}`, target, '-o', options.join(',')],
        secretFile: accountKey
          ? { path: credentials, content: `username=${mount.accountName}\npassword=${accountKey}\n` }
          : undefined,
      };
    }
    case 'azureBlob': {
      const options = mount.mountOptions ? mount.mountOptions.split(/\s+/).filter(Boolean) : [];
      return {
        argv: [
          // Its daemon in a scope unit of its own: it outlives a restart of the agent's service, whose stop kills
          // what is left in the agent's control group.
          'systemd-run',
          '--scope',
          '--quiet',
          '--collect',
          '--',
          'blobfuse2',
          'mount',
          target,
          `--container-name=${mount.containerName}`,
          `--tmp-path=/mnt/blobfusetmp/${name}`,
          ...options,
        ],
        // With an account key (sealed credentials) blobfuse2 gets it in its environment only; else the identity.
        env: accountKey
          ? {
              AZURE_STORAGE_ACCOUNT: mount.accountName,
              AZURE_STORAGE_AUTH_TYPE: 'Key',
              AZURE_STORAGE_ACCESS_KEY: accountKey,
            }
          : {
              AZURE_STORAGE_ACCOUNT: mount.accountName,
              AZURE_STORAGE_AUTH_TYPE: 'msi',
              ...(config.storage.managedIdentityClientId
                ? { AZURE_STORAGE_IDENTITY_CLIENT_ID: config.storage.managedIdentityClientId }
                : {}),
            },
      };
    }
    case 'nfs': {
      if (mount.unavailable) throw new Error(mount.unavailable);
      const source = `${mount.server}:${mount.sourceDirectory ?? '/'}`;
      return {
        argv: [
          'mount',
          '-t',
          'nfs',
          source,
          target,
          ...(mount.mountOptions ? ['-o', mount.mountOptions] : []),
        ],
      };
    }
    case 'unmanaged':
      // Batch AI appended the mount path to the user's command.
      return { argv: ['/bin/sh', '-c', `${mount.mountCommand} "$0"`, target] };
  }
}

/** A name that can be one directory under a local storage root: no separators, no dot names. */
function storageName(name: string, what: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || name.includes('..'))
    throw new Error(`The ${what} '${name}' is not a valid name.`);
  return name;
}

/**
 * Local nodes: the directory standing for an Azure file share or blob container under `storageRoot`
 * (`files/<account>/<share>`, `blobs/<account>/<container>`), shared by every local node and job that mounts it;
 * undefined for other mounts, or without a storage root.
 */
export function localStorageDirectory(
  mount: AgentMount,
  storageRoot: string | undefined,
): string | undefined {
  if (storageRoot === undefined) return undefined;
  if (mount.kind === 'azureFileShare') {
    const share = decodeURIComponent(
      new URL(mount.azureFileUrl).pathname.split('/').filter(Boolean)[0] ?? '',
    );
    return path.join(
      storageRoot,
      'files',
      storageName(mount.accountName, 'storage account'),
      storageName(share, 'file share'),
    );
  }
  if (mount.kind === 'azureBlob')
    return path.join(
      storageRoot,
      'blobs',
      storageName(mount.accountName, 'storage account'),
      storageName(mount.containerName, 'blob container'),
    );
  return undefined;
}

/**
 * Local nodes: the directory that stands for a mount at `target`: for a file server, a link to the directory that
 * stands for its export; for an Azure file share or blob container, a link to its directory under `storageRoot`
 * (made when missing; an empty directory or another link in its place is replaced); else a directory.
 */
export function prepareLocalMount(mount: AgentMount, target: string, storageRoot?: string): void {
  if (mount.kind === 'nfs' && mount.unavailable) throw new Error(mount.unavailable);
  const source = mount.kind === 'nfs' ? mount.localExport : localStorageDirectory(mount, storageRoot);
  if (!source) {
    fs.mkdirSync(target, { recursive: true });
    return;
  }
  fs.mkdirSync(source, { recursive: true });
  fs.mkdirSync(path.dirname(target), { recursive: true });
  let existing: fs.Stats | undefined;
  try {
    existing = fs.lstatSync(target);
  } catch {
    existing = undefined;
  }
  if (existing?.isSymbolicLink()) {
    if (fs.readlinkSync(target) === source) return;
    fs.unlinkSync(target);
  } else if (
    existing?.isDirectory() &&
    fs.readdirSync(target).length > 0 &&
    fs.readdirSync(source).length === 0
  ) {
    // A share's files from before shares had a directory of their own (a cluster's mount root held them): they
    // become the share's.
    fs.rmdirSync(source);
    fs.renameSync(target, source);
  } else if (existing?.isDirectory()) {
    fs.rmdirSync(target); // fails when not empty: files there would be hidden by the mount
  } else if (existing) {
    throw new Error(`${target} exists and is not a directory.`);
  }
  try {
    fs.symlinkSync(source, target, 'dir');
  } catch (error: unknown) {
    // Another local node of the cluster (they share the mount root) made the same link at the same moment.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || fs.readlinkSync(target) !== source) throw error;
  }
}

/** The command that unmounts what vmMountCommand mounted at `target`. */
export function vmUnmountCommand(mount: AgentMount, target: string): MountCommand {
  return { argv: mount.kind === 'azureBlob' ? ['blobfuse2', 'unmount', target] : ['umount', target] };
}

/** Whether `target` is a mount point now (Linux: /proc/self/mounts; octal escapes for spaces and the like). */
export function isMountPoint(target: string, mountsFile = '/proc/self/mounts'): boolean {
  let table: string;
  try {
    table = fs.readFileSync(mountsFile, 'utf8');
  } catch {
    return false;
  }
  const wanted = path.resolve(target);
  return table.split('\n').some((line) => {
    const field = line.split(' ')[1];
    if (!field) return false;
    return (
      field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))) === wanted
    );
  });
}

/** Runs a mount command; its secret file exists (0600) only while it runs. */
export async function runMountCommand(command: MountCommand): Promise<void> {
  const file = command.secretFile;
  if (!file) return run(command);
  fs.mkdirSync(path.dirname(file.path), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file.path, file.content, { mode: 0o600 });
  fs.chmodSync(file.path, 0o600);
  try {
    await run(command);
  } finally {
    fs.rmSync(file.path, { force: true });
  }
}

function run(command: MountCommand): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command.argv[0], command.argv.slice(1), {
      env: { ...process.env, ...command.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command.argv[0]} exited ${code}: ${stderr.trim()}`)),
    );
  });
}

/**
 * Mounts every volume; returns the mount root. Throws naming the mount that failed. Sealed credentials are opened
 * on local nodes too (a tampered or foreign value fails the setup the same way), though nothing is mounted there.
 */
export async function mountVolumes(config: AgentConfig, nodeDataKey?: Buffer): Promise<string> {
  const root = mountRootOf(config);
  fs.mkdirSync(root, { recursive: true });
  for (const mount of config.mountVolumes) {
    const target = path.join(root, mount.relativeMountPath);
    await mountOne(mount, target, config, nodeDataKey, runMountCommand);
  }
  return root;
}

async function mountOne(
  mount: AgentMount,
  target: string,
  config: AgentConfig,
  nodeDataKey: Buffer | undefined,
  runCommand: (command: MountCommand) => Promise<void>,
): Promise<void> {
  const accountKey = mountAccountKey(mount, config, nodeDataKey);
  try {
    if (config.mode === 'local') {
      prepareLocalMount(mount, target, config.localStorageRoot);
      return;
    }
    fs.mkdirSync(target, { recursive: true });
    await runCommand(vmMountCommand(mount, target, config, accountKey));
  } catch (error: unknown) {
    throw new Error(`Mounting ${mount.kind} at ${target} failed: ${(error as Error).message}`);
  }
}

export interface RemountOptions {
  /** Runs a mount or unmount command (tests replace it); default: the command itself. */
  run?: (command: MountCommand) => Promise<void>;
  /** Whether a path is a mount point now; default: /proc/self/mounts. */
  isMountPoint?: (target: string) => boolean;
  /** Whether a mount answers; false for a FUSE mount whose daemon is gone (ENOTCONN). */
  answers?: (target: string) => boolean;
  /** Where the volumes are mounted; default: mountRootOf(config). */
  root?: string;
}

/**
 * A VM whose node was set up before (its agent restarted, or the VM rebooted): mounts again each volume that is not
 * mounted now, after taking away one whose daemon died (a blob mount answering "Transport endpoint is not
 * connected"). Mounted ones are left as they are. Returns the mount root; throws naming the mount that failed.
 */
export async function remountVolumes(
  config: AgentConfig,
  nodeDataKey: Buffer | undefined,
  options: RemountOptions = {},
): Promise<{ root: string; mounted: string[] }> {
  const runCommand = options.run ?? runMountCommand;
  const mountedNow = options.isMountPoint ?? isMountPoint;
  const answers = options.answers ?? mountAnswers;
  const root = options.root ?? mountRootOf(config);
  const mounted: string[] = [];
  for (const mount of config.mountVolumes) {
    const target = path.join(root, mount.relativeMountPath);
    if (mountedNow(target)) {
      if (answers(target)) continue;
      await runCommand({ argv: ['umount', '-l', target] }).catch(() => undefined);
    }
    await mountOne(mount, target, config, nodeDataKey, runCommand);
    mounted.push(target);
  }
  return { root, mounted };
}

function mountAnswers(target: string): boolean {
  try {
    fs.statSync(target);
    return true;
  } catch {
    return false;
  }
}
