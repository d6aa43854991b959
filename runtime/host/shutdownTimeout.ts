// The graceful-shutdown deadline of the local host and the grace a supervisor gives it: at SIGTERM the host stops
// taking work, waits for in-flight invocations up to the deadline (app setting FUNCTIONS_HOST_SHUTDOWN_TIMEOUT_MS,
// default 30 s), then gives back the work of those still running, runs appTerminate hooks and exits. A supervisor
// must wait longer than that before SIGKILL, or the hooks never run and work stays locked.

export const shutdownTimeoutSetting = 'FUNCTIONS_HOST_SHUTDOWN_TIMEOUT_MS';
export const defaultShutdownTimeoutMs = 30_000;
/** Upper bound of the plugins' release step after the deadline (queue messages made visible again). */
export const releaseTimeoutMs = 5_000;
/** What a supervisor adds to the drain deadline: release, appTerminate hooks, closing the listener, exit. */
export const supervisorMarginMs = 15_000;

/** The host's drain deadline from the app settings (milliseconds, a non-negative integer). */
export function shutdownTimeoutMs(settings: Readonly<Record<string, string | undefined>>): number {
  const value = settings[shutdownTimeoutSetting];
  if (value === undefined || value === '') return defaultShutdownTimeoutMs;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(`${shutdownTimeoutSetting}: "${value}" is not a number of milliseconds (integer >= 0).`);
  }
  return n;
}

/** How long a supervisor waits after SIGTERM before SIGKILL: always longer than the host's drain deadline. */
export function supervisorGraceMs(settings: Readonly<Record<string, string | undefined>>): number {
  return shutdownTimeoutMs(settings) + releaseTimeoutMs + supervisorMarginMs;
}
