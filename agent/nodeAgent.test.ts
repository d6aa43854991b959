// The node agent's handling of task messages and node events, with fake queues and blobs (agent/nodeAgentHarness.ts)
// and real task processes (spawned directly: the harness starts no task launcher).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  agentHarness,
  delay,
  runTask,
  waitUntil,
  type AgentHarness,
} from '../test/compute/support/nodeAgentHarness';
import { TaskLauncher } from './taskLauncher';
import { decodeReceived, messagesByTask } from './nodeAgent';
import { nodeTaskSchema } from '../shared/contracts/nodeTask';
import { decodeQueueMessage, encodeQueueMessage } from '../shared/contracts/wireEncoding';
import { ContractError } from '../shared/contracts/contractError';
import { parseNodeEvent } from '../shared/contracts/nodeEvent';

let h: AgentHarness;
afterEach(() => h?.cleanup());

/** Job mounts whose release takes `releaseMs` (a VM's unmount may take up to 30 s). */
function slowMountRelease(harness: AgentHarness, releaseMs: number): void {
  harness.inner.jobMounts = { acquire: async () => () => delay(releaseMs) };
}
const jobMounts = {
  root: '/tmp/unused-job-mounts',
  volumes: [{ kind: 'unmanaged', relativeMountPath: 'm', mountCommand: 'true' }],
};

describe('a message that comes while an exit is being settled (job mounts released)', () => {
  test('a run message again does not run the task again; its exit is reported once, then answered again', async () => {
    h = agentHarness();
    slowMountRelease(h, 2_000);
    const runs = path.join(h.dir, 'runs');
    const run = runTask('t1', `echo run >> ${runs}`, { jobMounts });
    await h.handle(run);
    await delay(1_000); // exited; its mounts are being released
    await h.handle(run);
    await h.waitFor((e) => e.kind === 'taskExited');
    await h.handle(run); // once finished: answered with the same exit
    expect(fs.readFileSync(runs, 'utf8')).toBe('run\n');
    const exits = h.sent.filter((e) => e.kind === 'taskExited');
    expect(exits.map((e) => [e.reason, e.exitCode])).toEqual([
      ['exited', 0],
      ['exited', 0],
    ]);
  });

  test('a kill then changes nothing: the exit later answered is still the real one', async () => {
    h = agentHarness();
    slowMountRelease(h, 2_000);
    const run = runTask('t2', 'exit 4', { jobMounts });
    await h.handle(run);
    await delay(1_000);
    await h.handle({ kind: 'killTask', taskId: 't2', signal: 'SIGTERM', reason: 'terminate' });
    await h.waitFor((e) => e.kind === 'taskExited');
    await h.handle(run);
    const exits = h.sent.filter((e) => e.kind === 'taskExited');
    expect(exits.map((e) => [e.reason, e.exitCode])).toEqual([
      ['exited', 4],
      ['exited', 4],
    ]);
    expect((h.inner.killedBeforeRun as Map<string, unknown>).size).toBe(0);
  });
});

