// Runs the local Functions host (`dist/runtime/host/main.js`) as a child process and waits for its ready line.
// Used by `npm start` (which restarts a crashed host) and by integration tests (which kill and restart it).
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { defaultShutdownTimeoutMs, supervisorGraceMs } from '../host/shutdownTimeout';
import { serverNodeArgs } from '../serverNodeArgs';

export interface HostProcessOptions {
  /** Folder holding the app's package.json and host.json. */
  appRoot: string;
  port: number;
  dataDir: string;
  /** Environment of the host: app settings plus whatever the caller passes through. */
  env: Record<string, string | undefined>;
  /** Called with every line the host prints (stdout and stderr). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** How long to wait for the ready line. */
  readyTimeoutMs?: number;
}

export interface HostReady {
  baseUrl: string;
  pid: number;
}

/** The host ended, or never said it was ready, before its ready line; `tail` is its last lines of output. */
export class HostNotReadyError extends Error {
  constructor(
    message: string,
    readonly tail: string,
    /** How it ended; undefined when it still ran at the deadline. */
    readonly exit?: { code: number | null; signal: NodeJS.Signals | null },
  ) {
    super(message);
    this.name = 'HostNotReadyError';
  }
}

/** The compiled host entry, whether this module runs from dist/ or from sources under ts-jest. */
const hostMain = ((): string => {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, 'dist', 'runtime', 'host', 'main.js');
})();

/** One run of the host process. `exited` resolves when it ends, however it ends. */
export class HostProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly tail: string[] = [];

  constructor(private readonly options: HostProcessOptions) {
    this.child = spawn(process.execPath, [...serverNodeArgs, hostMain], {
      cwd: options.appRoot,
      env: {
        ...options.env,
        APP_ROOT: options.appRoot,
        PORT: String(options.port),
        DATA_DIR: options.dataDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Resolves with the host's base URL once it prints `{"hostReady":true,...}`; rejects if it exits first. */
  ready(): Promise<HostReady> {
    const timeoutMs = this.options.readyTimeoutMs ?? 60_000;
    return new Promise<HostReady>((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void): void => {
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          fn();
        }
      };
      const timer = setTimeout(
        () =>
          settle(() =>
            reject(
              new HostNotReadyError(
                `host did not become ready within ${timeoutMs} ms:\n${this.tailText()}`,
                this.tailText(),
              ),
            ),
          ),
        timeoutMs,
      );
      const onLine = (line: string, stream: 'stdout' | 'stderr'): void => {
        this.tail.push(line);
        if (this.tail.length > 40) this.tail.shift();
        this.options.onLine?.(line, stream);
        if (stream === 'stdout' && line.startsWith('{') && line.includes('"hostReady"')) {
          try {
            const parsed = JSON.parse(line) as { hostReady?: boolean; baseUrl?: string };
            if (parsed.hostReady && typeof parsed.baseUrl === 'string') {
              const baseUrl = parsed.baseUrl;
              settle(() => resolve({ baseUrl, pid: this.pid }));
            }
          } catch {
            // not the ready line after all: an app log line that happens to start with '{'
          }
        }
      };
      splitLines(this.child.stdout, (l) => onLine(l, 'stdout'));
      splitLines(this.child.stderr, (l) => onLine(l, 'stderr'));
      void this.exited.then(({ code, signal }) =>
        settle(() =>
          reject(
            new HostNotReadyError(
              `host exited (code ${code}, signal ${signal}) before it was ready:\n${this.tailText()}`,
              this.tailText(),
              { code, signal },
            ),
          ),
        ),
      );
    });
  }

  /**
   * Graceful stop: SIGTERM, then SIGKILL after the grace period. The default grace is longer than the host's
   * drain deadline (FUNCTIONS_HOST_SHUTDOWN_TIMEOUT_MS in its environment, default 30 s), so the host can give back
   * unfinished work and run appTerminate hooks before it exits.
   */
  async stop(graceMs = this.defaultGraceMs()): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** The grace `stop()` gives by default (see supervisorGraceMs). */
  defaultGraceMs(): number {
    try {
      return supervisorGraceMs(this.options.env);
    } catch {
      // An invalid setting: the host refuses to start with it, so this grace hardly matters.
      return supervisorGraceMs({}) + defaultShutdownTimeoutMs;
    }
  }

  private tailText(): string {
    return this.tail.join('\n');
  }
}

function splitLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let buffer = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      onLine(buffer.slice(0, newline).replace(/\r$/, ''));
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf('\n');
    }
  });
  stream.on('end', () => {
    if (buffer) onLine(buffer);
    buffer = '';
  });
}
