// A job's own mounts on a node: on VMs mounted once for the job's tasks that run at once and unmounted after the
// last, account keys opened only for their task and written to a 0600 file only while mount.cifs runs, a failed
// mount named and what was mounted before it given back, a hanging unmount bounded; on local nodes directories
// standing for them. The mount commands are recorded instead of run (mounting needs root and the storage); the VM
// commands themselves are checked here too, for cluster and job mounts.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { AgentConfig, AgentMount } from '../shared/contracts/agentConfig';
import type { TaskJobMounts } from '../shared/contracts/nodeTask';
import { generateNodeDataKey, jobMountSealContext, sealValues } from '../shared/crypto/nodeSecretSealing';
import { JobMounts } from './jobMounts';
import {
  isMountPoint,
  remountVolumes,
  vmMountCommand,
  vmUnmountCommand,
  type MountCommand,
} from './volumeMounts';

const key = generateNodeDataKey();
let workRoot: string;

beforeEach(() => {
  workRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'job-mounts-'));
});

afterEach(() => {
  fs.rmSync(workRoot, { recursive: true, force: true });
});

function config(mode: 'local' | 'vm'): AgentConfig {
  return {
    schema: 'batchai.agentConfig',
    version: 2,
    mode,
    nodeId: 'n1',
    clusterKey: '/subscriptions/s/resourcegroups/rg/providers/microsoft.batchai/workspaces/ws/clusters/c',
    vmSize: 'STANDARD_D1',
    cpuCount: 1,
    gpuCount: 0,
    workRoot,
    storage: {
      blobEndpoint: 'https://a.blob.core.windows.net',
      queueEndpoint: 'https://a.queue.core.windows.net',
    },
    nodeEventsQueue: 'node-events',
    setupOutputContainer: 'node-setup',
    heartbeatIntervalMs: 1000,
    taskPollIntervalMs: 1000,
    scheduledEventsPollIntervalMs: 1000,
    mountVolumes: [],
  };
}

const jobGuid = '7d3c9f0e-1111-2222-3333-444455556666';

function share(taskId: string, relativeMountPath = 'afs', accountKey = 'a2V5LTE='): AgentMount {
  return {
    kind: 'azureFileShare',
    relativeMountPath,
    azureFileUrl: 'https://acct.file.core.windows.net/logs',
    accountName: 'acct',
    sealedCredentials: sealValues(key, { accountKey }, jobMountSealContext(taskId, relativeMountPath)),
  };
}

function mountsOf(root: string, ...volumes: AgentMount[]): TaskJobMounts {
  return { root, volumes };
}

interface Recorder {
  commands: string[][];
  /** The credentials file as it was while its command ran. */
  secretFiles: { path: string; content: string; mode: number }[];
  run: (command: MountCommand) => Promise<void>;
}

function recorder(fail?: (argv: string[]) => string | undefined): Recorder {
  const recorded: Recorder = {
    commands: [],
    secretFiles: [],
    run: (command) => {
      recorded.commands.push(command.argv);
      if (command.secretFile) {
        // What runMountCommand does around the command, so the file's mode and content can be seen while it runs.
        fs.mkdirSync(path.dirname(command.secretFile.path), { recursive: true });
        fs.writeFileSync(command.secretFile.path, command.secretFile.content, { mode: 0o600 });
        recorded.secretFiles.push({
          ...command.secretFile,
          mode: fs.statSync(command.secretFile.path).mode & 0o777,
        });
        fs.rmSync(command.secretFile.path);
      }
      const failure = fail?.(command.argv);
      return failure ? Promise.reject(new Error(failure)) : Promise.resolve();
    },
  };
  return recorded;
}

function jobMounts(mode: 'local' | 'vm', run: Recorder, mounted: (t: string) => boolean = () => false) {
  return new JobMounts({
    config: config(mode),
    nodeDataKey: () => key,
    log: () => undefined,
    run: run.run,
    isMountPoint: mounted,
  });
}

test("on a VM a job's tasks share one mount, unmounted after the last of them", async () => {
  const root = path.join(workRoot, 'jobs', jobGuid, 'mounts');
  const run = recorder();
  const mounts = jobMounts('vm', run);
  const releaseA = await mounts.acquire('t-a', mountsOf(root, share('t-a')));
  const releaseB = await mounts.acquire('t-b', mountsOf(root, share('t-b')));
  const target = path.join(root, 'afs');
  expect(fs.statSync(target).isDirectory()).toBe(true);
  expect(run.commands).toEqual([
    [
      'mount',
      '-t',
      'cifs',
      '//acct.file.core.windows.net/logs',
      target,
      '-o',
      `vers=3.0,credentials=${path.join(workRoot, 'secrets', `job-${jobGuid}`, 'afs.cred')},dir_mode=0777,file_mode=0777,serverino,nofail`,
    ],
  ]);
  expect(run.secretFiles).toEqual([
    {
      path: path.join(workRoot, 'secrets', `job-${jobGuid}`, 'afs.cred'),
      content: 'username=acct\npassword=a2V5LTE=\n',
      mode: 0o600,
    },
  ]);
  await releaseA();
  expect(run.commands).toHaveLength(1); // the other task still uses it
  await releaseB();
  expect(run.commands[1]).toEqual(['umount', target]);
  await releaseB(); // giving back twice changes nothing
  expect(run.commands).toHaveLength(2);
});

