// One running task on a node: a shell command (or `docker run` where a Docker engine exists) in its own process
// group, so a kill reaches every child, with stdout and stderr streamed to append blobs while it runs.
import { spawn, type ChildProcess } from 'child_process';
import type { Readable } from 'stream';
import type { TaskContainer } from '../shared/contracts/nodeTask';
import { containerSshMount } from './clusterSsh';
import type { GpuDevices } from './gpuShares';
import { inJobsSlice, jobsSlice } from './jobProcessFence';

export interface TaskOutcome {
  exitCode?: number;
  signal?: string;
  /** Why it could not start (spawn error), if so. */
  error?: string;
  /** Why the agent lost track of it (it was ended then), if so: reported as the node's failure, not the task's. */
  lost?: string;
  /** The task launcher stopped it: the agent's contact lease ran out unrenewed (`lost` says so). */
  leaseExpired?: boolean;
}

/** A started task: its outcome, its pid once known, and signals to its process group. */
export interface RunningProcess {
  readonly done: Promise<TaskOutcome>;
  readonly started: Promise<number | undefined>;
  kill(signal: NodeJS.Signals): void;
}

/** Where a stream of the task goes (an AppendBlobLog in the agent). */
export interface OutputSink {
  /** false: more than the sink keeps in memory waits to be stored; the reader pauses until `drained()`. */
  write(chunk: Buffer): boolean | void;
  /** Resolves once the sink takes output again (after a write answered false). */
  drained?(): Promise<void>;
  close(): Promise<void>;
}

/**
 * How long a task's pipes may stay open after its main process exited (a background child holding them): then the
 * rest of its process group is SIGKILLed and the pipes are closed, so the exit is reported and nothing it left
 * keeps the task running.
 */
export const outputDrainGraceMs = 3_000;

/** Streams one pipe of a task into its sink, pausing while the sink holds too much that waits to be stored. */
export class OutputPipe {
  /** Resolves when the pipe closed (every writer closed it, or `finish()` closed it). */
  readonly ended: Promise<void>;
  private waiting: Promise<void> | undefined;

  constructor(
    private readonly stream: Readable,
    sink: OutputSink,
  ) {
    this.ended = new Promise((resolve) => stream.once('close', () => resolve()));
    stream.on('error', () => undefined); // a read error ends the stream: 'close' follows
    stream.on('data', (chunk: Buffer) => {
      if (sink.write(chunk) !== false || !sink.drained || this.waiting) return;
      stream.pause(); // the task blocks on its pipe until storage caught up
      this.waiting = sink.drained().then(() => {
        this.waiting = undefined;
        if (!stream.destroyed) stream.resume();
      });
    });
  }

