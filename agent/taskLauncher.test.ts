// The task launcher (a real python3 helper): a launched task behaves as a directly spawned one (environment,
// working directory, signal dispositions, exit codes and signals, its own process group), its output streams while
// it runs, pipes are reused, and a missing or dying helper is handled.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TaskLauncher, type LaunchOptions } from './taskLauncher';
import { TaskProcess, type RunningProcess } from './taskProcess';
import { Collected } from '../test/compute/support/collectedOutput';

let dir: string;
let launcher: TaskLauncher;
const logged: string[] = [];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'task-launcher-'));
  launcher = new TaskLauncher(path.join(dir, 'pipes'), (level, message) =>
    logged.push(`${level}: ${message}`),
  );
});

afterAll(() => {
  launcher.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function options(
  commandLine: string,
  env: Record<string, string> = {},
): LaunchOptions & { out: Collected; err: Collected } {
  const out = new Collected();
  const err = new Collected();
  return {
    commandLine,
    cwd: dir,
    env: { PATH: '/usr/bin:/bin', ...env },
    stdout: out,
    stderr: err,
    out,
    err,
  };
}

async function run(
  start: (o: LaunchOptions) => Promise<RunningProcess> | RunningProcess,
  commandLine: string,
  env?: Record<string, string>,
): Promise<{ outcome: unknown; out: string; err: string }> {
  const o = options(commandLine, env);
  const outcome = await (await start(o)).done;
  expect(o.out.closed && o.err.closed).toBe(true);
  return { outcome, out: o.out.text, err: o.err.text };
}

/**
 * The output with the SigIgn line less glibc's two internal signals (32, 33): posix_spawn leaves them ignored in
 * the child (as Python's subprocess does); no program can use them, and a thread library installs its own handler.
 */
function withoutLibcSignals<T extends { out: string }>(result: T): T {
  const out = result.out.replace(/SigIgn:\s+([0-9a-f]+)/, (_, hex: string) => {
    return `SigIgn: ${(BigInt(`0x${hex}`) & ~0x180000000n).toString(16)}`;
  });
  return { ...result, out };
}

const launched = (o: LaunchOptions): Promise<RunningProcess> => launcher.launch(o);
const spawned = (o: LaunchOptions): RunningProcess => new TaskProcess(o);

test('a launched task sees what a spawned one sees: environment, directory, signal dispositions', async () => {
  expect(await launcher.usable()).toBe(true);
  // The signal state a command of the task inherits (grep's own: the shell's changes while it waits are not in it).
  const probe = "env | sort; pwd; grep -E '^Sig(Ign|Blk)' /proc/self/status; echo to-stderr >&2; exit 3";
  const env = { SECRET: "it's\nmulti-line", EMPTY: '' };
  const viaLauncher = await run(launched, probe, env);
  expect(withoutLibcSignals(viaLauncher)).toEqual(withoutLibcSignals(await run(spawned, probe, env)));
  expect(viaLauncher.outcome).toEqual({ exitCode: 3 });
  expect(viaLauncher.out).toContain(`SECRET=it's\nmulti-line\n`);
  expect(viaLauncher.out).toContain(`\n${dir}\n`);
  expect(withoutLibcSignals(viaLauncher).out).toContain('SigIgn: 0\n'); // Python ignores SIGPIPE for itself
  expect(viaLauncher.out).toMatch(/SigBlk:\s+0+\n/); // nothing blocked
  expect(viaLauncher.err).toBe('to-stderr\n');
});

test('a signal that ends the task is reported as a signal', async () => {
  expect((await run(launched, 'kill -KILL $$')).outcome).toEqual({ signal: 'SIGKILL' });
});

test('kill() reaches the whole process group, children included', async () => {
  const marker = path.join(dir, 'child-survived');
  const o = options(`(sleep 1; touch '${marker}') & echo started; wait`);
  const task = await launcher.launch(o);
  expect(typeof (await task.started)).toBe('number');
  for (let i = 0; i < 200 && !o.out.text.includes('started'); i++)
    await new Promise((r) => setTimeout(r, 10));
  task.kill('SIGTERM');
  expect(await task.done).toEqual({ signal: 'SIGTERM' });
  await new Promise((r) => setTimeout(r, 1_300));
  expect(fs.existsSync(marker)).toBe(false);
});

test('output streams while the task runs', async () => {
  const o = options('echo first; sleep 2; echo second');
  const task = await launcher.launch(o);
  for (let i = 0; i < 150 && o.out.text === ''; i++) await new Promise((r) => setTimeout(r, 10));
  expect(o.out.text).toBe('first\n');
  expect(await task.done).toEqual({ exitCode: 0 });
  expect(o.out.text).toBe('first\nsecond\n');
});

test("output that could not be stored (a sink's close() rejects) is logged; the task's outcome stands", async () => {
  // Before: the rejection was swallowed, so output given up after failed appends left no trace in the agent's log.
  const o = options('echo lost');
  const stdout = {
    ...o.out,
    write: (chunk: Buffer) => o.out.write(chunk),
    close: () => Promise.reject(new Error('17 bytes of output were lost (storage failed)')),
  };
  const before = logged.length;
  const task = await launcher.launch({ ...o, stdout });
  expect(await task.done).toEqual({ exitCode: 0 });
  expect(logged.slice(before)).toEqual([
    'warn: task output not stored in full: 17 bytes of output were lost (storage failed)',
  ]);
});

test('tasks beyond one batch of pipes reuse them; concurrent tasks get their own', async () => {
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => run(launched, `echo task-${i}; echo err-${i} >&2`)),
  );
  results.forEach((r, i) =>
    expect(r).toEqual({ outcome: { exitCode: 0 }, out: `task-${i}\n`, err: `err-${i}\n` }),
  );
  for (let i = 0; i < 20; i++) expect((await run(launched, `echo again-${i}`)).out).toBe(`again-${i}\n`);
  expect(fs.readdirSync(path.join(dir, 'pipes')).length).toBeLessThanOrEqual(48);
});

