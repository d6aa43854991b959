// Mounts a cluster's volumes under the node's mount root ($AZ_BATCHAI_MOUNT_ROOT). On VMs: Azure Files over SMB,
// Blob containers with blobfuse2 (managed identity), NFS, and unmanaged mount commands. On local nodes each
// mount is a directory that stands for it (jobs see the same paths; nothing is shared over the network).
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { AgentConfig, AgentMount } from '../shared/contracts/agentConfig';

/** Batch AI's mount root on VMs. */
export const vmMountRoot = '/mnt/batch/tasks/shared/LS_root/mounts';

export interface MountCommand {
  argv: string[];
  env?: Record<string, string>;
}

export function mountRootOf(config: AgentConfig): string {
  return config.mode === 'local' ? path.join(config.workRoot, 'mounts') : vmMountRoot;
}

/** The command that mounts `mount` at `target` on a Linux VM. */
export function vmMountCommand(mount: AgentMount, target: string, config: AgentConfig): MountCommand {
  switch (mount.kind) {
    case 'azureFileShare': {
      const url = new URL(mount.azureFileUrl);
      const share = url.pathname.replace(/^\/+|\/+$/g, '');
      // The account key is never in custom data: it is delivered to this file (mode 600) by the secret channel.
      const credentials = path.join(config.workRoot, 'secrets', `${mount.relativeMountPath}.cred`);
      const options = [
        'vers=3.0',
        `credentials=${credentials}`,
        `dir_mode=${mount.directoryMode ?? '0777'}`,
        `file_mode=${mount.fileMode ?? '0777'}`,
        'serverino',
        'nofail',
      ];
      return { argv: ['mount', '-t', 'cifs', `//${url.host}/${share}`, target, '-o', options.join(',')] };
    }
    case 'azureBlob': {
      const options = mount.mountOptions ? mount.mountOptions.split(/\s+/).filter(Boolean) : [];
      return {
        argv: [
          'blobfuse2',
          'mount',
          target,
          `--container-name=${mount.containerName}`,
          `--tmp-path=/mnt/blobfusetmp/${mount.relativeMountPath}`,
          ...options,
        ],
        env: {
          AZURE_STORAGE_ACCOUNT: mount.accountName,
          AZURE_STORAGE_AUTH_TYPE: 'msi',
          ...(config.storage.managedIdentityClientId
            ? { AZURE_STORAGE_IDENTITY_CLIENT_ID: config.storage.managedIdentityClientId }
            : {}),
        },
      };
    }
    case 'nfs': {
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

/** Mounts every volume; returns the mount root. Throws naming the mount that failed. */
export async function mountVolumes(config: AgentConfig): Promise<string> {
  const root = mountRootOf(config);
  fs.mkdirSync(root, { recursive: true });
  for (const mount of config.mountVolumes) {
    const target = path.join(root, mount.relativeMountPath);
    fs.mkdirSync(target, { recursive: true });
    if (config.mode === 'local') continue;
    try {
      await run(vmMountCommand(mount, target, config));
    } catch (error: unknown) {
      throw new Error(`Mounting ${mount.kind} at ${target} failed: ${(error as Error).message}`);
    }
  }
  return root;
}
