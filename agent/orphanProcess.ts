// A process an earlier agent started (agent/taskJournal.ts) and that may still run: found by its pid only if it is
// the same process (a pid is reused once its process is gone, and after a reboot), and stopped with its group.
import * as fs from 'fs';
import { processGroupsWithVariable, processStatFields } from '../shared/adapters/compute/nodeTaskProcesses';

/** Linux's clock ticks per second for /proc times (USER_HZ). */
const ticksPerSecond = 100;

/** When the process `pid` started (ms since the epoch), from /proc; undefined if there is none or no /proc. */
export function processStartTime(pid: number): number | undefined {
  try {
    const startTicks = Number(processStatFields(pid)[19]); // ticks since boot
    const bootLine = /^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'));
    if (!bootLine || !Number.isFinite(startTicks)) return undefined;
    return Number(bootLine[1]) * 1000 + (startTicks * 1000) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` is still the process spawned at `spawnedAt` (recorded just after the spawn): it started within a
 * few seconds before that (the boot time /proc gives is rounded to the second).
 */
export function isSameProcess(pid: number, spawnedAt: string): boolean {
  const started = processStartTime(pid);
  const recorded = Date.parse(spawnedAt);
  if (started === undefined || Number.isNaN(recorded)) return false;
  return started <= recorded + 1_500 && recorded - started <= 10_000;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error: unknown) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // gone meanwhile
  }
}

/** SIGTERM to the process group, SIGKILL to what is left after `graceMs`; resolves when the group is gone (or after 5 s more). */
export async function stopProcessGroup(pgid: number, graceMs: number): Promise<void> {
  signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (!groupAlive(pgid)) return;
  signalGroup(pgid, 'SIGKILL');
  const killDeadline = Date.now() + 5_000; // a process this agent may not signal (EPERM) is left
  while (groupAlive(pgid) && Date.now() < killDeadline) await new Promise((r) => setTimeout(r, 50));
}

/** The variable the agent gives each task's processes (its task id): how what a task left is found. */
export const taskMarkerVariable = 'BATCHAI_TASK_ID';

/**
 * The process groups of the processes carrying `<taskMarkerVariable>=<taskId>` in their environment (a task's
 * processes, including those in a session of their own, which its group's signals miss), from /proc; never the
 * caller's own group (the agent's, which its task launcher shares). Empty where there is no /proc.
 */
export function taskProcessGroups(taskId: string, startedAfterPid?: number): number[] {
  return processGroupsWithVariable(taskMarkerVariable, taskId, startedAfterPid);
}

/**
 * Signals every process group holding a process of task `taskId` but `except` (the task's own group, signalled by
 * its caller: a process must not get the same signal twice); returns the groups signalled.
 */
export function signalTaskProcesses(
  taskId: string,
  signal: NodeJS.Signals,
  startedAfterPid?: number,
  except?: number,
): number[] {
  const groups = taskProcessGroups(taskId, startedAfterPid).filter((group) => group !== except);
  for (const group of groups) signalGroup(group, signal);
  return groups;
}
