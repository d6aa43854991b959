// A job's own mount volumes on a node (RunTaskMessage.jobMounts, the job's `mountVolumes`): mounted at
// `<job mount root>/<relativeMountPath>` ($AZ_BATCHAI_JOB_MOUNT_ROOT) before the first of the job's tasks that
// needs them runs, shared by the job's tasks that run at once on the node, and unmounted when the last of them
// ended. On VMs they are real mounts (the commands of agent/volumeMounts.ts); on local nodes each is a directory
// that stands for it (a file server's: a link to its shared export directory), as the cluster's mounts are.
// Account keys come sealed for one task and one mount: opened in memory, written to a 0600 file only while
// mount.cifs runs.
import * as fs from 'fs';
import * as path from 'path';
import type { AgentConfig, AgentMount } from '../shared/contracts/agentConfig';
import type { TaskJobMounts } from '../shared/contracts/nodeTask';
import { jobMountSealContext } from '../shared/crypto/nodeSecretSealing';
import {
  isMountPoint,
  mountAccountKey,
  prepareLocalMount,
  runMountCommand,
  vmMountCommand,
  vmUnmountCommand,
  type MountCommand,
} from './volumeMounts';

interface HeldMount {
  users: number;
  mount: AgentMount;
  /** Settles once the volume is mounted (or failed to). */
  ready: Promise<void>;
  /** True when this agent mounted it (so it unmounts it); false when it was mounted already. */
  mountedHere: boolean;
}

export interface JobMountsOptions {
  config: AgentConfig;
  nodeDataKey: () => Buffer | undefined;
  log: (level: 'info' | 'warn', message: string) => void;
  /** Runs a mount or unmount command (tests replace it); default: the command itself. */
  run?: (command: MountCommand) => Promise<void>;
  /** Whether a path is a mount point now; default: /proc/self/mounts. */
  isMountPoint?: (target: string) => boolean;
  /**
   * How long a task's exit report waits for an unmount (a share whose server is gone can hang umount); then the
   * unmount goes on in the background and the report is sent. Default 30 s.
   */
  unmountTimeoutMs?: number;
}

export class JobMounts {
  private readonly held = new Map<string, HeldMount>();
  private readonly run: (command: MountCommand) => Promise<void>;
  private readonly mounted: (target: string) => boolean;

  constructor(private readonly options: JobMountsOptions) {
    this.run = options.run ?? runMountCommand;
    this.mounted = options.isMountPoint ?? isMountPoint;
  }

  /** Where each volume is, for a task's mounts. */
  static targets(mounts: TaskJobMounts): string[] {
    return mounts.volumes.map((volume) => path.join(mounts.root, volume.relativeMountPath));
  }

  /**
   * Makes the task's job mounts available; returns what gives them back when the task ended. Throws naming the
   * mount that failed (its credentials, or the mount command), with what it acquired before given back.
   */
  async acquire(taskId: string, mounts: TaskJobMounts): Promise<() => Promise<void>> {
    const { config } = this.options;
    // Every credential opens first: a sealed value that does not open fails the task before anything is mounted.
    const keys = mounts.volumes.map((volume) =>
      mountAccountKey(
        volume,
        config,
        this.options.nodeDataKey(),
        jobMountSealContext(taskId, volume.relativeMountPath),
      ),
    );
    // The job's part of the path (the root is <job temp>/mounts, named after the job's GUID) keeps the credentials
    // file and the blobfuse2 cache apart from other jobs' mounts at the same relativeMountPath.
    const job = path.basename(path.dirname(mounts.root));
    const acquired: string[] = [];
    const release = async (): Promise<void> => {
      for (const target of acquired.splice(0).reverse()) await this.release(target);
    };
    try {
      for (const [index, volume] of mounts.volumes.entries()) {
        const target = path.join(mounts.root, volume.relativeMountPath);
        let entry = this.held.get(target);
        if (entry) {
          entry.users += 1;
        } else {
          const mountedAlready = config.mode === 'vm' && this.mounted(target);
          entry = {
            users: 1,
            mount: volume,
            mountedHere: config.mode === 'vm' && !mountedAlready,
            ready: this.mount(
              volume,
              target,
              keys[index],
              mountedAlready,
              `job-${job}/${volume.relativeMountPath}`,
            ),
          };
          this.held.set(target, entry);
        }
        acquired.push(target);
        try {
          await entry.ready;
        } catch (error: unknown) {
          if (this.held.get(target) === entry) this.held.delete(target);
          acquired.pop();
          throw new Error(`Mounting ${volume.kind} at ${target} failed: ${(error as Error).message}`);
        }
      }
    } catch (error: unknown) {
      await release();
      throw error;
    }
    return release;
  }

  private async mount(
    volume: AgentMount,
    target: string,
    accountKey: string | undefined,
    mountedAlready: boolean,
    name: string,
  ): Promise<void> {
    if (this.options.config.mode !== 'vm') {
      prepareLocalMount(volume, target, this.options.config.localStorageRoot);
      return;
    }
    fs.mkdirSync(target, { recursive: true });
    if (mountedAlready) {
      this.options.log('info', `${target} is mounted already (an earlier agent mounted it): used as it is`);
      return;
    }
    await this.run(vmMountCommand(volume, target, this.options.config, accountKey, name));
    this.options.log('info', `mounted ${volume.kind} at ${target}`);
  }

  private async release(target: string): Promise<void> {
    const entry = this.held.get(target);
    if (!entry) return;
    entry.users -= 1;
    if (entry.users > 0) return;
    this.held.delete(target);
    if (!entry.mountedHere) return;
    const unmounted = this.run(vmUnmountCommand(entry.mount, target)).then(
      () => this.options.log('info', `unmounted ${target}`),
      (error: unknown) =>
        this.options.log('warn', `could not unmount ${target}: ${(error as Error).message}`),
    );
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.options.log(
          'warn',
          `unmounting ${target} is taking long: it goes on while the task's exit is reported`,
        );
        resolve();
      }, this.options.unmountTimeoutMs ?? 30_000);
      timer.unref();
    });
    await Promise.race([unmounted, timedOut]);
    clearTimeout(timer);
  }
}
