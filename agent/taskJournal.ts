// The node agent's task journal (`<workRoot>/state/tasks.ndjson`): what it started, the process it started, each
// exit and whether the exit was reported, one JSON line per step appended as it happens. An agent started again on
// the same node (systemd restarts it after a crash; an agent update) reads it to keep the promises of the one before:
// - a task started and never seen to end was lost with that agent: its process, if still there, is stopped, and the
//   task is reported ended by the node's failure (`nodeLost`), so its job runs again as a new attempt instead of
//   waiting for an exit nobody would send;
// - an exit not yet reported is reported;
// - a run message for a task that ended (redelivered, or sent again by a lifecycle taken up) is answered with the
//   exit it had, not run a second time;
// - a kill that came before its task's run message (queue messages keep no order) still stops that run message.
// No fsync: the journal is for an agent process that died, not for a machine that did (a reboot ends the processes
// with it, and the job's node is then lost by heartbeat).
import * as fs from 'fs';
import * as path from 'path';
import type { NodeEventBody } from '../shared/contracts/nodeEvent';
import type { NodeRemoval } from '../shared/contracts/nodeTask';

export interface JournaledExit {
  exit: NodeEventBody;
  time: string;
}

/** What the node's exit event of a task carries besides the outcome. */
export interface TaskReport {
  taskId: string;
  jobId: string;
  attempt: number;
  replyTo?: string;
  releasesNodeOf?: string;
  /** The task's W3C trace context (from its run message): its events, even one sent by the next agent, carry it. */
  traceParent?: string;
  traceState?: string;
}

/** A task an earlier agent started and never saw end. */
export interface UnfinishedTask {
  report: TaskReport;
  /** The process (and group) it started, when the spawn was recorded. */
  pid?: number;
  /** When it was spawned (ISO): tells that process from a later one given the same pid. */
  spawnedAt?: string;
  /** The container's name, for a task run in one. */
  container?: string;
}

/** A kill for a task not run (yet): its run message, if it comes, starts nothing and reports this. */
export interface JournaledKill {
  signal: 'SIGTERM' | 'SIGKILL';
  reason?: string;
  nodeRemoval?: NodeRemoval;
}

export interface JournalContents {
  /** Exits in the order they happened, the latest `keep`. */
  finished: Map<string, JournaledExit>;
  unfinished: UnfinishedTask[];
  /** Exits recorded but not (known to be) reported, in order. */
  unreported: string[];
  /** Kills that came before their task's run message, not yet answered, the latest `keep`. */
  killedBeforeRun: Map<string, JournaledKill>;
}

type Line =
  | { op: 'start'; report: TaskReport; container?: string }
  | { op: 'pid'; taskId: string; pid: number; at: string }
  | { op: 'exit'; taskId: string; exit: NodeEventBody; time: string }
  | { op: 'reported'; taskId: string }
  | { op: 'killedBeforeRun'; taskId: string; kill: JournaledKill };

const fileName = 'tasks.ndjson';

/** Reads a journal's lines into what an agent needs; lines it cannot read (a write cut short) are skipped. */
export function readJournal(text: string, keep: number): JournalContents {
  const starts = new Map<string, UnfinishedTask>();
  const finished = new Map<string, JournaledExit>();
  const unreported = new Set<string>();
  const killedBeforeRun = new Map<string, JournaledKill>();
  for (const raw of text.split('\n')) {
    if (!raw) continue;
    let line: Line;
    try {
      line = JSON.parse(raw) as Line;
    } catch {
      continue;
    }
    switch (line.op) {
      case 'start':
        // A task started after its kill was stopped at once: its exit (or its loss) is what answers it now.
        killedBeforeRun.delete(line.report.taskId);
        starts.set(line.report.taskId, { report: line.report, container: line.container });
        break;
      case 'pid': {
        const task = starts.get(line.taskId);
        if (task) Object.assign(task, { pid: line.pid, spawnedAt: line.at });
        break;
      }
      case 'exit':
        killedBeforeRun.delete(line.taskId);
        starts.delete(line.taskId);
        finished.delete(line.taskId);
        finished.set(line.taskId, { exit: line.exit, time: line.time });
        unreported.add(line.taskId);
        if (finished.size > keep) {
          const oldest = finished.keys().next().value!;
          finished.delete(oldest);
          unreported.delete(oldest);
        }
        break;
      case 'reported':
        unreported.delete(line.taskId);
        break;
      case 'killedBeforeRun':
        killedBeforeRun.delete(line.taskId);
        killedBeforeRun.set(line.taskId, line.kill);
        if (killedBeforeRun.size > keep) killedBeforeRun.delete(killedBeforeRun.keys().next().value!);
        break;
    }
  }
  return { finished, unfinished: [...starts.values()], unreported: [...unreported], killedBeforeRun };
}

