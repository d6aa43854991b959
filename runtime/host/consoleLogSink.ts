// Prints host, system and user log lines to the console like `func start`: timestamp, level, function and invocation.
import * as fs from 'fs';
import type { LogSink, RpcLogCategory, RpcLogLevel } from './functionsCoreApi';

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

/** The lowest level printed for a log category name (see logLevelResolver). */
export type LogLevelFor = (categoryName: string) => RpcLogLevel;

/**
 * The Functions host's category of a line: `Function.<name>.User` for what a function logs, `Function.<name>` for
 * the host's lines about its invocations ("Executing ..."), `Host.General` for the rest.
 */
export function logCategoryName(
  category: RpcLogCategory,
  invocation: { functionName: string } | undefined,
): string {
  if (!invocation) return 'Host.General';
  return category === 'user'
    ? `Function.${invocation.functionName}.User`
    : `Function.${invocation.functionName}`;
}

/**
 * host.json `logging.logLevel` as the Functions host applies it (Microsoft.Extensions.Logging filter rules): the
 * longest key that prefixes the category name (case-insensitive) gives the level, else `default`, else Information.
 * `override` (app setting FUNCTIONS_HOST_LOG_LEVEL, a local knob) applies to every category when set.
 */
export function logLevelResolver(
  hostJson: Record<string, unknown>,
  override: string | undefined,
): LogLevelFor {
  if (override) {
    const level = parseLogLevel(override);
    return () => level;
  }
  const logging = hostJson.logging;
  const raw =
    logging && typeof logging === 'object' ? (logging as Record<string, unknown>).logLevel : undefined;
  const rules: { prefix: string; level: RpcLogLevel }[] = [];
  let fallback: RpcLogLevel = 'information';
  if (raw !== undefined) {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw))
      throw new Error('host.json logging.logLevel: expected an object of category -> level.');
    for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
      const level = parseLogLevel(String(value), `host.json logging.logLevel.${key}`);
      if (key.toLowerCase() === 'default') fallback = level;
      else rules.push({ prefix: key.toLowerCase(), level });
    }
  }
  rules.sort((a, b) => b.prefix.length - a.prefix.length);
  const cache = new Map<string, RpcLogLevel>();
  return (categoryName) => {
    let level = cache.get(categoryName);
    if (level === undefined) {
      const name = categoryName.toLowerCase();
      level = rules.find((r) => name.startsWith(r.prefix))?.level ?? fallback;
      cache.set(categoryName, level);
    }
    return level;
  };
}

/** `minLevel`: one level for everything, or per category (logLevelResolver). Default information. */
export function createConsoleLogSink(minLevel: RpcLogLevel | LogLevelFor = 'information'): LogSink {
  stdoutLines ??= new LineBuffer(1);
  stderrLines ??= new LineBuffer(2);
  const stdout = stdoutLines;
  const stderr = stderrLines;
  const levelFor: LogLevelFor = typeof minLevel === 'function' ? minLevel : () => minLevel;
  return (level, category, message, invocation) => {
    if (level === 'none' || levelRank[level] < levelRank[levelFor(logCategoryName(category, invocation))])
      return;
    const where = invocation ? ` ${invocation.functionName} (${invocation.invocationId})` : '';
    const line = `[${new Date().toISOString()}] [${level}]${where}${category === 'user' ? '' : ` [${category}]`} ${message}`;
    if (levelRank[level] >= levelRank.error) stderr.push(line + '\n');
    else stdout.push(line + '\n');
  };
}

export function parseLogLevel(value: string | undefined, field = 'FUNCTIONS_HOST_LOG_LEVEL'): RpcLogLevel {
  if (!value) return 'information';
  const v = value.toLowerCase();
  const aliases: Record<string, RpcLogLevel> = { info: 'information', warn: 'warning' };
  const level = (aliases[v] ?? v) as RpcLogLevel;
  if (!(level in levelRank)) {
    throw new Error(`${field}: "${value}" is not one of ${Object.keys(levelRank).join(', ')}.`);
  }
  return level;
}