describe("a receive's messages", () => {
  test('of different tasks start together; a kill in the same receive comes after its run', async () => {
    h = agentHarness();
    // Each start waits in its job mounts until both starts are there: taken one after the other, neither starts.
    let arrive!: () => void;
    const bothStarting = new Promise<void>((resolve) => {
      let count = 0;
      arrive = () => {
        if (++count === 2) resolve();
      };
    });
    h.inner.jobMounts = {
      acquire: async () => {
        arrive();
        await Promise.race([
          bothStarting,
          delay(10_000).then(() => Promise.reject(new Error('the other task did not start meanwhile'))),
        ]);
        return async () => undefined;
      },
    };
    const text = (body: Record<string, unknown>): string =>
      encodeQueueMessage({ schema: nodeTaskSchema, version: 4, ...body });
    const batch = [
      runTask('a', 'exit 3', { jobMounts }),
      runTask('b', 'exec sleep 600', { jobMounts }),
      { kind: 'killTask', taskId: 'b', signal: 'SIGTERM', reason: 'terminate' },
    ].map((body, i) => ({ messageId: `m${i}`, popReceipt: 'p', messageText: text(body), dequeueCount: 1 }));
    const deleted: string[] = [];
    let received = false;
    h.inner.taskQueue = {
      receiveMessages: async () => {
        const items = received ? [] : batch;
        received = true;
        return { receivedMessageItems: items };
      },
      deleteMessage: async (id: string) => {
        deleted.push(id);
      },
    };
    h.inner.pollLoop = (h.inner.pollTasks as () => Promise<void>).call(h.agent);
    await h.waitFor((e) => e.kind === 'taskExited' && e.taskId === 'a');
    const killed = await h.waitFor((e) => e.kind === 'taskExited' && e.taskId === 'b');
    expect(h.sent.find((e) => e.kind === 'taskExited' && e.taskId === 'a')).toMatchObject({
      reason: 'exited',
      exitCode: 3,
    });
    expect([killed.reason, killed.signal]).toEqual(['killed', 'SIGTERM']);
    expect(deleted.sort()).toEqual(['m0', 'm1', 'm2']);
    expect((h.inner.killedBeforeRun as Map<string, unknown>).size).toBe(0);
  });

  test('are grouped by the task they name, in the order received; one naming none is a group of its own', () => {
    const item = (messageId: string, body: object | string) => ({
      messageId,
      messageText: typeof body === 'string' ? body : encodeQueueMessage(body),
    });
    const groups = messagesByTask(
      [
        item('1', { taskId: 'x' }),
        item('2', 'not a message'),
        item('3', { taskId: 'y' }),
        item('4', { taskId: 'x' }),
        item('5', Buffer.from('null').toString('base64')),
      ].map(decodeReceived),
    );
    expect(groups.map((group) => group.map((entry) => entry.item.messageId))).toEqual([
      ['1', '4'],
      ['2'],
      ['3'],
      ['5'],
    ]);
    // Each text is decoded once, as it came: the malformed one keeps why it is not a message.
    expect(groups[0][0].decoded).toEqual({ taskId: 'x' });
    expect(groups[1][0].decodeError).toBeInstanceOf(ContractError);
  });
});

