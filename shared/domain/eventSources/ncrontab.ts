// Six-field NCRONTAB expressions as Azure Functions timer triggers use them:
// `{second} {minute} {hour} {day} {month} {day-of-week}`, with `*`, ranges, lists, steps and month/day names.
// Like NCrontab, a time matches only when BOTH the day of month and the day of week match. Times are UTC.

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  /** The top of `*` and of `n/step` when it is below max (day of week: 7 is another name for Sunday, 0). */
  stepMax?: number;
  /** Full English names, in value order from min; a value is named by its first three letters or its full name. */
  names?: string[];
}

const fields: FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: [
      'JANUARY',
      'FEBRUARY',
      'MARCH',
      'APRIL',
      'MAY',
      'JUNE',
      'JULY',
      'AUGUST',
      'SEPTEMBER',
      'OCTOBER',
      'NOVEMBER',
      'DECEMBER',
    ],
  },
  {
    name: 'day-of-week',
    min: 0,
    max: 7,
    stepMax: 6,
    names: ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'],
  },
];

export interface CronExpression {
  expression: string;
  seconds: ReadonlySet<number>;
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  days: ReadonlySet<number>;
  months: ReadonlySet<number>;
  daysOfWeek: ReadonlySet<number>;
}

function parseValue(text: string, spec: FieldSpec, expression: string): number {
  if (spec.names && /^[A-Za-z]+$/.test(text)) {
    // Exactly the three-letter abbreviation or the full name (MON, Monday), in any case: nothing that merely
    // starts with one (MONKEY, FRIDAYS), which would be a typo silently read as a day.
    const upper = text.toUpperCase();
    const index = spec.names.findIndex((n) => upper === n || upper === n.slice(0, 3));
    if (index < 0) {
      throw new Error(
        `NCRONTAB "${expression}": "${text}" is not a valid ${spec.name} value (use a number or a name such as ` +
          `${spec.names[1].slice(0, 3)} or ${spec.names[1][0]}${spec.names[1].slice(1).toLowerCase()}).`,
      );
    }
    return spec.min + index;
  }
  if (!/^\d+$/.test(text)) {
    throw new Error(`NCRONTAB "${expression}": "${text}" is not a valid ${spec.name} value.`);
  }
  const n = Number(text);
  if (n < spec.min || n > spec.max) {
    throw new Error(`NCRONTAB "${expression}": ${spec.name} ${n} is outside ${spec.min}-${spec.max}.`);
  }
  return n;
}

function parseField(text: string, spec: FieldSpec, expression: string): Set<number> {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    if (item === '') throw new Error(`NCRONTAB "${expression}": empty list item in the ${spec.name} field.`);
    const [rangePart, stepPart, extra] = item.split('/');
    if (extra !== undefined) throw new Error(`NCRONTAB "${expression}": "${item}" has more than one "/".`);
    let step = 1;
    if (stepPart !== undefined) {
      if (!/^\d+$/.test(stepPart) || Number(stepPart) === 0) {
        throw new Error(
          `NCRONTAB "${expression}": step "${stepPart}" in the ${spec.name} field must be a positive integer.`,
        );
      }
      step = Number(stepPart);
    }
    let from: number;
    let to: number;
    if (rangePart === '*' || rangePart === '?') {
      from = spec.min;
      to = spec.stepMax ?? spec.max;
    } else if (rangePart.includes('-')) {
      const [a, b, more] = rangePart.split('-');
      if (more !== undefined) throw new Error(`NCRONTAB "${expression}": invalid range "${rangePart}".`);
      from = parseValue(a, spec, expression);
      to = parseValue(b, spec, expression);
      if (from > to) throw new Error(`NCRONTAB "${expression}": range "${rangePart}" goes backwards.`);
    } else {
      from = parseValue(rangePart, spec, expression);
      // `5/15` means "from 5 to the end, every 15"; NCrontab's days of week end at 6 (`1/2` is 1,3,5, not 1,3,5,0).
      to = stepPart !== undefined ? (spec.stepMax ?? spec.max) : from;
    }
    for (let v = from; v <= to; v += step) values.add(spec.name === 'day-of-week' && v === 7 ? 0 : v);
  }
  return values;
}

/** Parses a six-field NCRONTAB expression; errors name the expression and the faulty field. */
export function parseNcrontab(expression: string): CronExpression {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 6) {
    throw new Error(
      `NCRONTAB "${expression}": expected 6 fields ({second} {minute} {hour} {day} {month} {day-of-week}), got ${parts.length}.`,
    );
  }
  const [seconds, minutes, hours, days, months, daysOfWeek] = parts.map((p, i) =>
    parseField(p, fields[i], expression),
  );
  return { expression, seconds, minutes, hours, days, months, daysOfWeek };
}

/** How far ahead nextOccurrence looks: an expression firing only later counts as not firing. */
export const occurrenceHorizonYears = 10;

/** The first time strictly after `after` that matches (UTC, whole seconds), or undefined within ten years. */
export function nextOccurrence(cron: CronExpression, after: Date): Date | undefined {
  const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
  const limit = after.getTime() + occurrenceHorizonYears * 366 * 24 * 3600 * 1000;
  while (t.getTime() <= limit) {
    if (!cron.months.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!cron.days.has(t.getUTCDate()) || !cron.daysOfWeek.has(t.getUTCDay())) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!cron.hours.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!cron.minutes.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    if (!cron.seconds.has(t.getUTCSeconds())) {
      t.setUTCSeconds(t.getUTCSeconds() + 1, 0);
      continue;
    }
    return t;
  }
  return undefined;
}
