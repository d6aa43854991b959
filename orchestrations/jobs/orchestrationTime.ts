// Time arithmetic for the job orchestrators on replay-safe instants (kept out of the orchestrator files, where the
// Date global is banned by the determinism lint; these functions never read the clock).
export function secondsAfter(now: Date, seconds: number): Date {
  return new Date(now.getTime() + seconds * 1000);
}

/** The instant an ISO time names (times carried in orchestration inputs are ISO strings). */
export function instantOf(iso: string): Date {
  return new Date(iso);
}

export function earlierOf(a: Date, b: Date): Date {
  return a.getTime() <= b.getTime() ? a : b;
}

/** Whether an ISO time names an instant before `instant` (false when it names none). */
export function isoBefore(iso: string | undefined, instant: Date): boolean {
  const time = iso === undefined ? NaN : Date.parse(iso);
  return !Number.isNaN(time) && time < instant.getTime();
}

export function notBefore(now: Date, instant: Date): boolean {
  return now.getTime() >= instant.getTime();
}
