// Parses .NET TimeSpan strings ("d.hh:mm:ss[.fff]" or "hh:mm:ss") as host.json uses them, to milliseconds.

export function parseTimeSpanMs(value: string, field: string): number {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/.exec(value.trim());
  if (!match)
    throw new Error(`${field}: expected a TimeSpan like "1.02:03:04" or "00:00:30", got "${value}"`);
  const [, days, hours, minutes, seconds, fraction] = match;
  const fractionMs = fraction ? Number(`0.${fraction}`) * 1000 : 0;
  return (
    ((Number(days ?? 0) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 +
    Number(seconds) * 1000 +
    fractionMs
  );
}

/** Formats milliseconds as a TimeSpan string "d.hh:mm:ss.fff" (what the library's moment.duration parses). */
export function formatTimeSpan(ms: number): string {
  const totalMs = Math.max(0, Math.round(ms));
  const days = Math.floor(totalMs / 86_400_000);
  const rest = totalMs % 86_400_000;
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const h = Math.floor(rest / 3_600_000);
  const m = Math.floor((rest % 3_600_000) / 60_000);
  const s = Math.floor((rest % 60_000) / 1000);
  const f = rest % 1000;
  return `${days}.${pad(h)}:${pad(m)}:${pad(s)}.${pad(f, 3)}`;
}