describe('exits that end while another exit is being sent', () => {
  /**
   * Runs 'a', holds its exit's send until 'b' and 'c' have ended too, then lets it go. `reads`: whether the run
   * messages say the control plane reads several exits in one event; `batchFails`: such an event cannot be sent.
   */
  async function threeExits(reads: boolean, batchFails = false): Promise<void> {
    h = agentHarness();
    const queue = h.inner.eventsQueue as { sendMessage: (text: string) => Promise<void> };
    const send = queue.sendMessage;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding = false;
    queue.sendMessage = async (text) => {
      const event = decodeQueueMessage(text) as Record<string, unknown>;
      if (event.kind === 'taskExited' && event.taskId === 'a') {
        holding = true;
        await held;
      }
      if (batchFails && event.kind === 'tasksExited') throw new Error('the node events queue is down');
      await send(text);
    };
    const flag = reads ? { readsTasksExited: true } : {};
    await h.handle(runTask('a', 'exit 0', flag));
    await waitUntil(() => holding);
    await h.handle(runTask('b', 'exit 1', flag));
    await h.handle(runTask('c', 'exit 2', flag));
    const finished = h.inner.finished as Map<string, unknown>;
    await waitUntil(() => finished.has('b') && finished.has('c'));
    release();
  }
  const exitEvents = (): Record<string, unknown>[] =>
    h.sent.filter((e) => e.kind === 'taskExited' || e.kind === 'tasksExited');

  test('go together in one tasksExited event once that send is over, which the control plane reads', async () => {
    await threeExits(true);
    await h.waitFor((e) => e.kind === 'tasksExited');
    await delay(200); // nothing more comes
    const sent = exitEvents();
    expect(sent.map((e) => [e.kind, e.version])).toEqual([
      ['taskExited', 2],
      ['tasksExited', 3],
    ]);
    const together = parseNodeEvent(sent[1]);
    const exits = together.kind === 'tasksExited' ? together.exits : [];
    // In the order they ended ('b' and 'c' race).
    expect([...exits].sort((x, y) => x.taskId.localeCompare(y.taskId))).toMatchObject([
      { kind: 'taskExited', nodeId: 'n', taskId: 'b', exitCode: 1, reason: 'exited' },
      { kind: 'taskExited', nodeId: 'n', taskId: 'c', exitCode: 2, reason: 'exited' },
    ]);
    // Each keeps its own time: when it ended, as its own event would have said.
    const finished = h.inner.finished as Map<string, { time: string }>;
    expect(exits.map((e) => e.time)).toEqual(exits.map((e) => finished.get(e.taskId)!.time));
    expect((h.inner.unreported as Set<string>).size).toBe(0);
  });

  test('go one by one when the newest run message does not say the control plane reads them together', async () => {
    await threeExits(false);
    await waitUntil(() => exitEvents().length === 3);
    await delay(200);
    const [first, ...rest] = exitEvents().map((e) => [e.kind, e.taskId]);
    expect(first).toEqual(['taskExited', 'a']);
    // 'b' and 'c' in the order they ended.
    expect(rest.sort()).toEqual([
      ['taskExited', 'b'],
      ['taskExited', 'c'],
    ]);
  });

  test('whose event could not be sent are each reported again later', async () => {
    await threeExits(true, true);
    const unreported = h.inner.unreported as Set<string>;
    await waitUntil(() => unreported.size === 2);
    expect([...unreported].sort()).toEqual(['b', 'c']);
  });
});

describe('an eviction notice', () => {
  test('reaches a task whose start was under way (SIGTERM), which is reported evicted', async () => {
    h = agentHarness();
    // The task's job mounts take a while: the notice comes meanwhile.
    h.inner.jobMounts = { acquire: async () => (await delay(1_000), async () => undefined) };
    const starting = h.handle(runTask('t3', 'sleep 600', { jobMounts }));
    await delay(200);
    await h.evict(60_000);
    await starting;
    const exit = await h.waitFor((e) => e.kind === 'taskExited' && e.taskId === 't3', 20_000);
    expect([exit.reason, exit.signal]).toEqual(['evicted', 'SIGTERM']);
    const kinds = h.sent.map((e) => e.kind);
    expect(kinds.indexOf('evictionNotice')).toBeLessThan(kinds.indexOf('taskExited'));
  });

  test('not sent (the events queue is down) is sent once it is up, before the exits; the event is acknowledged', async () => {
    h = agentHarness();
    await h.handle(runTask('t4', 'sleep 600'));
    await h.waitFor((e) => e.kind === 'taskStarted');
    h.eventsDown.value = true;
    await h.evict(60_000);
    // The task got its SIGTERM and exited; the event is acknowledged once no task runs.
    for (let i = 0; i < 200 && h.acknowledged.length === 0; i++) await delay(50);
    expect(h.acknowledged).toEqual(['event-1']);
    h.eventsDown.value = false;
    await (h.inner.heartbeat as () => Promise<void>).call(h.agent);
    const kinds = h.sent.map((e) => `${e.kind}:${e.reason ?? ''}`);
    expect(kinds.filter((k) => !k.startsWith('heartbeat'))).toEqual([
      'taskStarted:',
      'evictionNotice:',
      'taskExited:evicted',
    ]);
  });
});

