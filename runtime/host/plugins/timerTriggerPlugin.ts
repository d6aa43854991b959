// timerTrigger: runs functions on NCRONTAB or TimeSpan schedules (UTC), one run at a time per function. With
// useMonitor (default for schedules of a minute or more) a status record per function is kept in
// `<dataDir>/timers/<function>/status.json`, like the host's blob, so a run missed while the host was down is
// reported past due and run once at start. runOnStartup runs the function when the host starts.
import * as fs from 'fs';
import * as path from 'path';
import type { HostServices, RegisteredFunction, TriggerPlugin } from '../plugin';
import { invokeWithRetry } from '../retryPolicy';
import { parseTimerSchedule, type TimerSchedule } from '../timerSchedule';

interface ScheduleStatus {
  Last: string;
  Next: string;
  LastUpdated: string;
}

const maxTimeoutMs = 2 ** 31 - 1;

class TimerRunner {
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  /** A run is under way (the host's drain waits for it, not stop()). */
  private firing = false;
  private readonly statusFile: string;

  constructor(
    private readonly host: HostServices,
    private readonly fn: RegisteredFunction,
    private readonly schedule: TimerSchedule,
    private readonly useMonitor: boolean,
    private readonly runOnStartup: boolean,
  ) {
    this.statusFile = path.join(host.dataDir, 'timers', fn.name, 'status.json');
  }

  start(): void {
    this.loop = this.run();
  }

  /** No more runs; a run under way is left to the host's drain. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  /** After the drain: lets a run that ended write its status; one still running is abandoned. */
  async release(): Promise<void> {
    if (!this.firing) await this.loop;
  }

  private sleepUntil(when: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout;
      const finish = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const arm = (): void => {
        const left = when - Date.now();
        if (left <= 0 || this.stopped) return finish();
        timer = setTimeout(arm, Math.min(left, maxTimeoutMs));
      };
      this.wake = finish;
      arm();
    });
  }

  private readStatus(): ScheduleStatus | undefined {
    try {
      const s = JSON.parse(fs.readFileSync(this.statusFile, 'utf8')) as ScheduleStatus;
      return typeof s.Next === 'string' && typeof s.Last === 'string' ? s : undefined;
    } catch {
      return undefined;
    }
  }

  private writeStatus(status: ScheduleStatus): void {
    if (!this.useMonitor) return;
    fs.mkdirSync(path.dirname(this.statusFile), { recursive: true });
    const tmp = `${this.statusFile}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(status));
    fs.renameSync(tmp, this.statusFile);
  }

  private async fire(isPastDue: boolean, last: Date | undefined, next: Date | undefined): Promise<void> {
    const status =
      last || next
        ? {
            Last: last?.toISOString() ?? '',
            Next: next?.toISOString() ?? '',
            LastUpdated: new Date().toISOString(),
          }
        : null;
    const triggerData = {
      json: JSON.stringify({
        Schedule: { AdjustForDST: true },
        ScheduleStatus: status,
        IsPastDue: isPastDue,
      }),
    };
    this.firing = true;
    try {
      await invokeWithRetry(
        this.host,
        this.fn,
        { triggerData },
        () => this.stopped,
        (ms) => this.sleepUntil(Date.now() + ms),
      );
    } catch {
      // Logged by the invoker; a failed run does not stop the schedule.
    } finally {
      this.firing = false;
    }
  }

  private async run(): Promise<void> {
    const status = this.useMonitor ? this.readStatus() : undefined;
    let last = status?.Last ? new Date(status.Last) : undefined;
    let next: Date | undefined;
    const missed = status?.Next ? new Date(status.Next) : undefined;
    if (missed && missed.getTime() < Date.now()) {
      this.host.log.warn(
        `Function "${this.fn.name}": the run scheduled at ${missed.toISOString()} is past due.`,
      );
      const at = new Date();
      next = this.schedule.next(at);
      await this.fire(true, last, next);
      last = at;
    } else if (this.runOnStartup) {
      const at = new Date();
      next = this.schedule.next(at);
      await this.fire(false, last, next);
      last = at;
    } else {
      next = this.schedule.next(new Date());
    }
    while (!this.stopped) {
      if (!next) {
        this.host.log.warn(
          `Function "${this.fn.name}": schedule "${this.schedule.text}" has no next occurrence.`,
        );
        return;
      }
      this.writeStatus({
        Last: last?.toISOString() ?? '',
        Next: next.toISOString(),
        LastUpdated: new Date().toISOString(),
      });
      // At once when `next` is already past: a run outlasted the period.
      await this.sleepUntil(next.getTime());
      if (this.stopped) return;
      // As Azure's TimerListener: the next occurrence counts from this run's start (the scheduled time when the
      // timer fired a little early), so a run longer than the period is followed at once by the occurrence it
      // overran, not by the one after it. Runs never overlap: the next starts after this one ends.
      const at = new Date(Math.max(Date.now(), next.getTime()));
      const following = this.schedule.next(at);
      await this.fire(false, last, following);
      last = at;
      next = following;
      this.writeStatus({
        Last: at.toISOString(),
        Next: following?.toISOString() ?? '',
        LastUpdated: new Date().toISOString(),
      });
    }
  }
}

export class TimerTriggerPlugin implements TriggerPlugin {
  readonly triggerTypes = ['timerTrigger'];
  private runners: TimerRunner[] = [];

  async start(host: HostServices, functions: RegisteredFunction[]): Promise<void> {
    const runners = functions.map((fn) => {
      const where = `Function "${fn.name}" (timerTrigger)`;
      const schedule = parseTimerSchedule(fn.trigger.schedule, host.settings, where);
      const probe = schedule.next(new Date());
      const after = probe && schedule.next(probe);
      const defaultMonitor = !probe || !after || after.getTime() - probe.getTime() >= 60_000;
      const useMonitor = typeof fn.trigger.useMonitor === 'boolean' ? fn.trigger.useMonitor : defaultMonitor;
      return new TimerRunner(host, fn, schedule, useMonitor, fn.trigger.runOnStartup === true);
    });
    for (const r of runners) r.start();
    this.runners = runners;
  }

  async stop(): Promise<void> {
    for (const r of this.runners) r.stop();
  }

  async release(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.release()));
    this.runners = [];
  }
}
