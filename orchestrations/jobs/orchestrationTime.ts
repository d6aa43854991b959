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

/**
 * A fraction in [0, 1) that `key` fixes (FNV-1a): the same on every replay, different from one instance to the next,
 * to spread timers that many instances would otherwise set for the same instant.
 */
export function spreadOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash / 2 ** 32;
}