test('credentials sealed for another task or another mount do not open, and nothing is mounted', async () => {
  const root = path.join(workRoot, 'jobs', jobGuid, 'mounts');
  const run = recorder();
  const mounts = jobMounts('vm', run);
  await expect(mounts.acquire('t-b', mountsOf(root, share('t-a')))).rejects.toThrow(
    "credentials of the mount 'afs'",
  );
  const moved = { ...share('t-a', 'afs'), relativeMountPath: 'other' };
  await expect(mounts.acquire('t-a', mountsOf(root, moved))).rejects.toThrow(
    "credentials of the mount 'other'",
  );
  expect(run.commands).toEqual([]);
  const noKey = new JobMounts({
    config: config('vm'),
    nodeDataKey: () => undefined,
    log: () => undefined,
    run: run.run,
  });
  await expect(noKey.acquire('t-a', mountsOf(root, share('t-a')))).rejects.toThrow('no node data key');
});

test('a failed mount is named, what was mounted before it is unmounted, and a later task tries again', async () => {
  const root = path.join(workRoot, 'jobs', jobGuid, 'mounts');
  let failBlob = true;
  // blobfuse2 runs in a scope unit of its own (systemd-run ... -- blobfuse2 mount ...).
  const bare = (argv: string[]): string[] =>
    argv[0] === 'systemd-run' ? argv.slice(argv.indexOf('--') + 1) : argv;
  const run = recorder((argv) =>
    bare(argv)[0] === 'blobfuse2' && bare(argv)[1] === 'mount' && failBlob
      ? 'container not found'
      : undefined,
  );
  const mounts = jobMounts('vm', run);
  const blob: AgentMount = {
    kind: 'azureBlob',
    relativeMountPath: 'bfs',
    accountName: 'acct',
    containerName: 'data',
  };
  await expect(mounts.acquire('t-a', mountsOf(root, share('t-a'), blob))).rejects.toThrow(
    `Mounting azureBlob at ${path.join(root, 'bfs')} failed: container not found`,
  );
  expect(run.commands.map((argv) => bare(argv).slice(0, 2))).toEqual([
    ['mount', '-t'],
    ['blobfuse2', 'mount'],
    ['umount', path.join(root, 'afs')],
  ]);
  failBlob = false;
  const release = await mounts.acquire('t-b', mountsOf(root, share('t-b'), blob));
  await release();
  expect(run.commands.slice(3).map((argv) => bare(argv).slice(0, 2))).toEqual([
    ['mount', '-t'],
    ['blobfuse2', 'mount'],
    ['blobfuse2', 'unmount'],
    ['umount', path.join(root, 'afs')],
  ]);
});

test('an unmount that hangs (its server gone) holds the exit report back only until the timeout', async () => {
  const root = path.join(workRoot, 'jobs', jobGuid, 'mounts');
  const logged: string[] = [];
  const commands: string[][] = [];
  const mounts = new JobMounts({
    config: config('vm'),
    nodeDataKey: () => key,
    log: (_level, message) => logged.push(message),
    run: (command) => {
      commands.push(command.argv);
      return command.argv[0] === 'umount' ? new Promise<void>(() => undefined) : Promise.resolve();
    },
    isMountPoint: () => false,
    unmountTimeoutMs: 50,
  });
  const release = await mounts.acquire('t-a', mountsOf(root, share('t-a')));
  await release();
  expect(commands.map((argv) => argv[0])).toEqual(['mount', 'umount']);
  expect(logged).toContainEqual(expect.stringContaining('is taking long'));
});

test('a volume mounted already (by an agent before a restart) is used and left mounted', async () => {
  const root = path.join(workRoot, 'jobs', jobGuid, 'mounts');
  const run = recorder();
  const release = await jobMounts('vm', run, () => true).acquire('t-a', mountsOf(root, share('t-a')));
  await release();
  expect(run.commands).toEqual([]);
});

test('on a local node each job mount is a directory: credentials are opened, nothing is run', async () => {
  const root = path.join(workRoot, 'jobs', jobGuid, 'mounts');
  const run = recorder();
  const mounts = jobMounts('local', run);
  const release = await mounts.acquire('t-a', mountsOf(root, share('t-a', 'data/in')));
  expect(fs.statSync(path.join(root, 'data', 'in')).isDirectory()).toBe(true);
  await release();
  expect(run.commands).toEqual([]);
  await expect(mounts.acquire('t-b', mountsOf(root, share('t-a')))).rejects.toThrow(
    "credentials of the mount 'afs'",
  );
});