test('a working directory that does not exist refuses the launch (nothing runs)', async () => {
  const o = { ...options('echo ran'), cwd: path.join(dir, 'missing') };
  await expect(launcher.launch(o)).rejects.toThrow(/No such file or directory/);
  expect(o.out.text).toBe('');
});

test('without python3 the launcher is not usable and says why', async () => {
  const lines: string[] = [];
  const missing = new TaskLauncher(
    path.join(dir, 'pipes-missing'),
    (level, m) => lines.push(m),
    '/nonexistent/python3',
  );
  expect(await missing.usable()).toBe(false);
  await expect(missing.launch(options('true'))).rejects.toThrow(/could not start/);
  expect(lines.join('\n')).toMatch(/the task launcher could not start: .*ENOENT.*tasks are started directly/);
});

test("a SIGTERM to the agent's process group leaves the launcher to report its tasks' real exits", async () => {
  // As when a node is stopped (npm start's Ctrl-C, systemd): the agent stops its tasks and then the launcher, which
  // must still be there to report how each task ended (not that its exit could not be read).
  const own = new TaskLauncher(path.join(dir, 'pipes-term'), () => undefined);
  const task = await own.launch(options('sleep 30'));
  const pid = await task.started;
  const launcherPid = Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
  process.kill(launcherPid, 'SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 200));
  task.kill('SIGTERM');
  expect(await task.done).toEqual({ signal: 'SIGTERM' });
  own.stop();
});

test('a task whose launcher dies is ended and reported lost, not as its own failure', async () => {
  const own = new TaskLauncher(path.join(dir, 'pipes-dying'), () => undefined);
  const o = options('sleep 30');
  const task = await own.launch(o);
  const pid = await task.started;
  const launcherPid = Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
  process.kill(launcherPid, 'SIGKILL');
  expect(await task.done).toEqual({
    lost: expect.stringMatching(
      /^The task was ended: its exit could not be read \(the task launcher exited \(SIGKILL\)\)\.$/,
    ),
  });
  // Killed: gone, or a zombie until its new parent reaps it.
  const state = (): string =>
    fs.existsSync(`/proc/${pid}/stat`)
      ? fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0]
      : 'gone';
  for (let i = 0; i < 100 && !['gone', 'Z'].includes(state()); i++)
    await new Promise((r) => setTimeout(r, 10));
  expect(['gone', 'Z']).toContain(state());
});

