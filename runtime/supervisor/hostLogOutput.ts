// Where `npm start` puts the Functions host's lines: all of them in `<DATA_DIR>/logs/host.log` (rotated at 50 MB,
// one old file kept), and on the console all but the routine ones: each invocation's successful "Executing" and
// "Executed" lines, and the telemetry line of each successful request and dependency call (about 1 KB of JSON each;
// the dashboard's polling alone makes a few a second). An idle stack runs a few invocations a second per cluster
// (node heartbeats, monitor passes), which buried warnings and the app's own lines. START_VERBOSE=1 prints
// everything on the console as well.
import type { RotatingLogFile } from '../../shared/logging/rotatingLogFile';

const routine =
  /^\[[^\]]+\] \[information\] .*\[system\] (Executing '[^']+' \(Id=|Executed '[^']+' \(Succeeded, )/;

/** A successful invocation's start or end line of the host's console log sink. */
export function isRoutineInvocationLine(line: string): boolean {
  return routine.test(line);
}

/**
 * A successful request's or dependency call's line of the console telemetry sink (one JSON object a line:
 * `{"time":...,"level":"information","type":"request",...,"success":true,...}`; a dependency's `type` is its own,
 * e.g. "HTTP"). Failed ones are at level "warning" and stay on the console, as do traces, events and exceptions.
 */
export function isRoutineTelemetryLine(line: string): boolean {
  if (!line.startsWith('{"time":') || !line.includes('"success":true')) return false;
  try {
    const item = JSON.parse(line) as Record<string, unknown>;
    // Only requests and dependencies carry `success` and `durationMs`.
    return item.level === 'information' && item.success === true && typeof item.durationMs === 'number';
  } catch {
    return false;
  }
}

/** A line the console leaves out (unless START_VERBOSE=1): see the top of this file. */
export function isRoutineLine(line: string): boolean {
  return isRoutineInvocationLine(line) || isRoutineTelemetryLine(line);
}

/** The host's line handler of `npm start`: the whole log to the file, the console without the routine lines. */
export function hostLineOutput(
  file: RotatingLogFile,
  verbose: boolean,
  consoleWrite: (line: string, stream: 'stdout' | 'stderr') => void,
): (line: string, stream: 'stdout' | 'stderr') => void {
  return (line, stream) => {
    file.write(line);
    if (verbose || stream === 'stderr' || !isRoutineLine(line)) consoleWrite(line, stream);
  };
}
