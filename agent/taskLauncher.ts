// Starts task processes from a small helper process instead of from the agent. A fork copies the forking process's
// page tables: from the agent (a Node process of ~100 MB) one task start cost ~15 ms of CPU on the 2-core machine,
// most of a trivial job's cost on its node. The helper is Python 3 (present wherever cloud-init runs, so on every
// VM this agent is installed on by cloud-init, and on the local machine): it starts each task with posix_spawn
// (vfork: no page-table copy) in its own process group, with the same environment, working directory and signal
// dispositions a direct spawn gives, and reports each exit (code or signal). Output flows through named pipes the
// helper makes in batches and the agent reads as streams, so it still reaches the append blobs while the task runs.
// Without Python, or if the helper dies, tasks are spawned directly as before (agent/taskProcess.ts).
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import {
  closeOutputs,
  containerSignalCommands,
  drainAfterExit,
  OutputPipe,
  signalGroup,
  type OutputSink,
  type RunningProcess,
  type TaskLog,
  type TaskOutcome,
  type TaskProcessOptions,
} from './taskProcess';

/** The helper (run as `python3 -c`): JSON lines in on stdin, JSON lines out on stdout. */
export const launcherScript = String.raw`
import json, os, selectors, signal, sys, time

children = {}
# The agent's contact lease (VMs): renewed by the agent every second or so while its node events get through. Once
# it runs out unrenewed (the agent hung, or died), the leased children (job tasks) are stopped: SIGTERM to each one's
# process group, SIGKILL to those groups after the grace (members that outlive their leader included). The leased
# containers (job tasks in containers, which the agent starts itself) get the same through the docker CLI: the
# commands the agent gives with each (SIGTERM to the container's processes, then SIGKILL).
leased = set()
leased_containers = {}
containers_stopped = {}
lease_deadline = None
lease_grace = 10.0
lease_stopped = set()
lease_groups = set()
lease_kill_at = None
agent_gone = False

def run_all(commands):
    for argv in commands:
        try:
            os.posix_spawnp(
                argv[0],
                argv,
                os.environ,
                file_actions=[
                    (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
                    (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
                    (os.POSIX_SPAWN_OPEN, 2, "/dev/null", os.O_WRONLY, 0),
                ],
                setpgroup=0,
                setsigdef=default_signals,
            )
        except OSError:
            pass

def expire_lease():
    global lease_deadline, lease_kill_at
    lease_deadline = None
    for pid in children:
        if pid in leased:
            lease_stopped.add(pid)
            lease_groups.add(pid)
            try:
                os.killpg(pid, signal.SIGTERM)
            except OSError:
                pass
    if leased_containers:
        # Told before they are stopped: a hung agent reads it before it sees their docker clients exit.
        send({"op": "containers-stopped", "names": list(leased_containers)})
    for name, commands in leased_containers.items():
        containers_stopped[name] = commands["kill"]
        run_all(commands["term"])
    lease_kill_at = time.monotonic() + lease_grace

def kill_stopped():
    global lease_kill_at
    lease_kill_at = None
    for group in lease_groups:
        try:
            os.killpg(group, signal.SIGKILL)
        except OSError:
            pass
    lease_groups.clear()
    for commands in containers_stopped.values():
        run_all(commands)
    containers_stopped.clear()

def send(message):
    if agent_gone:
        return
    try:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()
    except OSError:
        os._exit(0)

def reap():
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        task = children.pop(pid, None)
        leased.discard(pid)
        if task is None:
            continue
        exit = {"op": "exit", "id": task}
        if pid in lease_stopped:
            lease_stopped.discard(pid)
            exit["lease"] = True
        if os.WIFSIGNALED(status):
            number = os.WTERMSIG(status)
            try:
                exit["signal"] = signal.Signals(number).name
            except ValueError:
                exit["signal"] = "SIG%d" % number
        else:
            exit["code"] = os.WEXITSTATUS(status)
        send(exit)

def spawn(message):
    fds = []
    try:
        for fifo in (message["stdout"], message["stderr"]):
            fds.append(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            os.set_blocking(fds[-1], True)
        os.chdir(message["cwd"])
        try:
            pid = os.posix_spawn(
                message["argv"][0],
                message["argv"],
                message["env"],
                file_actions=[
                    (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
                    (os.POSIX_SPAWN_DUP2, fds[0], 1),
                    (os.POSIX_SPAWN_DUP2, fds[1], 2),
                ],
                setpgroup=0,
                setsigmask=(),
                setsigdef=default_signals,
            )
        finally:
            os.chdir("/")
        children[pid] = message["id"]
        if message.get("leased"):
            leased.add(pid)
        send({"op": "spawned", "id": message["id"], "pid": pid})
    except Exception as error:
        send({"op": "failed", "id": message["id"], "message": str(error)})
    finally:
        for fd in fds:
            os.close(fd)

def handle(message):
    global lease_deadline, lease_grace
    if message["op"] == "lease":
        lease_deadline = time.monotonic() + message["ms"] / 1000.0
        lease_grace = message["graceMs"] / 1000.0
    elif message["op"] == "spawn":
        spawn(message)
    elif message["op"] == "container":
        if message["leased"]:
            leased_containers[message["name"]] = {"term": message["term"], "kill": message["kill"]}
        else:
            leased_containers.pop(message["name"], None)
    elif message["op"] == "mkfifo":
        try:
            for fifo in message["paths"]:
                os.mkfifo(fifo, 0o600)
            send({"op": "made", "id": message["id"]})
        except Exception as error:
            send({"op": "failed", "id": message["id"], "message": str(error)})

default_signals = signal.valid_signals() - {signal.SIGKILL, signal.SIGSTOP}
os.chdir("/")
wake_read, wake_write = os.pipe()
os.set_blocking(wake_read, False)
os.set_blocking(wake_write, False)
signal.set_wakeup_fd(wake_write)
signal.signal(signal.SIGCHLD, lambda number, frame: None)
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
selector = selectors.DefaultSelector()
selector.register(0, selectors.EVENT_READ, "in")
selector.register(wake_read, selectors.EVENT_READ, "wake")
pending = b""
send({"op": "ready"})
while True:
    timeout = None
    now = time.monotonic()
    for due in (lease_deadline, lease_kill_at):
        if due is not None:
            timeout = max(0.0, due - now) if timeout is None else min(timeout, max(0.0, due - now))
    ready = selector.select(timeout)
    now = time.monotonic()
    if lease_deadline is not None and now >= lease_deadline:
        expire_lease()
    if lease_kill_at is not None and now >= lease_kill_at:
        kill_stopped()
    if agent_gone and lease_deadline is None and lease_kill_at is None:
        reap()
        sys.exit(0)
    for key, _ in ready:
        if key.data == "wake":
            try:
                while os.read(wake_read, 512):
                    pass
            except BlockingIOError:
                pass
            reap()
            continue
        chunk = os.read(0, 65536)
        if not chunk:
            # The agent is gone (stopped, or died). A lease it left running is kept: its leased tasks are stopped
            # when it runs out (the next agent may not get through to stop them), and a stop under way gets its
            # SIGKILL after the grace. Else tasks keep running.
            reap()
            agent_gone = True
            selector.unregister(0)
            leases_held = lease_deadline is not None and ((leased & set(children)) or leased_containers)
            if lease_kill_at is None and not leases_held:
                sys.exit(0)
            continue
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            if line:
                handle(json.loads(line))
    reap()
`;

