// One writer per data folder: the Cosmos journal refuses a second writer, naming the one that holds it, and takes
// over a lock left by a process that is gone (including when its pid now belongs to another process). A zombie is
// gone; a process whose first thread ended while another runs on is not.
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CosmosJournal } from '../../runtime/stack/cosmosJournal';
import { FolderLockedError, currentProcessIdentity, processIdentity } from '../../runtime/stack/folderLock';
import { startLocalStack, type LocalStack } from '../../runtime/stack/localStack';
import { processesMentioning, killProcessesMentioning } from './stackProcesses';

const dirs: string[] = [];
const stacks: LocalStack[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'folder-lock-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(stacks.map((stack) => stack.stop()));
  for (const dir of dirs) {
    killProcessesMentioning(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function openJournal(dir: string): CosmosJournal {
  const journal = CosmosJournal.open({ dir, compactAfterBytes: 1 << 30, log: () => undefined });
  journal.replay(() => undefined);
  return journal;
}

describe('Cosmos journal folder lock', () => {
  test('a second journal on the same folder is refused, naming the holder; after close() it opens', async () => {
    const dir = tempDir();
    const first = openJournal(dir);
    let refused: unknown;
    try {
      openJournal(dir);
    } catch (error: unknown) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(FolderLockedError);
    expect((refused as Error).message).toContain(`is in use by process ${process.pid}`);
    first.append([{ a: 1 }]);
    await first.close();
    const second = openJournal(dir);
    await second.close();
    expect(fs.existsSync(path.join(dir, 'journal.lock'))).toBe(false);
  });

  test('a lock left by a process that is gone is taken over', async () => {
    const dir = tempDir();
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const deadPid = Number(gone.stdout.trim());
    fs.writeFileSync(path.join(dir, 'journal.lock'), JSON.stringify({ pid: deadPid, startTime: '1' }));
    const journal = openJournal(dir);
    await journal.close();
  });

  test('a lock naming a running pid with another start time (a reused pid) is taken over', async () => {
    const dir = tempDir();
    const me = currentProcessIdentity();
    expect(me.startTime).toBeDefined();
    fs.writeFileSync(
      path.join(dir, 'journal.lock'),
      JSON.stringify({ ...me, startTime: String(Number(me.startTime) - 1) }),
    );
    const journal = openJournal(dir);
    await journal.close();
  });

  test('a lock held by a running process in another process is refused', async () => {
    const dir = tempDir();
    const journalJs = path.resolve(__dirname, '..', '..', 'dist', 'runtime', 'stack', 'cosmosJournal.js');
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const { CosmosJournal } = require(${JSON.stringify(journalJs)});
         CosmosJournal.open({ dir: ${JSON.stringify(dir)}, compactAfterBytes: 1e9, log: () => {} });
         console.log('locked'); setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
      expect(() => openJournal(dir)).toThrow(`is in use by process ${holder.pid}`);
    } finally {
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
    }
    const journal = openJournal(dir); // SIGKILLed: its lock is stale now
    await journal.close();
  });
});

describe('whether a process still holds its lock', () => {
  /** Starts `python3 -c script`; resolves with it once it printed its first line (its pid, or 'ready'). */
  function python(script: string): Promise<{ child: ChildProcess; line: string }> {
    const child = spawn('python3', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.stdout!.once('data', (data: Buffer) => resolve({ child, line: data.toString().trim() }));
    });
  }
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
  });
  const state = (pid: number): string => {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  };
  const until = async (check: () => boolean): Promise<void> => {
    for (let i = 0; i < 250 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  };

  test('a zombie (ended, not yet reaped by its parent) is gone', async () => {
    // The parent forks a child that ends at once and never reaps it.
    const { line } = await python(
      'import os, time\npid = os.fork()\nif pid == 0: os._exit(0)\nprint(pid, flush=True)\ntime.sleep(30)',
    );
    const pid = Number(line);
    await until(() => state(pid) === 'Z');
    expect(state(pid)).toBe('Z');
    expect(processIdentity(pid)).toBeUndefined();
  });

  test('a process whose first thread ended while another still runs is not (it shows Z, yet holds its files)', async () => {
    const exitCall = ({ x64: 60, arm64: 93 } as Record<string, number>)[process.arch];
    if (exitCall === undefined) return; // the exit system call's number is known for these two only
    // The first thread exits alone (the exit system call, not exit_group): its other thread sleeps on.
    const { child } = await python(
      'import ctypes, threading, time\n' +
        'threading.Thread(target=time.sleep, args=(30,)).start()\n' +
        "print('ready', flush=True)\n" +
        `ctypes.CDLL(None).syscall(${exitCall}, 0)`,
    );
    const pid = child.pid!;
    await until(() => state(pid) === 'Z');
    expect(state(pid)).toBe('Z');
    expect(processIdentity(pid)).toMatchObject({ pid });
    child.kill('SIGKILL');
    await until(() => processIdentity(pid) === undefined);
    expect(processIdentity(pid)).toBeUndefined();
  });
});

describe('local stack on a data dir in use', () => {
  test('a second stack on the same data dir fails clearly, and the first one goes on undisturbed', async () => {
    const dataDir = tempDir();
    const first = await startLocalStack({ dataDir, provision: false });
    stacks.push(first);
    const before = processesMentioning(dataDir).sort();
    await expect(startLocalStack({ dataDir, provision: false })).rejects.toThrow(
      new RegExp(
        `did not start: .*is in use by process (${first.pids().azurite}|${first.pids().cosmos}).*stop that process first`,
      ),
    );
    expect(processesMentioning(dataDir).sort()).toEqual(before);
    // The journal is the first emulator's alone.
    const cosmosJs = path.resolve(__dirname, '..', '..', 'dist', 'runtime', 'stack', 'cosmosMain.js');
    const second = spawnSync(
      process.execPath,
      [cosmosJs, '--journal-dir', path.join(dataDir, 'cosmos'), '--port', '0'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(second.status).toBe(1);
    expect(second.stderr).toContain(
      `Cosmos journal: ${path.join(dataDir, 'cosmos')} is in use by process ${first.pids().cosmos}`,
    );
    await first.stop();
  });
});
