// One writer per data folder: the Cosmos journal refuses a second writer, naming the one that holds it, and takes
// over a lock left by a process that is gone (including when its pid now belongs to another process).
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CosmosJournal } from '../../runtime/stack/cosmosJournal';
import { FolderLockedError, currentProcessIdentity } from '../../runtime/stack/folderLock';
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
