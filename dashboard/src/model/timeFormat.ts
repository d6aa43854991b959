// Times as the dashboard prints them: ISO timestamps in the viewer's locale, and durations as "1h 02m 03s".

/** A readable local date-time, '' for a missing value, the input itself when it is not a date. */
export function formatTimestamp(value: unknown, locale?: string): string {
  if (typeof value !== 'string' || value === '') return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return date.toLocaleString(locale, {
    year: 'numeric',
    month: 'short',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

/** Milliseconds as "3s", "4m 05s", "2h 03m 04s", "3d 04h". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  const seconds = Math.floor(ms / 1000);
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const two = (n: number): string => String(n).padStart(2, '0');
  if (d > 0) return `${d}d ${two(h)}h`;
  if (h > 0) return `${h}h ${two(m)}m ${two(s)}s`;
  if (m > 0) return `${m}m ${two(s)}s`;
  return `${s}s`;
}

/** How long a job ran (start to end, or start to now while it runs); '' when it never started. */
export function runDuration(startTime: unknown, endTime: unknown, now: Date): string {
  if (typeof startTime !== 'string') return '';
  const start = Date.parse(startTime);
  if (Number.isNaN(start)) return '';
  const end =
    typeof endTime === 'string' && !Number.isNaN(Date.parse(endTime)) ? Date.parse(endTime) : now.getTime();
  return formatDuration(end - start);
}

/** Bytes as "512 B", "1.5 KiB", "3.2 MiB". */
export function formatBytes(value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = value;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${n} B` : `${n.toFixed(1)} ${units[unit]}`;
}