/** Named pipes made per request to the helper (reused once a task's output ended). */
const fifoBatch = 8;

interface Reply {
  op: string;
  id: number;
  pid?: number;
  code?: number;
  signal?: string;
  message?: string;
  /** On an exit: the helper stopped the task because the agent's contact lease ran out unrenewed. */
  lease?: boolean;
  /** containers-stopped: the leased containers the helper is stopping (the lease ran out unrenewed). */
  names?: string[];
}

/** The outcome's reason when the helper stopped a task because the agent's contact lease ran out unrenewed. */
export const leaseExpiredReason =
  'The node agent did not renew its contact lease (it hung or died): the task launcher stopped the task.';

interface FifoPair {
  stdout: string;
  stderr: string;
}

/** What a direct spawn takes, less the container (containers are started by `docker run` from the agent). */
export type LaunchOptions = Omit<TaskProcessOptions, 'container'>;

/** The helper process, or why there is none (then tasks are spawned directly). */
export class TaskLauncher {
  private readonly child: ChildProcess;
  private readonly ready: Promise<boolean>;
  private readonly replies = new Map<number, (reply: Reply) => void>();
  /** Containers the helper stopped because the lease ran out (agent/nodeAgent.ts reads their exits as such). */
  private readonly containersStopped = new Set<string>();
  private readonly pool: FifoPair[] = [];
  private nextId = 1;
  private fifoCount = 0;
  private making: Promise<void> | undefined;
  private output = '';
  private failure: string | undefined;
  private stopping = false;