  /** Stops reading: what waits in the pipe is read first if the reader is paused (a short while more), then closed. */
  async finish(): Promise<void> {
    if (this.waiting) {
      await this.waiting;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    this.stream.destroy();
    await this.ended;
  }
}

/**
 * After a task's main process exited: waits for its pipes to close, at most `graceMs`; then SIGKILLs what is left
 * of its process group and closes the pipes. Resolves true when the pipes closed by themselves (no writer is left).
 */
export async function drainAfterExit(
  pipes: OutputPipe[],
  killGroup: () => void,
  graceMs = outputDrainGraceMs,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const closed = await Promise.race([
    Promise.all(pipes.map((pipe) => pipe.ended)).then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
  ]);
  clearTimeout(timer);
  if (closed) return true;
  killGroup();
  await Promise.all(pipes.map((pipe) => pipe.finish()));
  return false;
}

/** How the agent logs (its AgentLog); a task without one warns on the console. */
export type TaskLog = (level: 'info' | 'warn', message: string) => void;

const consoleLog: TaskLog = (level, message) =>
  level === 'warn' ? console.warn(message) : console.info(message);

/**
 * Closes a task's output sinks. One that could not store all its output (its close() rejects: an append blob log
 * that gave output up after failing appends) is logged; the task's outcome stands.
 */
export async function closeOutputs(sinks: OutputSink[], log: TaskLog | undefined): Promise<void> {
  const results = await Promise.allSettled(sinks.map((sink) => sink.close()));
  for (const result of results) {
    if (result.status === 'fulfilled') continue;
    const reason = result.reason as { message?: unknown } | undefined;
    (log ?? consoleLog)(
      'warn',
      `task output not stored in full: ${typeof reason?.message === 'string' ? reason.message : String(reason)}`,
    );
  }
}

/** Signals process group `pgid`; false when there is none (any more). */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

export interface TaskProcessOptions {
  commandLine: string;
  cwd: string;
  env: Record<string, string>;
  stdout: OutputSink;
  stderr: OutputSink;
  /**
   * Run in a container (requires a Docker engine); `mounts` are bind-mounted at the same paths; `configDir`: a
   * Docker client configuration directory (a private registry's sign-in) for the docker CLI only.
   */
  container?: TaskContainer & {
    name: string;
    mounts: string[];
    configDir?: string;
    /** `docker run --label`s (the job attempt's, for Open MPI's launcher on another node). */
    labels?: Record<string, string>;
    /** The cluster's key and Open MPI's launcher, mounted read-only at `containerSshMount` (VM nodes). */
    sshDir?: string;
    /** With `useGpus`: only these of the node's GPUs (its share on a node shared by jobs); default all. */
    gpuDevices?: GpuDevices;
  };
  /** Run in the jobs' slice, which may not reach the Instance Metadata Service (VM nodes: jobProcessFence.ts). */
  fenced?: boolean;
  /** A job's task: the task launcher stops it should the agent's contact lease run out unrenewed (taskLauncher.ts). */
  leased?: boolean;
  /** Where a warning about the task's output goes (output that could not be stored); default the console. */
  log?: TaskLog;
}

/** Where `docker login` keeps Docker Hub's sign-in; any other registry is keyed by its host. */
const dockerHubKey = 'https://index.docker.io/v1/';

/** A Docker client config.json that signs in to one registry (what `docker login` would write). */
export function dockerConfigJson(server: string, username: string, password: string): string {
  const key =
    server === dockerHubKey || /^(https?:\/\/)?(index\.)?docker\.io\/?/.test(server)
      ? dockerHubKey
      : server.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  const auth = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
  return JSON.stringify({ auths: { [key]: { auth } } });
}

/** The argv of `docker run` for a task's container (exported for tests: no engine exists on the test machine). */
export function dockerRunArguments(options: TaskProcessOptions): string[] {
  const c = options.container;
  if (!c) throw new Error('dockerRunArguments needs a container.');
  const args = [
    'run',
    // A job preparation's container is kept until the node committed it (agent/preparedImages.ts).
    ...(c.prepared === 'keep' ? [] : ['--rm']),
    '--name',
    c.name,
    '--network',
    'host',
    '-w',
    options.cwd,
    '-v',
    `${options.cwd}:${options.cwd}`,
  ];
  for (const mount of c.mounts) args.push('-v', `${mount}:${mount}`);
  if (c.sshDir) args.push('-v', `${c.sshDir}:${containerSshMount}:ro`);
  for (const [name, value] of Object.entries(c.labels ?? {})) args.push('--label', `${name}=${value}`);
  if (options.fenced) args.push('--cgroup-parent', jobsSlice);
  // Docker reads --gpus as CSV: a device list is one quoted field ('"device=0,1"').
  if (c.useGpus) args.push('--gpus', c.gpuDevices ? `"device=${c.gpuDevices.join(',')}"` : 'all');
  if (c.shmSize) args.push('--shm-size', c.shmSize);
  for (const name of Object.keys(options.env)) args.push('-e', name); // values come from the environment, not argv
  args.push(c.image, '/bin/sh', '-c', options.commandLine);
  return args;
}

/**
 * The docker commands that signal a container's processes: its first one (`docker kill`), and, unless the signal is
 * SIGKILL (which ends the container), all the others (`kill -<SIG> -1` inside it: every process but init and itself).
 */
export function containerSignalCommands(container: string, signal: NodeJS.Signals): string[][] {
  const commands = [['kill', `--signal=${signal}`, container]];
  if (signal !== 'SIGKILL') commands.push(['exec', container, 'sh', '-c', `kill -${signal.slice(3)} -1`]);
  return commands;
}

/** The agent's own PATH and HOME, for the docker client (a container keeps its image's). */
function hostVariables(): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const name of ['PATH', 'HOME']) {
    const value = process.env[name];
    if (value !== undefined) variables[name] = value;
  }
  return variables;
}

