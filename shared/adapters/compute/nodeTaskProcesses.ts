// The processes a node runs for its tasks, found from /proc by the AZ_BATCHAI_NODE_ID the agent gives every task:
// what a stopped local node (its VM gone) or an agent started again (the one before died) must not leave running.
import * as fs from 'fs';

/**
 * The fields of `/proc/<pid>/stat` after "pid (comm) ": state(0) ppid(1) pgrp(2) ... starttime(19); throws when
 * the process (or /proc) is not there.
 */
export function processStatFields(pid: number | 'self'): string[] {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * The process groups of the processes started for node `nodeId` (the agent gives every task
 * AZ_BATCHAI_NODE_ID), from /proc; empty where there is no /proc.
 */
export function nodeTaskGroups(nodeId: string): number[] {
  return processGroupsWithVariable('AZ_BATCHAI_NODE_ID', nodeId);
}

/**
 * The process groups of the live (not zombie) processes whose environment holds `<name>=<value>`, from /proc;
 * never the caller's own group. Empty where there is no /proc. `startedAfterPid`: only processes started after
 * that one (pids are handed out in increasing order until they wrap around), so a scan at a task's exit reads the
 * few processes started since rather than every process of the machine.
 */
export function processGroupsWithVariable(name: string, value: string, startedAfterPid?: number): number[] {
  const marker = Buffer.from(`${name}=${value}\0`);
  const groups = new Set<number>();
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const after = startedAfterPid !== undefined && !pidsWrappedSince(startedAfterPid) ? startedAfterPid : 0;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid || Number(entry) <= after) continue;
    try {
      const environ = fs.readFileSync(`/proc/${entry}/environ`);
      const at = environ.indexOf(marker);
      if (at < 0 || (at > 0 && environ[at - 1] !== 0)) continue;
      const fields = processStatFields(Number(entry));
      if (fields[0] !== 'Z') groups.add(Number(fields[2]));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  const own = ownProcessGroup();
  return [...groups].filter((group) => group > 1 && group !== own);
}

/**
 * Whether pid numbers may have wrapped around since `pid` was handed out (the last one handed out is lower), or
 * that cannot be told: then a process started since may have any pid.
 */
function pidsWrappedSince(pid: number): boolean {
  try {
    return Number(fs.readFileSync('/proc/sys/kernel/ns_last_pid', 'utf8')) < pid;
  } catch {
    return true;
  }
}

/** The caller's process group (never its own to stop), from /proc. */
function ownProcessGroup(): number | undefined {
  try {
    return Number(processStatFields('self')[2]);
  } catch {
    return undefined;
  }
}