/** Whether process `pid` runs (not gone, not a zombie waiting to be reaped). */
function runs(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function stillRuns(pid: number): Promise<boolean> {
  for (let i = 0; i < 40 && runs(pid); i++) await delay(50);
  return runs(pid);
}

describe('a process a task started in a session of its own', () => {
  test('is stopped once the task exited', async () => {
    h = agentHarness();
    const pidFile = path.join(h.dir, 'daemon.pid');
    await h.handle(runTask('t6', `setsid sh -c 'echo $$ > ${pidFile}; exec sleep 600' & sleep 0.3; exit 0`));
    const exit = await h.waitFor((e) => e.kind === 'taskExited', 20_000);
    expect(exit.exitCode).toBe(0);
    const daemon = Number(fs.readFileSync(pidFile, 'utf8'));
    try {
      expect(await stillRuns(daemon)).toBe(false);
    } finally {
      if (runs(daemon)) process.kill(daemon, 'SIGKILL');
    }
  });

  test("gets the task's kill signal", async () => {
    h = agentHarness();
    const pidFile = path.join(h.dir, 'daemon.pid');
    const termFile = path.join(h.dir, 'daemon.term');
    await h.handle(
      runTask(
        't7',
        `setsid sh -c 'trap "echo term > ${termFile}; exit 0" TERM; echo $$ > ${pidFile}; sleep 600 & wait' & sleep 600`,
      ),
    );
    await h.waitFor((e) => e.kind === 'taskStarted');
    for (let i = 0; i < 100 && !fs.existsSync(pidFile); i++) await delay(50);
    const daemon = Number(fs.readFileSync(pidFile, 'utf8'));
    try {
      await h.handle({ kind: 'killTask', taskId: 't7', signal: 'SIGTERM' });
      await h.waitFor((e) => e.kind === 'taskExited', 20_000);
      expect(fs.readFileSync(termFile, 'utf8')).toBe('term\n');
    } finally {
      if (runs(daemon)) process.kill(-daemon, 'SIGKILL');
    }
  });
});

describe('the contact lease (VMs: contactLeaseMs)', () => {
  /** An agent whose lease is checked as start() does it (every quarter of the lease, at most each second). */
  function leased(leaseMs: number): AgentHarness {
    const harness = agentHarness({ contactLeaseMs: leaseMs });
    const check = harness.inner.checkContactLease as () => void;
    harness.inner.leaseTimer = setInterval(() => check.call(harness.agent), leaseMs / 4);
    return harness;
  }

  const heartbeat = (harness: AgentHarness): Promise<void> =>
    (harness.inner.heartbeat as () => Promise<void>).call(harness.agent);

  async function startedPid(harness: AgentHarness, taskId: string): Promise<number> {
    await harness.waitFor((e) => e.kind === 'taskStarted' && e.taskId === taskId);
    const running = harness.inner.running as Map<string, { pid?: number }>;
    for (let i = 0; i < 100 && running.get(taskId)?.pid === undefined; i++) await delay(20);
    return running.get(taskId)!.pid!;
  }

  /**
   * Runs `commandLine` as task `taskId`, takes the events queue down until the lease stopped its process (then
   * `whileCutOff`), brings it back and returns the task's exit as the next heartbeat reports it.
   */
  async function stoppedByLease(
    harness: AgentHarness,
    taskId: string,
    commandLine: string,
    whileCutOff: () => void = () => undefined,
  ): Promise<Record<string, unknown>> {
    await harness.handle(runTask(taskId, commandLine));
    const pid = await startedPid(harness, taskId);
    harness.eventsDown.value = true;
    for (let i = 0; i < 100 && runs(pid); i++) await delay(50);
    expect(runs(pid)).toBe(false);
    whileCutOff();
    harness.eventsDown.value = false;
    await heartbeat(harness);
    return harness.waitFor((e) => e.kind === 'taskExited' && e.taskId === taskId);
  }

  test('stops the tasks of a node no event got through from for the lease: reported lost once events get through', async () => {
    h = leased(1_000);
    const exit = await stoppedByLease(h, 'l1', 'sleep 600', () => {
      expect(h.log.some((line) => line.startsWith('error: No node event got through'))).toBe(true);
      expect(h.sent.some((e) => e.kind === 'taskExited')).toBe(false); // nothing gets through yet
    });
    // nodeLost: the job runs again (a new attempt), it is not failed by its user's exit code
    expect([exit.reason, exit.signal]).toEqual(['nodeLost', 'SIGTERM']);
    expect(String(exit.message)).toMatch(/contact lease is 1 s.*stopped, to run again elsewhere/);
    expect(h.log).toContain('info: node events get through again: taking tasks again');
  });

  test('a task that ignores SIGTERM is killed after the grace (a quarter of the lease)', async () => {
    h = leased(1_000);
    const exit = await stoppedByLease(h, 'l2', "trap '' TERM; sleep 600");
    expect([exit.reason, exit.signal]).toEqual(['nodeLost', 'SIGKILL']);
  });

  test('keeps the tasks of a node whose events get through, and keeps the first reason of a task being ended', async () => {
    h = leased(1_000);
    await h.handle(runTask('l3', 'sleep 600'));
    const pid = await startedPid(h, 'l3');
    for (let i = 0; i < 10; i++) {
      await heartbeat(h); // every 300 ms: well within the lease
      await delay(300);
    }
    expect(runs(pid)).toBe(true);
    expect(h.log.some((line) => line.includes('No node event got through'))).toBe(false);
    // A kill under way (its reason: a terminate) is not turned into a node loss by a lease that runs out after it.
    await h.handle({ kind: 'killTask', taskId: 'l3', signal: 'SIGTERM', reason: 'terminate' });
    const exit = await h.waitFor((e) => e.kind === 'taskExited' && e.taskId === 'l3');
    expect(exit.reason).toBe('killed');
  });

  test('hands the rest of the lease to the task launcher while events get through (it stops the tasks of a hung agent)', async () => {
    h = leased(2_000);
    const renewals: [number, number][] = [];
    h.inner.launcher = {
      renewLease: (ms: number, graceMs: number) => renewals.push([ms, graceMs]),
      stop: () => undefined,
    };
    await heartbeat(h);
    await delay(1_200);
    expect(renewals.length).toBeGreaterThan(0);
    for (const [ms, graceMs] of renewals) {
      // The rest of the 2 s lease, plus a margin past the agent's own SIGKILL: its grace and up to 1 s more.
      expect(ms).toBeGreaterThan(1_000);
      expect(ms).toBeLessThanOrEqual(3_000);
      expect(graceMs).toBe(500);
    }
    h.eventsDown.value = true;
    for (let i = 0; i < 100 && h.inner.contactLost === undefined; i++) await delay(50);
    const before = renewals.length;
    await delay(1_000);
    expect(renewals.length).toBe(before); // cut off: no renewal (the agent stops the tasks itself)
  });

  describe('with a real task launcher', () => {
    /** The agent with a real python launcher, its lease checked as start() does it. */
    async function leasedWithLauncher(
      leaseMs: number,
      extra: Record<string, unknown> = {},
    ): Promise<AgentHarness> {
      const harness = agentHarness({ contactLeaseMs: leaseMs, ...extra });
      const launcher = new TaskLauncher(path.join(harness.dir, 'pipes'), () => undefined);
      expect(await launcher.usable()).toBe(true);
      harness.inner.launcher = launcher;
      const check = harness.inner.checkContactLease as () => void;
      harness.inner.leaseTimer = setInterval(() => check.call(harness.agent), Math.min(1_000, leaseMs / 4));
      return harness;
    }

    test('a cut-off agent stops its task once, with its own reason (the launcher, with its margin, never has to)', async () => {
      h = await leasedWithLauncher(4_000);
      const terms = path.join(h.dir, 'terms');
      await heartbeat(h);
      // Counts its SIGTERMs, and ends 1.5 s after the first (a program saving its checkpoint).
      await h.handle(
        runTask(
          'r1',
          `trap 'echo TERM >> ${terms}; [ -n "$t" ] || t=1' TERM; i=0; ` +
            'while [ -z "$t" ] || [ $i -lt 15 ]; do sleep 0.1; [ -n "$t" ] && i=$((i+1)); done',
        ),
      );
      const pid = await startedPid(h, 'r1');
      await delay(300);
      h.eventsDown.value = true;
      for (let i = 0; i < 300 && runs(pid); i++) await delay(50);
      h.eventsDown.value = false;
      await heartbeat(h);
      const exit = await h.waitFor((e) => e.kind === 'taskExited' && e.taskId === 'r1');
      expect(fs.readFileSync(terms, 'utf8')).toBe('TERM\n');
      expect(exit.reason).toBe('nodeLost');
      expect(String(exit.message)).toMatch(/^No node event got through/);
    }, 30_000);

    test("a hung agent's container is stopped by the launcher, and its exit is the lease's, not the program's", async () => {
      // A stand-in docker CLI: `run` becomes the container (its client's process), `kill` signals it.
      const bin = path.join(os.tmpdir(), `agent-docker-${process.pid}-${Date.now()}`);
      fs.mkdirSync(bin);
      const calls = path.join(bin, 'calls');
      fs.writeFileSync(
        path.join(bin, 'docker'),
        [
          '#!/bin/sh',
          `echo "$*" >> ${calls}`,
          'case "$1" in',
          `  run) echo $$ > ${bin}/container.pid; exec sleep 600 ;;`,
          `  kill) kill -s "$(echo "$2" | sed 's/--signal=SIG//')" "$(cat ${bin}/container.pid)" ;;`,
          'esac',
          'exit 0',
        ].join('\n'),
        { mode: 0o755 },
      );
      const originalPath = process.env.PATH;
      process.env.PATH = `${bin}:${originalPath ?? ''}`;
      try {
        h = await leasedWithLauncher(2_000);
        h.inner.dockerCli = path.join(bin, 'docker');
        await heartbeat(h);
        await h.handle(runTask('c1', 'sleep 600', { container: { image: 'ubuntu:22.04' } }));
        const client = await startedPid(h, 'c1');
        await delay(800); // the launcher holds the lease (renewed every half second)
        // The agent hangs past its lease (its event loop blocked; no renewal reaches the launcher).
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5_000);
        // Meanwhile the launcher stopped the container with the agent's own commands.
        expect(fs.readFileSync(calls, 'utf8')).toContain('kill --signal=SIGTERM batchai-c1');
        expect(runs(client)).toBe(false);
        const exit = await h.waitFor((e) => e.kind === 'taskExited' && e.taskId === 'c1');
        expect(exit.reason).toBe('nodeLost'); // its job runs again; not failed by the docker client's signal
      } finally {
        process.env.PATH = originalPath;
        fs.rmSync(bin, { recursive: true, force: true });
      }
    }, 30_000);

    test('a task being killed keeps "killed" when the lease then runs out', async () => {
      h = await leasedWithLauncher(3_000);
      await heartbeat(h);
      await h.handle(runTask('r2', "trap 'sleep 5; exit 0' TERM; while true; do sleep 0.1; done"));
      const pid = await startedPid(h, 'r2');
      await delay(300);
      await h.handle({ kind: 'killTask', taskId: 'r2', signal: 'SIGTERM', reason: 'terminate' });
      h.eventsDown.value = true; // the queue goes down while the task saves its checkpoint
      for (let i = 0; i < 300 && runs(pid); i++) await delay(50);
      h.eventsDown.value = false;
      await heartbeat(h);
      const exit = await h.waitFor((e) => e.kind === 'taskExited' && e.taskId === 'r2');
      expect([exit.reason, exit.signal]).toEqual(['killed', 'SIGKILL']); // the lease's SIGKILL after its grace
    }, 30_000);

    test('the node setup task is not leased: a queue outage during setup does not fail the node', async () => {
      h = await leasedWithLauncher(2_000, {
        setupTask: { commandLine: 'sleep 4; exit 0' },
        mountVolumes: [],
      });
      fs.mkdirSync(path.join(h.dir, 'state'), { recursive: true });
      await heartbeat(h);
      const setup = (h.inner.setupOnce as () => Promise<unknown>).call(h.agent);
      await delay(300);
      h.eventsDown.value = true; // a 3 s outage, longer than the lease, while setup runs
      await delay(3_000);
      h.eventsDown.value = false;
      await heartbeat(h);
      expect(await setup).toEqual({ succeeded: true, exitCode: 0 });
    }, 30_000);
  });

  test('one send that hangs (given up after half a heartbeat) does not stop the tasks of a node whose events get through', async () => {
    h = agentHarness({ contactLeaseMs: 3_000, heartbeatIntervalMs: 1_000 });
    const queue = h.inner.eventsQueue as {
      sendMessage: (text: string, options?: { abortSignal?: AbortSignal }) => Promise<void>;
    };
    const real = queue.sendMessage;
    let hang = false;
    queue.sendMessage = async (text, options) => {
      if (hang) {
        hang = false;
        // Hangs as a stuck request does, until the agent gives it up (the SDK honours the abort signal).
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, 3_000);
          options?.abortSignal?.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(new Error('aborted'));
          });
        });
      }
      return real(text);
    };
    const check = h.inner.checkContactLease as () => void;
    h.inner.leaseTimer = setInterval(() => check.call(h.agent), 750);
    h.inner.heartbeatTimer = setInterval(() => void heartbeat(h), 1_000);
    await heartbeat(h);
    await h.handle(runTask('r4', 'sleep 600'));
    const pid = await startedPid(h, 'r4');
    await delay(500);
    hang = true;
    await delay(4_000);
    expect(h.log.filter((line) => line.includes('No node event got through'))).toEqual([]);
    expect(runs(pid)).toBe(true);
  }, 30_000);

  test('takes no task while cut off, and takes them again once an event gets through', async () => {
    h = leased(1_000);
    let polls = 0;
    h.inner.taskQueue = {
      receiveMessages: async () => {
        polls++;
        return { receivedMessageItems: [] };
      },
    };
    h.eventsDown.value = true;
    for (let i = 0; i < 100 && h.inner.contactLost === undefined; i++) await delay(50);
    expect(h.inner.contactLost).toBeDefined();
    h.inner.pollLoop = (h.inner.pollTasks as () => Promise<void>).call(h.agent);
    await delay(500);
    expect(polls).toBe(0);
    h.eventsDown.value = false;
    await heartbeat(h);
    for (let i = 0; i < 100 && polls === 0; i++) await delay(50);
    expect(polls).toBeGreaterThan(0);
  });
});

