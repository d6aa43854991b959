// Parses .NET TimeSpan strings as host.json and timer schedules use them: `hh:mm:ss`, `d.hh:mm:ss`, `hh:mm:ss.fff`.

/** Milliseconds of a TimeSpan string; throws naming `field` when malformed. */
export function parseTimeSpan(value: string, field: string): number {
  const m = /^\s*(-)?(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?\s*$/.exec(value);
  if (!m) throw new Error(`${field}: "${value}" is not a TimeSpan ([d.]hh:mm[:ss[.fff]]).`);
  const [, neg, d, h, min, s, frac] = m;
  const hours = Number(h);
  const minutes = Number(min);
  const seconds = s ? Number(s) : 0;
  if (hours > 23 || minutes > 59 || seconds > 59) {
    throw new Error(`${field}: "${value}" has an hour, minute or second out of range.`);
  }
  const ms =
    ((Number(d ?? 0) * 24 + hours) * 60 + minutes) * 60_000 +
    seconds * 1000 +
    (frac ? Math.round(Number(`0.${frac}`) * 1000) : 0);
  return neg ? -ms : ms;
}

/** Accepts a TimeSpan string or a number of milliseconds (for programmatic options). */
export function durationMs(value: unknown, field: string, fallbackMs: number): number {
  if (value === undefined || value === null) return fallbackMs;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  if (typeof value === 'string') return parseTimeSpan(value, field);
  throw new Error(`${field}: expected a TimeSpan string like "00:00:30".`);
}
