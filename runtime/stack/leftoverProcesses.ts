// What a killed `npm start` leaves behind: its emulators run on (they are detached on purpose), holding their data
// folders and ports. The next start finds them through their folder locks (the lock names the holder) and stops
// them, so it can take over the same folders and ports; the host it had started is found through a small record.
import * as fs from 'fs';
import * as path from 'path';
import { isRunning, lockHolder, type ProcessIdentity, processIdentity } from './folderLock';

/** The lock files the emulator children take in `<dataDir>/cosmos` and `<dataDir>/azurite`. */
export function emulatorLockFiles(dataDir: string): { name: string; file: string }[] {
  return [
    { name: 'Cosmos DB emulator', file: path.join(dataDir, 'cosmos', 'journal.lock') },
    { name: 'Azurite', file: path.join(dataDir, 'azurite', 'azurite.lock') },
  ];
}

async function waitUntilGone(identity: ProcessIdentity, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(identity)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/**
 * Stops the process `identity` names (SIGTERM, then SIGKILL after `graceMs`) if it still runs; resolves once it is
 * gone. A pid now used by another process (another start time) is left alone.
 */
export async function stopProcess(
  identity: ProcessIdentity,
  graceMs: number,
): Promise<'stopped' | 'killed' | 'gone'> {
  if (!isRunning(identity)) return 'gone';
  try {
    process.kill(identity.pid, 'SIGTERM');
  } catch {
    return 'gone';
  }
  if (await waitUntilGone(identity, graceMs)) return 'stopped';
  try {
    process.kill(identity.pid, 'SIGKILL');
  } catch {
    return 'stopped';
  }
  if (!(await waitUntilGone(identity, 10_000))) {
    throw new Error(`process ${identity.pid} did not exit after SIGKILL`);
  }
  return 'killed';
}

/**
 * Stops the emulators still holding `<dataDir>`'s folders (left by a launcher that was killed), so that a new stack
 * can start on the same folders and ports. Only for a caller that owns the data dir (`npm start` holds its lock):
 * any holder is then a leftover. Returns what was stopped.
 */
export async function stopLeftoverEmulators(
  dataDir: string,
  options: { graceMs: number; log: (line: string) => void },
): Promise<ProcessIdentity[]> {
  const holders = emulatorLockFiles(dataDir).flatMap(({ name, file }) => {
    const holder = lockHolder(file);
    return holder && holder.pid !== process.pid ? [{ name, holder }] : [];
  });
  await Promise.all(
    holders.map(async ({ name, holder }) => {
      options.log(`stopping the ${name} (pid ${holder.pid}) left running by an earlier start on this data`);
      const outcome = await stopProcess(holder, options.graceMs);
      if (outcome === 'killed') options.log(`${name} (pid ${holder.pid}) did not stop on SIGTERM: killed`);
    }),
  );
  return holders.map(({ holder }) => holder);
}

/** Remembers a process (e.g. the Functions host) in `file`, to find it again after the launcher was killed. */
export function recordProcess(file: string, pid: number): void {
  const identity = processIdentity(pid);
  if (!identity) return;
  const temp = `${file}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(identity)}\n`);
  fs.renameSync(temp, file);
}

/** The process recorded in `file`, if it still runs (the same process: pid and start time). */
export function recordedProcess(file: string): ProcessIdentity | undefined {
  try {
    const identity = JSON.parse(fs.readFileSync(file, 'utf8')) as ProcessIdentity;
    return typeof identity.pid === 'number' && isRunning(identity) ? identity : undefined;
  } catch {
    return undefined;
  }
}
