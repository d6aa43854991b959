// CPU time of the bench's own process tree by role (Functions host, Azurite, Cosmos emulator, node agents with their
// task launchers and tasks, the bench itself, other children) and of the whole machine, from Linux's /proc: what one
// unit of work costs where. Elsewhere (no /proc) there is nothing to read and the bench says so.
import * as fs from 'fs';

interface ProcessTimes {
  ppid: number;
  role: string;
  cpuMs: number;
}

const ticksPerSecond = 100; // USER_HZ on Linux

function roleOf(commandLine: string, pid: number): string {
  if (pid === process.pid) return 'bench';
  if (commandLine.includes('runtime/host/main.js')) return 'host';
  if (commandLine.includes('azuriteMain.js')) return 'azurite';
  if (commandLine.includes('cosmosMain.js')) return 'cosmos';
  if (commandLine.includes('agent/main.js')) return 'agents';
  return 'other';
}

function readProcesses(): Map<number, ProcessTimes> {
  const processes = new Map<number, ProcessTimes>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after "pid (comm) ": state ppid ... utime(11) stime(12) cutime(13) cstime(14), 0-based.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = fields.slice(11, 15).reduce((sum, value) => sum + Number(value), 0);
      const commandLine = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const pid = Number(name);
      processes.set(pid, {
        ppid: Number(fields[1]),
        role: roleOf(commandLine, pid),
        cpuMs: (ticks * 1000) / ticksPerSecond,
      });
    } catch {
      // gone meanwhile
    }
  }
  return processes;
}

function inTree(pid: number, processes: Map<number, ProcessTimes>): boolean {
  for (
    let current: number | undefined = pid;
    current && current > 1;
    current = processes.get(current)?.ppid
  ) {
    if (current === process.pid) return true;
  }
  return false;
}

/** Whether a process runs under a node agent (its task launcher, and tasks still running). */
function underAgent(pid: number, processes: Map<number, ProcessTimes>): boolean {
  for (
    let current = processes.get(pid)?.ppid;
    current && current > 1;
    current = processes.get(current)?.ppid
  ) {
    if (processes.get(current)?.role === 'agents') return true;
  }
  return false;
}

/** Machine-wide busy CPU milliseconds (all cores) since boot. */
function machineBusyMs(): number {
  const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = cpu[3] + (cpu[4] ?? 0);
  const total = cpu.reduce((sum, value) => sum + value, 0);
  return ((total - idle) * 1000) / ticksPerSecond;
}

export interface CpuSnapshot {
  machineMs: number;
  byRole: Map<string, number>;
}

/** CPU milliseconds used so far by the bench's process tree, by role (children that exited count in cutime). */
export function cpuSnapshot(): CpuSnapshot | undefined {
  if (!fs.existsSync('/proc/stat')) return undefined;
  const processes = readProcesses();
  const byRole = new Map<string, number>();
  for (const [pid, times] of processes) {
    if (!inTree(pid, processes)) continue;
    const role = times.role === 'other' && underAgent(pid, processes) ? 'agents' : times.role;
    byRole.set(role, (byRole.get(role) ?? 0) + times.cpuMs);
  }
  return { machineMs: machineBusyMs(), byRole };
}

/** "CPU per job: machine 71 ms (host 31, azurite 14, ...)" between two snapshots, per unit (a job, a second). */
export function cpuPerUnit(
  before: CpuSnapshot | undefined,
  after: CpuSnapshot | undefined,
  units: number,
  unit = 'job',
): string {
  if (!before || !after) return 'CPU per unit: not available (no /proc)';
  const roles = ['host', 'azurite', 'cosmos', 'agents', 'bench', 'other'];
  const parts = roles.map((role) => {
    const used = (after.byRole.get(role) ?? 0) - (before.byRole.get(role) ?? 0);
    return `${role} ${(Math.max(0, used) / units).toFixed(1)}`;
  });
  const machine = (after.machineMs - before.machineMs) / units;
  return `CPU per ${unit}: machine ${machine.toFixed(1)} ms (${parts.join(', ')} ms)`;
}
