// A timer trigger's schedule: a six-field NCRONTAB expression or a TimeSpan (`hh:mm:ss`, a constant interval),
// possibly named through an app setting (`%Setting%`), as Azure Functions accepts them.
import { nextOccurrence, parseNcrontab } from '../../shared/domain/eventSources/ncrontab';
import { parseTimeSpan } from './timeSpan';

export interface TimerSchedule {
  text: string;
  kind: 'ncrontab' | 'timespan';
  /** Next occurrence strictly after `after` (undefined: never). */
  next(after: Date): Date | undefined;
}

export function parseTimerSchedule(
  raw: unknown,
  settings: Readonly<Record<string, string | undefined>>,
  where: string,
): TimerSchedule {
  if (typeof raw !== 'string' || raw.trim() === '')
    throw new Error(`${where}: "schedule" must be a non-empty string.`);
  let text = raw.trim();
  const setting = /^%([^%]+)%$/.exec(text);
  if (setting) {
    const value = settings[setting[1]];
    if (!value) throw new Error(`${where}: app setting "${setting[1]}" named by the schedule is not set.`);
    text = value.trim();
  }
  if (text.split(/\s+/).length === 1 && text.includes(':')) {
    const interval = parseTimeSpan(text, `${where} schedule`);
    if (interval <= 0) throw new Error(`${where}: a TimeSpan schedule must be positive.`);
    return { text, kind: 'timespan', next: (after) => new Date(after.getTime() + interval) };
  }
  let cron;
  try {
    cron = parseNcrontab(text);
  } catch (err: unknown) {
    throw new Error(`${where}: ${(err as Error).message}`);
  }
  return { text, kind: 'ncrontab', next: (after) => nextOccurrence(cron, after) };
}
