// A node's images of its job preparations' containers (RunTaskMessage `container.prepared`): Batch AI ran a job's
// preparation and its processes in one container per node, so what the preparation installed (`pip install ...`)
// was there for the job. Here each task runs in its own container: a preparation's container that exited 0 is
// committed to a local image of that job attempt on this node, the attempt's processes start from it, and it is
// removed once no task of this agent has used it for a while.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';

/** Runs the docker CLI: its exit status and what it printed (stderr first). */
export type DockerRunner = (args: string[]) => Promise<{ status: number; output: string }>;

export const runDocker: DockerRunner = (args) =>
  new Promise((resolve) => {
    execFile('docker', args, { timeout: 10 * 60_000, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ status, output: `${stderr}${stdout}`.trim() });
    });
  });

const imagePrefix = 'batchai-prepared-';

/** The local image of a job attempt's preparation on one node (nodes may share an engine, as local ones do). */
export function preparedImageName(nodeId: string, jobId: string, attempt: number): string {
  const digest = createHash('sha256').update(`${nodeId}\n${jobId}\n${attempt}`).digest('hex');
  return `${imagePrefix}${digest.slice(0, 32)}`;
}

export class PreparedImages {
  private readonly users = new Map<string, number>();
  private readonly removals = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly docker: DockerRunner,
    private readonly log: (level: 'info' | 'warn', message: string) => void,
    /** How long an unused image is kept: the attempt's processes on a node start together, not at once. */
    private readonly unusedGraceMs = 60_000,
    /**
     * How long a kept image waits for its first user: the processes start once every node's preparation ended;
     * an attempt ended or moved meanwhile (terminated, preempted elsewhere) never uses it.
     */
    private readonly firstUseGraceMs = 60 * 60_000,
  ) {}

  /**
   * After a preparation's container ended: commits it to `image` when its command succeeded, then removes it.
   * `variables`, the names the container got from the agent (secrets among them), are emptied in the image's
   * settings: the processes started from it get their own values, and no value stays on disk. Returns why it could
   * not be kept, if so.
   */
  async keep(
    container: string,
    image: string,
    succeeded: boolean,
    variables: readonly string[] = [],
  ): Promise<string | undefined> {
    let failure: string | undefined;
    if (succeeded) {
      const changes = variables.flatMap((name) => ['--change', `ENV ${name}=`]);
      const committed = await this.docker(['commit', ...changes, container, image]);
      if (committed.status !== 0) {
        failure = `The job preparation's container could not be kept for the job's processes: ${committed.output}`;
      } else if (!this.users.has(image)) {
        this.scheduleRemoval(image, this.firstUseGraceMs);
      }
    }
    const removed = await this.docker(['rm', '-f', container]);
    if (removed.status !== 0) this.log('warn', `could not remove container ${container}: ${removed.output}`);
    return failure;
  }

  /** Marks `image` used by a starting task. False when this node has no such image (it was lost). */
  async use(image: string): Promise<boolean> {
    clearTimeout(this.removals.get(image));
    this.removals.delete(image);
    this.users.set(image, (this.users.get(image) ?? 0) + 1);
    const found = await this.docker(['image', 'inspect', '--format', '{{.Id}}', image]);
    if (found.status === 0) return true;
    const users = (this.users.get(image) ?? 1) - 1;
    if (users > 0) this.users.set(image, users);
    else this.users.delete(image);
    return false;
  }

  /** A task that used `image` ended: the image is removed once no task used it for the grace period. */
  release(image: string): void {
    const users = (this.users.get(image) ?? 1) - 1;
    if (users > 0) {
      this.users.set(image, users);
      return;
    }
    this.users.delete(image);
    this.scheduleRemoval(image, this.unusedGraceMs);
  }

  private scheduleRemoval(image: string, afterMs: number): void {
    clearTimeout(this.removals.get(image));
    const timer = setTimeout(() => {
      this.removals.delete(image);
      void this.remove(image);
    }, afterMs);
    timer.unref();
    this.removals.set(image, timer);
  }

  /** A node agent starting: images kept by the agent before it are of attempts it can no longer serve. */
  async removeLeftovers(): Promise<void> {
    const listed = await this.docker([
      'images',
      '--filter',
      `reference=${imagePrefix}*`,
      '--format',
      '{{.Repository}}',
    ]);
    if (listed.status !== 0) return;
    const images = [...new Set(listed.output.split('\n').filter((name) => name.startsWith(imagePrefix)))];
    for (const image of images) await this.remove(image);
  }

  private async remove(image: string): Promise<void> {
    const removed = await this.docker(['rmi', image]);
    if (removed.status === 0) this.log('info', `removed the prepared image ${image}`);
    else this.log('warn', `could not remove the prepared image ${image}: ${removed.output}`);
  }
}
