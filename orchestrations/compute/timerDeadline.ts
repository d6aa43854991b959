// Timer deadlines for orchestrators: a Date a number of milliseconds after the replay-safe current time
// (kept out of the orchestrator file, where the Date global is banned by the determinism lint).
export function millisecondsAfter(now: Date, ms: number): Date {
  return new Date(now.getTime() + ms);
}
