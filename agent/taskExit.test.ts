// A task's exit is its main process's exit: a background child that keeps its stdout/stderr open (or a process in a
// session of its own) does not keep it running; a kill still reaches its process group after its main process
// exited; what is left of its group after a short grace is ended. Both ways of starting a task (the python3 task
// launcher and a direct spawn).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TaskLauncher } from './taskLauncher';
import { TaskProcess, type RunningProcess } from './taskProcess';
import { Collected } from '../test/compute/support/collectedOutput';

let dir: string;
let launcher: TaskLauncher;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'task-exit-'));
  launcher = new TaskLauncher(path.join(dir, 'pipes'), () => undefined);
});

afterAll(() => {
  launcher.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Whether process group `pgid` still has a process that is not a zombie (a killed one waits to be reaped). */
async function groupAlive(pgid: number): Promise<boolean> {
  for (let i = 0; i < 40; i++) {
    const live = fs.readdirSync('/proc').some((name) => {
      if (!/^\d+$/.test(name)) return false;
      try {
        const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(fields[2]) === pgid && fields[0] !== 'Z';
      } catch {
        return false;
      }
    });
    if (!live) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

const ways: [string, (commandLine: string, out: Collected) => Promise<RunningProcess>][] = [
  [
    'launched',
    (commandLine, out) =>
      launcher.launch({
        commandLine,
        cwd: dir,
        env: { PATH: '/usr/bin:/bin' },
        stdout: out,
        stderr: new Collected(),
      }),
  ],
  [
    'spawned',
    async (commandLine, out) =>
      new TaskProcess({
        commandLine,
        cwd: dir,
        env: { PATH: '/usr/bin:/bin' },
        stdout: out,
        stderr: new Collected(),
      }),
  ],
];

describe.each(ways)('a %s task', (_, start) => {
  test('is reported exited soon after its main process exits while a background child holds its output', async () => {
    const out = new Collected();
    const startedAt = Date.now();
    const task = await start('echo main; sleep 600 & echo exiting; exit 3', out);
    const pid = (await task.started)!;
    const outcome = await task.done;
    expect(outcome).toEqual({ exitCode: 3 });
    expect(Date.now() - startedAt).toBeLessThan(20_000); // not the child's 600 s
    expect(out.text).toBe('main\nexiting\n');
    expect(out.closed).toBe(true);
    expect(await groupAlive(pid)).toBe(false); // the background sleep was ended with its group
  });

  test('a kill after its main process exited still reaches the child it left', async () => {
    const out = new Collected();
    const marker = path.join(dir, `term-${Math.random().toString(36).slice(2)}`);
    const task = await start(
      `sh -c 'trap "echo term > ${marker}; exit 0" TERM; sleep 600 & wait' & sleep 0.2; exit 3`,
      out,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // the main process exited by now
    task.kill('SIGTERM');
    expect(await task.done).toEqual({ exitCode: 3 });
    expect(fs.readFileSync(marker, 'utf8')).toBe('term\n');
  });

  test('a process in a session of its own does not keep the task running', async () => {
    const out = new Collected();
    const pidFile = path.join(dir, `sid-${Math.random().toString(36).slice(2)}`);
    const task = await start(
      `echo main; setsid sh -c 'echo $$ > ${pidFile}; exec sleep 600' & sleep 0.3; exit 4`,
      out,
    );
    expect(await task.done).toEqual({ exitCode: 4 });
    expect(out.closed).toBe(true);
    const leftover = Number(fs.readFileSync(pidFile, 'utf8'));
    process.kill(-leftover, 'SIGKILL'); // the agent stops it (nodeAgent.ts); here the test cleans up
  });
});

test('pipes a leftover process may still hold are not given to the next task', async () => {
  const pidFile = path.join(dir, 'holder');
  const first = await launcher.launch({
    commandLine: `setsid sh -c 'echo $$ > ${pidFile}; sleep 2; echo late; sleep 600' & sleep 0.3; exit 0`,
    cwd: dir,
    env: { PATH: '/usr/bin:/bin' },
    stdout: new Collected(),
    stderr: new Collected(),
  });
  await first.done;
  try {
    const out = new Collected();
    const tasks = [];
    for (let i = 0; i < 10; i++) {
      tasks.push(
        launcher.launch({
          commandLine: 'sleep 3; echo mine',
          cwd: dir,
          env: { PATH: '/usr/bin:/bin' },
          stdout: out,
          stderr: new Collected(),
        }),
      );
    }
    await Promise.all((await Promise.all(tasks)).map((task) => task.done));
    expect(out.text).toBe('mine\n'.repeat(10));
  } finally {
    process.kill(-Number(fs.readFileSync(pidFile, 'utf8')), 'SIGKILL'); // its session's group
  }
});