  constructor(
    private readonly fifoDir: string,
    private readonly log: (level: 'info' | 'warn', message: string) => void,
    python = 'python3',
    /** How the helper is started (VM nodes: in the jobs' slice, so every task it starts is there too). */
    command: (argv: string[]) => string[] = (argv) => argv,
  ) {
    fs.rmSync(fifoDir, { recursive: true, force: true });
    fs.mkdirSync(fifoDir, { recursive: true, mode: 0o700 });
    const [file, ...args] = command([python, '-c', launcherScript]);
    this.child = spawn(file, args, {
      cwd: '/',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let announce: (ok: boolean) => void = () => undefined;
    this.ready = new Promise<boolean>((resolve) => (announce = resolve));
    this.replies.set(0, (reply) => announce(reply.op === 'ready'));
    const slow = setTimeout(() => this.fail('the task launcher did not start within 10 s'), 10_000);
    slow.unref();
    void this.ready.finally(() => clearTimeout(slow));
    this.child.stdout?.setEncoding('utf8').on('data', (text: string) => this.onOutput(text));
    this.child.stderr
      ?.setEncoding('utf8')
      .on('data', (text: string) => this.log('warn', `task launcher: ${text.trim()}`));
    this.child.stdin?.on('error', () => undefined); // an exit reports it
    this.child.once('error', (error: Error) =>
      this.fail(`the task launcher could not start: ${error.message}`),
    );
    this.child.once('exit', (code, signal) =>
      this.fail(`the task launcher exited (${signal ?? `code ${code}`})`),
    );
    void this.ready.then((ok) => {
      if (ok) this.log('info', `task launcher started (${python}, pid ${this.child.pid})`);
    });
  }

  /** Whether tasks can be started here now (false once the helper failed). */
  async usable(): Promise<boolean> {
    return (await this.ready) && this.failure === undefined;
  }

  /** Starts a task through the helper; rejects (nothing started) when the helper cannot. */
  async launch(options: LaunchOptions): Promise<LaunchedTask> {
    if (!(await this.usable())) throw new Error(this.failure ?? 'the task launcher is not running');
    const fifos = await this.takeFifos();
    const readers = [this.openReader(fifos.stdout), this.openReader(fifos.stderr)];
    const id = this.nextId++;
    const task = new LaunchedTask(
      readers,
      [options.stdout, options.stderr],
      (reusable) => {
        if (reusable) this.pool.push(fifos);
        else {
          // A process the task left (in a session of its own) may still hold a write end: its output must not reach
          // the next task. New pipes are made instead.
          for (const fifo of [fifos.stdout, fifos.stderr]) fs.rmSync(fifo, { force: true });
        }
      },
      options.log ?? this.log,
    );
    this.replies.set(id, (reply) => task.onReply(reply));
    const spawned = await new Promise<Reply>((resolve) => {
      task.onSpawnReply = resolve;
      this.send({
        op: 'spawn',
        id,
        argv: ['/bin/sh', '-c', options.commandLine],
        leased: options.leased === true,
        env: options.env,
        cwd: options.cwd,
        stdout: fifos.stdout,
        stderr: fifos.stderr,
      });
    });
    if (spawned.op !== 'spawned') {
      this.replies.delete(id);
      for (const reader of readers) reader.destroy();
      this.pool.push(fifos);
      throw new Error(spawned.message ?? 'the task launcher could not start the task');
    }
    return task;
  }

  /**
   * Renews the contact lease (VMs, agent/nodeAgent.ts): unless renewed again within `ms`, the helper stops the leased
   * tasks it started (SIGTERM to each one's process group, SIGKILL to the groups `graceMs` later), as the agent would
   * if it were not hung; also once the agent is gone (its pipe closed) with the lease running.
   */
  renewLease(ms: number, graceMs: number): void {
    if (this.failure === undefined)
      this.send({ op: 'lease', ms: Math.floor(ms), graceMs: Math.floor(graceMs) });
  }

  /**
   * A job's container (started by the agent itself, not by the helper) is under the lease while `leased`: should
   * the lease run out unrenewed, the helper stops it as it stops its own leased tasks, with the agent's commands
   * (containerSignalCommands) through `dockerCli`.
   */
  leaseContainer(name: string, leased: boolean, dockerCli = 'docker'): void {
    if (this.failure !== undefined) return;
    const commands = (signal: NodeJS.Signals): string[][] =>
      containerSignalCommands(name, signal).map((args) => [dockerCli, ...args]);
    this.send(
      leased
        ? { op: 'container', name, leased, term: commands('SIGTERM'), kill: commands('SIGKILL') }
        : { op: 'container', name, leased },
    );
  }

  /** Whether the helper stopped this container because the lease ran out (asked once, at the container's exit). */
  stoppedContainer(name: string): boolean {
    return this.containersStopped.delete(name);
  }

  /**
   * Ends the helper: tasks it started keep running in their own process groups, but for leased ones under a lease
   * still running (the helper stays to stop them when it runs out; see renewLease).
   */
  stop(): void {
    this.stopping = true;
    this.child.stdin?.end();
  }

  private openReader(fifo: string): net.Socket {
    // Non-blocking: the helper opens the write end only after this (so no output is lost), and the stream ends
    // when every writer (the task and any child that inherited it) has closed it.
    const fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    return new net.Socket({ fd, readable: true, writable: false });
  }

  private async takeFifos(): Promise<FifoPair> {
    while (this.pool.length === 0) {
      this.making ??= this.makeFifos().finally(() => (this.making = undefined));
      await this.making;
    }
    return this.pool.shift()!;
  }

  private async makeFifos(): Promise<void> {
    const pairs: FifoPair[] = [];
    for (let i = 0; i < fifoBatch; i++) {
      const n = ++this.fifoCount;
      pairs.push({
        stdout: path.join(this.fifoDir, `${n}.out`),
        stderr: path.join(this.fifoDir, `${n}.err`),
      });
    }
    const id = this.nextId++;
    const reply = await new Promise<Reply>((resolve) => {
      this.replies.set(id, resolve);
      this.send({ op: 'mkfifo', id, paths: pairs.flatMap((p) => [p.stdout, p.stderr]) });
    });
    this.replies.delete(id);
    if (reply.op !== 'made') throw new Error(reply.message ?? 'the task launcher could not make pipes');
    this.pool.push(...pairs);
  }

  private send(message: Record<string, unknown>): void {
    if (this.failure) {
      const id = message.id as number;
      queueMicrotask(() => this.replies.get(id)?.({ op: 'failed', id, message: this.failure }));
      return;
    }
    this.child.stdin?.write(`${JSON.stringify(message)}\n`);
  }

  private onOutput(text: string): void {
    this.output += text;
    for (let end = this.output.indexOf('\n'); end >= 0; end = this.output.indexOf('\n')) {
      const line = this.output.slice(0, end);
      this.output = this.output.slice(end + 1);
      let reply: Reply;
      try {
        reply = JSON.parse(line) as Reply;
      } catch {
        this.log('warn', `task launcher: unexpected output ${JSON.stringify(line.slice(0, 200))}`);
        continue;
      }
      if (reply.op === 'containers-stopped') {
        for (const name of reply.names ?? []) this.containersStopped.add(name);
        continue;
      }
      const id = reply.op === 'ready' ? 0 : reply.id;
      const handler = this.replies.get(id);
      if (reply.op === 'exit' || reply.op === 'ready') this.replies.delete(id);
      handler?.(reply);
    }
  }

  /** The helper is gone: requests waiting for it fail, and tasks it started are ended (their exits cannot be read). */
  private fail(reason: string): void {
    if (this.failure) return;
    this.failure = reason;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    if (!this.stopping) this.log('warn', `${reason}: tasks are started directly from now on`);
    const waiting = [...this.replies.entries()];
    this.replies.clear();
    for (const [id, handler] of waiting)
      handler({ op: id === 0 ? 'ready-failed' : 'failed', id, message: reason });
  }
}

/** A task started by the helper: same surface as a directly spawned one. */
export class LaunchedTask implements RunningProcess {
  readonly done: Promise<TaskOutcome>;
  readonly started: Promise<number | undefined>;
  onSpawnReply: ((reply: Reply) => void) | undefined;
  private pid: number | undefined;
  /** The main process's outcome is known. */
  private exited = false;
  /** The outcome is settled: the process group is gone (or was SIGKILLed). */
  private finished = false;
  private settle!: (outcome: TaskOutcome) => void;
  private announce!: (pid: number | undefined) => void;

  constructor(
    readers: net.Socket[],
    logs: OutputSink[],
    /** Gives the pipes back: `reusable` when every writer closed them (else a leftover process may hold one). */
    private readonly release: (reusable: boolean) => void,
    /** Where a warning about the task's output goes (output that could not be stored). */
    private readonly log?: TaskLog,
  ) {
    this.started = new Promise((resolve) => (this.announce = resolve));
    const pipes = readers.map((reader, i) => new OutputPipe(reader, logs[i]!));
    const outcome = new Promise<TaskOutcome>((resolve) => (this.settle = resolve));
    // The outcome is the main process's exit: a background child still holding the pipes does not delay it.
    this.done = outcome
      .then(async (result) => {
        const pid = this.pid;
        if (pid === undefined) {
          for (const reader of readers) reader.destroy(); // never started
          return result;
        }
        const closed = await drainAfterExit(pipes, () => signalGroup(pid, 'SIGKILL'));
        this.release(closed);
        await closeOutputs(logs, this.log);
        return result;
      })
      .finally(() => (this.finished = true));
  }

  onReply(reply: Reply): void {
    if (reply.op === 'spawned') {
      this.pid = reply.pid;
      this.announce(reply.pid);
      this.onSpawnReply?.(reply);
    } else if (reply.op === 'exit') {
      this.exited = true;
      const outcome: TaskOutcome = reply.signal ? { signal: reply.signal } : { exitCode: reply.code ?? 0 };
      this.settle(
        reply.lease
          ? {
              ...outcome,
              lost: leaseExpiredReason,
              leaseExpired: true,
            }
          : outcome,
      );
    } else if (this.pid === undefined) {
      this.onSpawnReply?.(reply); // not started: launch() rejects
    } else if (!this.exited) {
      // The helper died with the task running: its exit status is lost, so the task is ended now.
      this.kill('SIGKILL');
      this.exited = true;
      this.settle({
        lost: `The task was ended: its exit could not be read (${reply.message ?? 'the task launcher failed'}).`,
      });
    }
  }

  /** Signals the task's whole process group, while it may exist (even after its first process exited). */
  kill(signal: NodeJS.Signals): void {
    if (this.finished || this.pid === undefined) return;
    signalGroup(this.pid, signal);
  }
}
