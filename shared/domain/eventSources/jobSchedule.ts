// Job schedules: "run this job template on this NCRONTAB schedule" (scheduled batch scoring), with an overlap
// policy. The due-time arithmetic is here, pure, so the timer function only reads, decides and records.
import { ValidationError } from '../errors';
import type { JsonObject } from '../specValidator';
import {
  objectField,
  oneOfField,
  optionalBooleanField,
  optionalStringField,
  resourceNameField,
  stringField,
} from './definitionFields';
import { validateJobTemplate } from './jobTemplate';
import { nextOccurrence, occurrenceHorizonYears, parseNcrontab, type CronExpression } from './ncrontab';

export type OverlapPolicy = 'skip' | 'allow';

export interface JobScheduleProperties {
  /** Six-field NCRONTAB, UTC, at most one occurrence per minute (the evaluating timer ticks every minute). */
  schedule: string;
  experimentName: string;
  jobTemplate: JsonObject;
  /** skip: a due time is skipped while the job of the previous one is still queued or running. */
  overlapPolicy: OverlapPolicy;
  /** Occurrences before this time are never due. Absent: the time the schedule was created. */
  startTime?: string;
  enabled: boolean;
}

export function parseSchedule(path: string, expression: string): CronExpression {
  let cron: CronExpression;
  try {
    cron = parseNcrontab(expression);
  } catch (error: unknown) {
    throw new ValidationError(path, `'${path}': ${(error as Error).message}`);
  }
  if (cron.seconds.size !== 1) {
    throw new ValidationError(
      path,
      `'${path}' must fire at most once a minute: give one value in the seconds field (e.g. '0 */15 * * * *').`,
    );
  }
  // Only the next ten years are searched: a schedule due later (or never, as on February 30) is refused so.
  if (!nextOccurrence(cron, new Date())) {
    throw new ValidationError(path, `'${path}' does not fire within ${occurrenceHorizonYears} years.`);
  }
  return cron;
}

export function validateJobScheduleBody(body: unknown): JobScheduleProperties {
  const root = objectField(body, 'body');
  const properties = objectField(root.properties, 'properties');
  const schedule = stringField(properties, 'schedule', 'properties', 256).trim();
  parseSchedule('properties.schedule', schedule);
  const result: JobScheduleProperties = {
    schedule,
    experimentName: resourceNameField(properties, 'experimentName', 'properties'),
    jobTemplate: validateJobTemplate('properties.jobTemplate', properties.jobTemplate),
    overlapPolicy: oneOfField(properties, 'overlapPolicy', 'properties', ['skip', 'allow'] as const, 'skip'),
    enabled: optionalBooleanField(properties, 'enabled', 'properties', true),
  };
  const start = optionalStringField(properties, 'startTime', 'properties', 64);
  if (start !== undefined) result.startTime = isoDateTime('properties.startTime', start).toISOString();
  return result;
}

const isoDateTimePattern =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):(\d{2}))$/i;

/**
 * An ISO 8601 date-time with its zone (`Z` or an offset such as `+02:00`), e.g. `2026-01-01T02:00:00Z`. Nothing
 * else: `new Date` also takes `1`, `Jan 5`, and a time without a zone in the host's own time zone.
 */
export function isoDateTime(path: string, text: string): Date {
  const invalid = (): ValidationError =>
    new ValidationError(
      path,
      `'${path}' must be an ISO 8601 date-time with a time zone, 'Z' or an offset (e.g. '2026-01-01T02:00:00Z' ` +
        `or '2026-01-01T03:00:00+01:00'), not '${text}'.`,
    );
  const match = isoDateTimePattern.exec(text);
  if (!match) throw invalid();
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0));
  const millis = Number((match[7] ?? '').padEnd(3, '0').slice(0, 3));
  const offsetMinutes = match[8]
    ? 0
    : (match[9] === '-' ? -1 : 1) * (Number(match[10]) * 60 + Number(match[11]));
  const local = new Date(0);
  local.setUTCFullYear(year, month - 1, day); // not Date.UTC, which reads years 0-99 as 1900-1999
  if (
    local.getUTCMonth() !== month - 1 || // also a day past the month's end (02-30), which would roll over
    local.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59 ||
    Number(match[10] ?? 0) > 23 ||
    Number(match[11] ?? 0) > 59
  )
    throw invalid();
  local.setUTCHours(hour, minute, second, millis);
  return new Date(local.getTime() - offsetMinutes * 60_000);
}

/**
 * The exclusive lower bound that startTime puts on due times (an occurrence at startTime itself is due), or
 * undefined without a startTime.
 */
export function evaluationFloor(properties: Pick<JobScheduleProperties, 'startTime'>): Date | undefined {
  return properties.startTime === undefined
    ? undefined
    : new Date(new Date(properties.startTime).getTime() - 1);
}

/**
 * Where the evaluation of a schedule stands (exclusive): the later of the due times handled (its status) and the
 * floor of its current startTime, or of its creation time without one. The floor is never stored in the status,
 * so a startTime moved earlier or removed takes effect, without running again what was handled.
 */
export function scheduleCursor(schedule: {
  properties: Pick<JobScheduleProperties, 'startTime'>;
  status: { evaluatedUntil?: string };
  createdTime: string;
}): Date {
  const floor = evaluationFloor(schedule.properties) ?? new Date(schedule.createdTime);
  const handled = schedule.status.evaluatedUntil;
  return handled === undefined || new Date(handled).getTime() < floor.getTime() ? floor : new Date(handled);
}

/** How far back a schedule catches up after an outage: older due times are dropped, not run. */
export const maxCatchUpMs = 7 * 24 * 3600 * 1000;

export interface DueRun {
  /** The latest occurrence in (cursor, now]: the one run that is due. */
  dueTime: Date;
  /** Earlier occurrences in the same interval, collapsed into this run (like a past-due timer runs once). */
  missed: number;
}

/** The run due at `now` for a schedule evaluated up to `cursor` (exclusive), or undefined when none is. */
export function dueRun(cron: CronExpression, cursor: Date, now: Date): DueRun | undefined {
  let from = cursor;
  if (now.getTime() - from.getTime() > maxCatchUpMs) from = new Date(now.getTime() - maxCatchUpMs);
  let due: Date | undefined;
  let count = 0;
  for (let t = nextOccurrence(cron, from); t && t.getTime() <= now.getTime(); t = nextOccurrence(cron, t)) {
    due = t;
    count += 1;
  }
  return due ? { dueTime: due, missed: count - 1 } : undefined;
}

/** The next occurrence after `after` (for the status shown by GET). */
export function nextRunTime(schedule: string, after: Date): string | undefined {
  return nextOccurrence(parseNcrontab(schedule), after)?.toISOString();
}
