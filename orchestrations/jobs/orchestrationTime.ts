// Timer deadlines for the job orchestrators: an instant a number of seconds after the replay-safe current time
// (kept out of the orchestrator files, where the Date global is banned by the determinism lint).
export function secondsAfter(now: Date, seconds: number): Date {
  return new Date(now.getTime() + seconds * 1000);
}
