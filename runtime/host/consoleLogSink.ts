// Prints host, system and user log lines to the console like `func start`: timestamp, level, function and invocation.
import * as fs from 'fs';
import type { LogSink, RpcLogLevel } from './functionsCoreApi';

const levelRank: Record<RpcLogLevel, number> = {
  trace: 0,
  debug: 1,
  information: 2,
  warning: 3,
  error: 4,
  critical: 5,
  none: 6,
};

/**
 * Lines of one turn of the event loop go out in one write per stream (a busy host logs hundreds of lines a second:
 * one write each cost more CPU than the work they describe). Whatever is pending is written at exit.
 */
class LineBuffer {
  private pending: string[] = [];
  private scheduled = false;

  constructor(private readonly fd: 1 | 2) {
    process.once('exit', () => this.flushSync());
  }

  push(line: string): void {
    this.pending.push(line);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private take(): string {
    const text = this.pending.join('');
    this.pending = [];
    this.scheduled = false;
    return text;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    (this.fd === 1 ? process.stdout : process.stderr).write(this.take());
  }

  private flushSync(): void {
    if (this.pending.length === 0) return;
    try {
      fs.writeSync(this.fd, this.take());
    } catch {
      // The reader went away: nothing to tell.
    }
  }
}

/** One buffer per stream and process, however many hosts it starts (tests start several). */
let stdoutLines: LineBuffer | undefined;
let stderrLines: LineBuffer | undefined;

/** `minLevel` comes from the FUNCTIONS_HOST_LOG_LEVEL setting (default information). */
export function createConsoleLogSink(minLevel: RpcLogLevel = 'information'): LogSink {
  stdoutLines ??= new LineBuffer(1);
  stderrLines ??= new LineBuffer(2);
  const stdout = stdoutLines;
  const stderr = stderrLines;
  return (level, category, message, invocation) => {
    if (levelRank[level] < levelRank[minLevel] || level === 'none') return;
    const where = invocation ? ` ${invocation.functionName} (${invocation.invocationId})` : '';
    const line = `[${new Date().toISOString()}] [${level}]${where}${category === 'user' ? '' : ` [${category}]`} ${message}`;
    if (levelRank[level] >= levelRank.error) stderr.push(line + '\n');
    else stdout.push(line + '\n');
  };
}

export function parseLogLevel(value: string | undefined): RpcLogLevel {
  if (!value) return 'information';
  const v = value.toLowerCase();
  const aliases: Record<string, RpcLogLevel> = { info: 'information', warn: 'warning' };
  const level = (aliases[v] ?? v) as RpcLogLevel;
  if (!(level in levelRank)) {
    throw new Error(
      `FUNCTIONS_HOST_LOG_LEVEL: "${value}" is not one of ${Object.keys(levelRank).join(', ')}.`,
    );
  }
  return level;
}