export class TaskJournal {
  private fd: number;
  private lines = 0;

  private constructor(
    private readonly file: string,
    private readonly keep: number,
    contents: JournalContents,
  ) {
    this.fd = this.rewrite(contents);
  }

  /** Reads the journal in `stateDir` (none yet: empty) and starts a compacted one holding the same promises. */
  static open(stateDir: string, keep: number): { journal: TaskJournal; contents: JournalContents } {
    const file = path.join(stateDir, fileName);
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const contents = readJournal(text, keep);
    return { journal: new TaskJournal(file, keep, contents), contents };
  }

  started(report: TaskReport, container?: string): void {
    this.append({ op: 'start', report, container });
  }

  spawned(taskId: string, pid: number): void {
    this.append({ op: 'pid', taskId, pid, at: new Date().toISOString() });
  }

  exited(taskId: string, finished: JournaledExit): void {
    this.append({ op: 'exit', taskId, exit: finished.exit, time: finished.time });
  }

  reported(taskId: string): void {
    this.append({ op: 'reported', taskId });
  }

  /** A kill for a task not run yet; the task's exit (recorded when its run message is answered) settles it. */
  killedBeforeRun(taskId: string, kill: JournaledKill): void {
    this.append({ op: 'killedBeforeRun', taskId, kill });
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  private append(line: Line): void {
    fs.writeSync(this.fd, `${JSON.stringify(line)}\n`);
    // Four lines a task (and one for a kill before its run): past that many tasks beyond what is kept, the file is
    // rewritten with only what is kept (at most `keep` exits and `keep` kills, and the tasks still running).
    if (++this.lines > 4 * 2 * this.keep) {
      const contents = readJournal(fs.readFileSync(this.file, 'utf8'), this.keep);
      fs.closeSync(this.fd);
      this.fd = this.rewrite(contents);
    }
  }

  /** Writes `contents` as a new journal (a temporary file renamed over the old one) and opens it to append. */
  private rewrite(contents: JournalContents): number {
    const lines: Line[] = [];
    for (const task of contents.unfinished) {
      lines.push({ op: 'start', report: task.report, container: task.container });
      if (task.pid !== undefined)
        lines.push({ op: 'pid', taskId: task.report.taskId, pid: task.pid, at: task.spawnedAt ?? '' });
    }
    const unreported = new Set(contents.unreported);
    for (const [taskId, finished] of contents.finished) {
      lines.push({ op: 'exit', taskId, exit: finished.exit, time: finished.time });
      if (!unreported.has(taskId)) lines.push({ op: 'reported', taskId });
    }
    for (const [taskId, kill] of contents.killedBeforeRun)
      lines.push({ op: 'killedBeforeRun', taskId, kill });
    const temporary = `${this.file}.tmp`;
    fs.writeFileSync(temporary, lines.map((line) => `${JSON.stringify(line)}\n`).join(''), { mode: 0o600 });
    fs.renameSync(temporary, this.file);
    this.lines = lines.length;
    return fs.openSync(this.file, 'a', 0o600);
  }
}
