// Single-writer locks on the local stack's data folders (the Cosmos journal, Azurite's files, `npm start`'s data
// directory): a lock file names the process that holds it (pid plus its start time, so a reused pid is not mistaken
// for the holder), a lock whose holder is gone is taken over, and a held one fails with an error naming the holder.
import { execFileSync } from 'child_process';
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/** Who a process is: its pid alone is not enough, pids are reused. */
export interface ProcessIdentity {
  pid: number;
  /** Start time (Linux: clock ticks after boot from /proc/<pid>/stat; elsewhere `ps -o lstart`). */
  startTime?: string;
  /** Linux boot id: a start time only means something within one boot. */
  bootId?: string;
  /** The command line, for messages. */
  command?: string;
}

function readProc(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

const bootId = readProc('/proc/sys/kernel/random/boot_id')?.trim();

/** Whether process `pid` has threads besides its first (Linux: `/proc/<pid>/task`). */
function otherThreadsRun(pid: number): boolean {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).length > 1;
  } catch {
    return false;
  }
}

/** The identity of a running process, or undefined when there is no such process (or only its zombie). */
export function processIdentity(pid: number): ProcessIdentity | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  if (fs.existsSync('/proc/self/stat')) {
    const stat = readProc(`/proc/${pid}/stat`);
    if (stat === undefined) return undefined;
    // Fields after the command (which is in parentheses and may hold spaces): state is field 3, starttime field 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // A zombie is gone, unless only its first thread is: a process exiting while another of its threads finishes
    // (a disk write) shows Z too, and still holds its files and ports until that thread is done.
    if ((fields[0] === 'Z' || fields[0] === 'X') && !otherThreadsRun(pid)) return undefined;
    const command = readProc(`/proc/${pid}/cmdline`)?.split('\0').join(' ').trim();
    return { pid, startTime: fields[19], bootId, command };
  }
  try {
    process.kill(pid, 0);
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
  }
  try {
    const out = execFileSync('ps', ['-o', 'lstart=,command=', '-p', String(pid)], { encoding: 'utf8' });
    const line = out.trim();
    if (!line) return undefined;
    // lstart is a fixed 24-character date ("Sun Dec  6 19:09:41 2026").
    return { pid, startTime: line.slice(0, 24).trim(), command: line.slice(24).trim() };
  } catch {
    return { pid };
  }
}

export function currentProcessIdentity(): ProcessIdentity {
  return processIdentity(process.pid) ?? { pid: process.pid };
}

/**
 * True while the process that `identity` describes runs. A pid that runs with another start time is another
 * process (the pid was reused); without a start time (unknown platform) a live pid counts as the same process.
 */
export function isRunning(identity: ProcessIdentity): boolean {
  const now = processIdentity(identity.pid);
  if (!now) return false;
  if (identity.bootId && now.bootId && identity.bootId !== now.bootId) return false;
  if (identity.startTime && now.startTime && identity.startTime !== now.startTime) return false;
  return true;
}

export class FolderLockedError extends Error {
  constructor(
    readonly what: string,
    readonly lockFile: string,
    readonly holder: ProcessIdentity,
  ) {
    super(
      `${what}: ${path.dirname(lockFile)} is in use by process ${holder.pid}` +
        `${holder.command ? ` (${holder.command})` : ''}; stop that process first ` +
        `(its lock is ${lockFile}; two writers would corrupt the data)`,
    );
    this.name = 'FolderLockedError';
  }
}

function parseIdentity(text: string): ProcessIdentity | undefined {
  try {
    const value = JSON.parse(text) as Partial<ProcessIdentity>;
    if (typeof value.pid !== 'number' || !Number.isSafeInteger(value.pid)) return undefined;
    return {
      pid: value.pid,
      startTime: typeof value.startTime === 'string' ? value.startTime : undefined,
      bootId: typeof value.bootId === 'string' ? value.bootId : undefined,
      command: typeof value.command === 'string' ? value.command : undefined,
    };
  } catch {
    return undefined;
  }
}

/** The process that holds the lock file, if it still runs. */
export function lockHolder(lockFile: string): ProcessIdentity | undefined {
  const text = readProc(lockFile);
  if (text === undefined) return undefined;
  const holder = parseIdentity(text);
  return holder && isRunning(holder) ? holder : undefined;
}

export class FolderLock {
  private released = false;
  private readonly onExit = (): void => this.release();

  private constructor(
    readonly file: string,
    private readonly content: string,
  ) {
    process.once('exit', this.onExit);
  }

  /**
   * Takes `<dir>/<name>` for this process, or throws FolderLockedError when a running process holds it. A lock left
   * by a process that is gone (a crash, SIGKILL) is taken over.
   */
  static acquire(dir: string, name: string, what: string): FolderLock {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, name);
    const content = `${JSON.stringify(currentProcessIdentity())}\n`;
    for (let attempt = 0; attempt < 10; attempt += 1) {
      // Written whole to a private file, then linked into place: link fails if the lock exists, and a reader never
      // sees a half-written lock.
      const temp = `${file}.${process.pid}.${randomUUID()}`;
      fs.writeFileSync(temp, content);
      try {
        fs.linkSync(temp, file);
        return new FolderLock(file, content);
      } catch (error: unknown) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      } finally {
        fs.rmSync(temp, { force: true });
      }
      const text = readProc(file);
      if (text === undefined) continue; // released meanwhile
      const holder = parseIdentity(text);
      if (holder && isRunning(holder)) throw new FolderLockedError(what, file, holder);
      FolderLock.removeStale(file, text);
    }
    throw new Error(`${what}: could not take the lock ${file} (it keeps changing)`);
  }

  /**
   * Removes a stale lock, unless another process replaced it since it was read: the file is moved aside first and put
   * back if it is not the one that was judged stale.
   */
  private static removeStale(file: string, staleText: string): void {
    const aside = `${file}.stale.${process.pid}.${randomUUID()}`;
    try {
      fs.renameSync(file, aside);
    } catch {
      return; // gone already
    }
    if (readProc(aside) !== staleText) {
      try {
        fs.linkSync(aside, file);
      } catch {
        // Someone else's lock is in place again.
      }
    }
    fs.rmSync(aside, { force: true });
  }

  /** Removes the lock file if it is still this lock (idempotent). */
  release(): void {
    if (this.released) return;
    this.released = true;
    process.removeListener('exit', this.onExit);
    if (readProc(this.file) === this.content) fs.rmSync(this.file, { force: true });
  }
}