/** A task spawned by the agent itself (containers, or where the task launcher cannot run). */
export class TaskProcess implements RunningProcess {
  readonly done: Promise<TaskOutcome>;
  private readonly child: ChildProcess;
  private readonly container: string | undefined;
  /** The main process exited. */
  private exited = false;
  /** The outcome is settled: the process group is gone (or was SIGKILLed). */
  private finished = false;

  constructor(options: TaskProcessOptions) {
    const [file, ...args] = options.container
      ? ['docker', ...dockerRunArguments(options)]
      : options.fenced
        ? inJobsSlice(['/bin/sh', '-c', options.commandLine])
        : ['/bin/sh', '-c', options.commandLine];
    const configDir = options.container?.configDir;
    this.container = options.container?.name;
    this.child = spawn(file, args, {
      cwd: options.cwd,
      // The docker CLI runs with the agent's PATH and HOME and alone reads DOCKER_CONFIG: none of these is among the
      // variables passed into the container (`-e`), which keeps its image's own.
      env: options.container
        ? {
            ...hostVariables(),
            ...options.env,
            ...(configDir ? { DOCKER_CONFIG: configDir } : {}),
          }
        : options.env,
      detached: true, // its own process group: kill() signals the whole tree
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pipes = [
      new OutputPipe(this.child.stdout!, options.stdout),
      new OutputPipe(this.child.stderr!, options.stderr),
    ];
    // The outcome is the main process's exit: a background child still holding its pipes does not delay it.
    const exited = new Promise<TaskOutcome>((resolve) => {
      this.child.once('error', (error: Error) => {
        this.exited = true;
        resolve({ error: `The task could not start: ${error.message}` });
      });
      this.child.once('exit', (code, signal) => {
        this.exited = true;
        resolve(code !== null ? { exitCode: code } : { signal: signal ?? 'unknown' });
      });
    });
    this.done = exited
      .then(async (outcome) => {
        const pid = this.child.pid;
        await drainAfterExit(pipes, () => pid !== undefined && signalGroup(pid, 'SIGKILL'));
        await closeOutputs([options.stdout, options.stderr], options.log);
        return outcome;
      })
      .finally(() => (this.finished = true));
  }

  get started(): Promise<number | undefined> {
    return Promise.resolve(this.child.pid);
  }

  /**
   * Signals the task's whole process group; in a container, every process of the container, as a host task's group
   * would be: the docker client passes a signal to the container's first process only (its shell, which as PID 1
   * ignores SIGTERM unless it traps it, and which waits for the command it runs), and passes on no SIGKILL. So a
   * job's program gets SIGTERM itself, to checkpoint before its node goes, and SIGKILL ends the container.
   */
  kill(signal: NodeJS.Signals): void {
    if (this.finished || this.child.pid === undefined) return;
    // Its group is signalled while it may exist, even after its first process exited (a child it left behind).
    signalGroup(this.child.pid, signal);
    if (this.container && !this.exited) {
      for (const args of containerSignalCommands(this.container, signal)) {
        const docker = spawn('docker', args, { stdio: 'ignore' });
        docker.on('error', () => undefined); // the container ended meanwhile, or no docker CLI: nothing to stop
      }
    }
  }
}
