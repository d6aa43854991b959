// Prints host, system and user log lines to the console like `func start`: timestamp, level, function and invocation.
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

/** `minLevel` comes from the FUNCTIONS_HOST_LOG_LEVEL setting (default information). */
export function createConsoleLogSink(minLevel: RpcLogLevel = 'information'): LogSink {
  return (level, category, message, invocation) => {
    if (levelRank[level] < levelRank[minLevel] || level === 'none') return;
    const where = invocation ? ` ${invocation.functionName} (${invocation.invocationId})` : '';
    const line = `[${new Date().toISOString()}] [${level}]${where}${category === 'user' ? '' : ` [${category}]`} ${message}`;
    if (levelRank[level] >= levelRank.error) process.stderr.write(line + '\n');
    else process.stdout.write(line + '\n');
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