test('the launcher can be started through a wrapper (on VMs: a scope of the jobs slice), and its tasks with it', async () => {
  const marker = path.join(dir, 'wrapped');
  const wrapped = new TaskLauncher(
    path.join(dir, 'pipes-wrapped'),
    () => undefined,
    'python3',
    (argv) => ['/bin/sh', '-c', `echo "$PPID" > '${marker}'; exec "$@"`, 'wrapper', ...argv],
  );
  try {
    const task = await wrapped.launch(options('exit 4'));
    expect(await task.done).toEqual({ exitCode: 4 });
    expect(fs.readFileSync(marker, 'utf8')).toMatch(/^\d+\n$/);
  } finally {
    await wrapped.stop();
  }
});

describe('the contact lease the agent renews (VMs)', () => {
  const leasedOptions = (commandLine: string) => ({ ...options(commandLine), leased: true });
  const runs = (pid: number): boolean => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
    } catch {
      return false;
    }
  };
  const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

  test('runs out unrenewed (the agent hung): every job task is stopped and reported lost, SIGKILL after the grace', async () => {
    const own = new TaskLauncher(path.join(dir, 'pipes-lease'), () => undefined);
    try {
      const polite = await own.launch(leasedOptions('sleep 30'));
      const stubborn = await own.launch(leasedOptions("trap '' TERM; sleep 30 & wait; sleep 30"));
      const setup = await own.launch(options('sleep 2; exit 6')); // not leased: the node setup task
      await Promise.all([polite.started, stubborn.started, setup.started]);
      own.renewLease(600, 300);
      const lost = expect.stringMatching(/did not renew its contact lease/);
      expect(await polite.done).toEqual({ signal: 'SIGTERM', lost, leaseExpired: true });
      expect(await stubborn.done).toEqual({ signal: 'SIGKILL', lost, leaseExpired: true });
      expect(await setup.done).toEqual({ exitCode: 6 });
      // A task started after the lease ran out runs (the lease is the agent's to renew again).
      expect((await run((o) => own.launch({ ...o, leased: true }), 'exit 5')).outcome).toEqual({
        exitCode: 5,
      });
    } finally {
      own.stop();
    }
  });

  test('renewed in time: the tasks run on', async () => {
    const own = new TaskLauncher(path.join(dir, 'pipes-renewed'), () => undefined);
    try {
      const task = await own.launch(leasedOptions('sleep 1.5; exit 7'));
      await task.started;
      for (let i = 0; i < 8; i++) {
        own.renewLease(600, 300);
        await delay(250);
      }
      expect(await task.done).toEqual({ exitCode: 7 });
    } finally {
      own.stop();
    }
  });

  test("the SIGKILL reaches a task's process group after its leader is gone", async () => {
    const own = new TaskLauncher(path.join(dir, 'pipes-group'), () => undefined);
    const pidFile = path.join(dir, 'group-survivor');
    let survivor = 0;
    try {
      const task = await own.launch(
        leasedOptions(`(trap '' TERM; exec sleep 60 >/dev/null 2>&1) & echo $! > ${pidFile}; sleep 60`),
      );
      await task.started;
      for (let i = 0; i < 100 && !fs.existsSync(pidFile); i++) await delay(20);
      own.renewLease(300, 300);
      expect(await task.done).toMatchObject({ signal: 'SIGTERM', leaseExpired: true });
      survivor = Number(fs.readFileSync(pidFile, 'utf8'));
      for (let i = 0; i < 100 && runs(survivor); i++) await delay(50);
      expect(runs(survivor)).toBe(false);
    } finally {
      if (survivor && runs(survivor)) process.kill(survivor, 'SIGKILL');
      own.stop();
    }
  });

  /** A stand-in docker CLI that appends each call's arguments to `calls` (one line per call). */
  function recordingDocker(name: string): { cli: string; calls: () => string[] } {
    const cli = path.join(dir, `${name}-docker`);
    const calls = path.join(dir, `${name}-docker-calls`);
    fs.writeFileSync(cli, `#!/bin/sh\necho "$*" >> ${calls}\n`, { mode: 0o755 });
    return {
      cli,
      calls: () => (fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8').trim().split('\n') : []),
    };
  }

  test("runs out unrenewed: a leased container gets the agent's stop commands, SIGKILL after the grace; a released one none", async () => {
    const own = new TaskLauncher(path.join(dir, 'pipes-containers'), () => undefined);
    const docker = recordingDocker('containers');
    try {
      expect(await own.usable()).toBe(true);
      own.leaseContainer('batchai-job-1', true, docker.cli);
      own.leaseContainer('batchai-done', true, docker.cli);
      own.leaseContainer('batchai-done', false, docker.cli); // ended before the lease ran out
      own.renewLease(400, 600);
      for (let i = 0; i < 60 && docker.calls().length < 3; i++) await delay(50);
      // SIGTERM to the container's processes first; SIGKILL after the grace (so last).
      expect(docker.calls().slice(0, 2).sort()).toEqual([
        'exec batchai-job-1 sh -c kill -TERM -1',
        'kill --signal=SIGTERM batchai-job-1',
      ]);
      expect(docker.calls().slice(2)).toEqual(['kill --signal=SIGKILL batchai-job-1']);
      expect(docker.calls().some((call) => call.includes('batchai-done'))).toBe(false);
      // The agent learns which containers were stopped for the lease (their docker clients' exits are not the
      // programs'), once each.
      expect(own.stoppedContainer('batchai-job-1')).toBe(true);
      expect(own.stoppedContainer('batchai-job-1')).toBe(false);
      expect(own.stoppedContainer('batchai-done')).toBe(false);
    } finally {
      own.stop();
    }
  });

  test('the agent gone with the lease running and a container leased: the launcher stays to stop it', async () => {
    const own = new TaskLauncher(path.join(dir, 'pipes-orphan-container'), () => undefined);
    const docker = recordingDocker('orphan');
    expect(await own.usable()).toBe(true);
    own.leaseContainer('batchai-job-2', true, docker.cli);
    own.renewLease(400, 200);
    own.stop(); // the agent crashed: no leased host task, only the container
    for (let i = 0; i < 60 && docker.calls().length < 3; i++) await delay(50);
    expect(docker.calls()).toEqual(
      expect.arrayContaining([
        'kill --signal=SIGTERM batchai-job-2',
        'exec batchai-job-2 sh -c kill -TERM -1',
        'kill --signal=SIGKILL batchai-job-2',
      ]),
    );
  });

  test('the agent gone during the grace after the lease ran out: the SIGKILL still comes', async () => {
    const own = new TaskLauncher(path.join(dir, 'pipes-grace'), () => undefined);
    const docker = recordingDocker('grace');
    const task = await own.launch(leasedOptions("trap '' TERM; sleep 60"));
    const pid = (await task.started)!;
    try {
      own.leaseContainer('batchai-job-3', true, docker.cli);
      own.renewLease(300, 1_500);
      await delay(700); // ran out: SIGTERM sent, the SIGKILL due in the grace
      own.stop(); // the agent dies now
      for (let i = 0; i < 60 && (runs(pid) || docker.calls().length < 3); i++) await delay(50);
      expect(runs(pid)).toBe(false);
      expect(docker.calls()).toContain('kill --signal=SIGKILL batchai-job-3');
    } finally {
      if (runs(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  test('the agent gone (its pipe closed) with the lease running: the job tasks are stopped when it runs out', async () => {
    const own = new TaskLauncher(path.join(dir, 'pipes-orphan'), () => undefined);
    const task = await own.launch(leasedOptions('sleep 60'));
    const pid = (await task.started)!;
    try {
      own.renewLease(500, 200);
      own.stop(); // what the agent's crash does to the pipe
      for (let i = 0; i < 100 && runs(pid); i++) await delay(50);
      expect(runs(pid)).toBe(false);
    } finally {
      if (runs(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});