test('an agent that stops reports the exit of a task that ignores SIGTERM (SIGKILLed after the grace)', async () => {
  h = agentHarness();
  await h.handle(runTask('t8', "trap '' TERM; sleep 600"));
  await h.waitFor((e) => e.kind === 'taskStarted');
  await h.agent.stop(500);
  const exit = h.sent.find((e) => e.kind === 'taskExited');
  expect([exit?.reason, exit?.signal]).toEqual(['nodeLost', 'SIGKILL']);
});

describe('housekeeping', () => {
  test('heartbeats that overlap (a slow queue) send an unreported exit once', async () => {
    h = agentHarness();
    const queue = h.inner.eventsQueue as { sendMessage: (text: string) => Promise<void> };
    const send = queue.sendMessage;
    queue.sendMessage = async (text) => {
      await delay(300);
      await send(text);
    };
    const finished = {
      exit: { kind: 'taskExited', taskId: 't9', jobId: 'j', attempt: 1, reason: 'exited', exitCode: 0 },
      time: new Date().toISOString(),
    };
    (h.inner.finished as Map<string, unknown>).set('t9', finished);
    (h.inner.unreported as Set<string>).add('t9');
    const heartbeat = h.inner.heartbeat as () => Promise<void>;
    await Promise.all([heartbeat.call(h.agent), delay(100).then(() => heartbeat.call(h.agent))]);
    expect(h.sent.filter((e) => e.kind === 'taskExited')).toHaveLength(1);
  });

  test('heartbeats repeat the exits of the newest tasks, so a late exit event is not a lost task', async () => {
    h = agentHarness();
    // An exit from before the window (15 minutes) is not repeated.
    (h.inner.finished as Map<string, unknown>).set('old', {
      exit: { kind: 'taskExited', taskId: 'old', jobId: 'j', attempt: 1, reason: 'exited', exitCode: 0 },
      time: new Date(Date.now() - 16 * 60_000).toISOString(),
    });
    await h.handle(runTask('t12', 'exit 3'));
    const exit = await h.waitFor((e) => e.kind === 'taskExited' && e.taskId === 't12');
    await (h.inner.heartbeat as () => Promise<void>).call(h.agent);
    const beat = h.sent.filter((e) => e.kind === 'heartbeat').pop()!;
    expect(beat.exits).toEqual([{ taskId: 't12', exitCode: 3, reason: 'exited', time: exit.time }]);
  });

  test("a task's own working directory (the agent's) is removed after its exit; a job's is kept", async () => {
    h = agentHarness();
    await h.handle(runTask('t10', 'echo x > file'));
    await h.handle(runTask('t11', 'echo x > file', { workingDirectory: 'jobdir' }));
    await h.waitFor((e) => e.kind === 'taskExited' && e.taskId === 't10');
    await h.waitFor((e) => e.kind === 'taskExited' && e.taskId === 't11');
    await h.agent.stop(1_000); // waits for the exits' handling
    expect(fs.existsSync(path.join(h.dir, 'tasks', 't10'))).toBe(false);
    expect(fs.readFileSync(path.join(h.dir, 'jobdir', 'file'), 'utf8')).toBe('x\n');
  });

  test('asking whether a Docker engine answers does not block the agent', async () => {
    h = agentHarness();
    const bin = path.join(h.dir, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'docker'), '#!/bin/sh\nsleep 1\nexit 1\n', { mode: 0o755 });
    h.inner.dockerCli = path.join(bin, 'docker');
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 20);
    try {
      const answers = await Promise.all([
        (h.inner.hasDocker as () => Promise<boolean> | boolean).call(h.agent),
        (h.inner.hasDocker as () => Promise<boolean> | boolean).call(h.agent),
      ]);
      expect(answers).toEqual([false, false]);
      expect(ticks).toBeGreaterThan(5); // the event loop ran while docker answered
    } finally {
      clearInterval(ticker);
    }
  });
});

test('a kill asked again with the signal the task got already is not sent again; SIGKILL still is', async () => {
  h = agentHarness();
  const terms = path.join(h.dir, 'terms');
  // Counts its SIGTERMs and keeps running (a program saving its checkpoint); a second one would be "quit now".
  await h.handle(runTask('t9', `trap 'echo term >> ${terms}' TERM; while true; do sleep 0.1; done`));
  await h.waitFor((e) => e.kind === 'taskStarted');
  const kill = { kind: 'killTask', taskId: 't9', signal: 'SIGTERM', reason: 'scale-down' } as const;
  await h.handle(kill);
  await delay(500);
  await h.handle(kill);
  await delay(500);
  expect(fs.readFileSync(terms, 'utf8')).toBe('term\n');
  await h.handle({ ...kill, signal: 'SIGKILL' });
  const exit = await h.waitFor((e) => e.kind === 'taskExited' && e.taskId === 't9');
  expect([exit.reason, exit.signal]).toEqual(['killed', 'SIGKILL']);
});