test('VM mount commands: blobfuse2 with a key in its environment only, or the managed identity; NFS; unmanaged', () => {
  const vm = { ...config('vm'), storage: { ...config('vm').storage, managedIdentityClientId: 'mi-client' } };
  const blob: AgentMount = {
    kind: 'azureBlob',
    relativeMountPath: 'bfs',
    accountName: 'acct',
    containerName: 'data',
    mountOptions: '-o attr_timeout=240',
  };
  expect(vmMountCommand(blob, '/mnt/x/bfs', vm, 'a2V5')).toEqual({
    argv: [
      'systemd-run',
      '--scope',
      '--quiet',
      '--collect',
      '--',
      'blobfuse2',
      'mount',
      '/mnt/x/bfs',
      '--container-name=data',
      '--tmp-path=/mnt/blobfusetmp/bfs',
      '-o',
      'attr_timeout=240',
    ],
    env: { AZURE_STORAGE_ACCOUNT: 'acct', AZURE_STORAGE_AUTH_TYPE: 'Key', AZURE_STORAGE_ACCESS_KEY: 'a2V5' },
  });
  expect(vmMountCommand(blob, '/mnt/x/bfs', vm).env).toEqual({
    AZURE_STORAGE_ACCOUNT: 'acct',
    AZURE_STORAGE_AUTH_TYPE: 'msi',
    AZURE_STORAGE_IDENTITY_CLIENT_ID: 'mi-client',
  });
  expect(vmUnmountCommand(blob, '/mnt/x/bfs').argv).toEqual(['blobfuse2', 'unmount', '/mnt/x/bfs']);
  const nfs: AgentMount = {
    kind: 'nfs',
    relativeMountPath: 'nfs',
    server: 'fs1',
    sourceDirectory: '/export',
  };
  expect(vmMountCommand(nfs, '/mnt/x/nfs', vm).argv).toEqual([
    'mount',
    '-t',
    'nfs',
    'fs1:/export',
    '/mnt/x/nfs',
  ]);
  const unmanaged: AgentMount = {
    kind: 'unmanaged',
    relativeMountPath: 'g',
    mountCommand: 'mount -t glusterfs h:/v',
  };
  expect(vmMountCommand(unmanaged, '/mnt/x/g', vm).argv).toEqual([
    '/bin/sh',
    '-c',
    'mount -t glusterfs h:/v "$0"',
    '/mnt/x/g',
  ]);
  expect(vmUnmountCommand(nfs, '/mnt/x/nfs').argv).toEqual(['umount', '/mnt/x/nfs']);
});

test('mount points are read from the mount table, with its octal escapes', () => {
  const table = path.join(workRoot, 'mounts');
  fs.writeFileSync(
    table,
    [
      'proc /proc proc rw 0 0',
      '//acct.file.core.windows.net/logs /mnt/jobs/a\\040b/afs cifs rw 0 0',
      '',
    ].join('\n'),
  );
  expect(isMountPoint('/mnt/jobs/a b/afs', table)).toBe(true);
  expect(isMountPoint('/mnt/jobs/a b/afs/', table)).toBe(true);
  expect(isMountPoint('/mnt/jobs/a b', table)).toBe(false);
  expect(isMountPoint('/proc', path.join(workRoot, 'missing'))).toBe(false);
});

test('an agent starting on a VM set up before mounts again what a reboot or its restart took, and leaves the rest', async () => {
  const vm: AgentConfig = {
    ...config('vm'),
    storage: { ...config('vm').storage, managedIdentityClientId: 'mi-client' },
    mountVolumes: [
      { kind: 'nfs', relativeMountPath: 'kept', server: 'fs1', sourceDirectory: '/export' },
      { kind: 'azureBlob', relativeMountPath: 'dead', accountName: 'acct', containerName: 'data' },
      { kind: 'nfs', relativeMountPath: 'gone', server: 'fs1', sourceDirectory: '/export' },
    ],
  };
  const root = path.join(workRoot, 'mounts');
  const commands: string[][] = [];
  const { mounted } = await remountVolumes(vm, undefined, {
    root,
    run: async (command: MountCommand) => {
      commands.push(command.argv);
    },
    // 'kept' is mounted and answers; 'dead' is mounted but its daemon is gone; 'gone' is not mounted (a reboot).
    isMountPoint: (target) => !target.endsWith('gone'),
    answers: (target) => target.endsWith('kept'),
  });
  expect(mounted).toEqual([path.join(root, 'dead'), path.join(root, 'gone')]);
  expect(commands.map((argv) => argv.filter((a) => !a.startsWith('--tmp-path')).join(' '))).toEqual([
    `umount -l ${root}/dead`,
    `systemd-run --scope --quiet --collect -- blobfuse2 mount ${root}/dead --container-name=data`,
    `mount -t nfs fs1:/export ${root}/gone`,
  ]);
});

test('a volume that cannot be mounted again fails the restart naming it', async () => {
  const vm: AgentConfig = {
    ...config('vm'),
    mountVolumes: [{ kind: 'nfs', relativeMountPath: 'gone', server: 'fs1', sourceDirectory: '/export' }],
  };
  await expect(
    remountVolumes(vm, undefined, {
      root: path.join(workRoot, 'mounts'),
      run: async () => {
        throw new Error('mount.nfs: Connection timed out');
      },
      isMountPoint: () => false,
    }),
  ).rejects.toThrow(`Mounting nfs at ${workRoot}/mounts/gone failed: mount.nfs: Connection timed out`);
});
