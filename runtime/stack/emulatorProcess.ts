// One emulator child process (Azurite or Cosmos): spawned in its own process group so it outlives a crashed runtime,
// awaited until it prints its JSON ready line, and stopped with SIGTERM then SIGKILL after a deadline.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { serverNodeArgs } from '../serverNodeArgs';

export interface EmulatorProcessSpec {
  /** For messages: 'azurite' or 'cosmos'. */
  name: string;
  /** Compiled child entry, e.g. dist/runtime/stack/cosmosMain.js. */
  script: string;
  args: string[];
  readyTimeoutMs: number;
  log: (line: string) => void;
}

const stderrTailBytes = 4000;

export class EmulatorStartError extends Error {
  constructor(name: string, detail: string, stderrTail: string) {
    super(`${name} emulator did not start: ${detail}${stderrTail ? `; stderr: ${stderrTail.trim()}` : ''}`);
    this.name = 'EmulatorStartError';
  }
}

/**
 * Where a child entry's compiled JS lives. Children always run compiled code: from dist/ this is the sibling file;
 * from the TypeScript sources (ts-jest) it is the same path under dist/.
 */
export function compiledEntry(baseName: string): string {
  const sibling = path.join(__dirname, `${baseName}.js`);
  if (__filename.endsWith('.js')) return sibling;
  const repoRoot = path.resolve(__dirname, '..', '..');
  const compiled = path.join(repoRoot, 'dist', path.relative(repoRoot, __dirname), `${baseName}.js`);
  if (!fs.existsSync(compiled)) {
    throw new Error(
      `${compiled} is missing: run \`npx tsc -p tsconfig.json\` so the emulator children can run`,
    );
  }
  return compiled;
}

export class EmulatorProcess {
  private exitCode: number | null | undefined;
  private signal: NodeJS.Signals | null = null;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly spec: EmulatorProcessSpec,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitCode = code;
        this.signal = signal;
        resolve();
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** False once it exited, or if it never started (no pid: never signal a made-up process group). */
  get alive(): boolean {
    return this.exitCode === undefined && this.child.pid !== undefined;
  }

  /** Spawns the child and resolves with its ready line, or rejects (having killed it) with its stderr tail. */
  static start(
    spec: EmulatorProcessSpec,
  ): Promise<{ process: EmulatorProcess; ready: Record<string, unknown> }> {
    const child = spawn(process.execPath, [...serverNodeArgs, spec.script, ...spec.args], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const emulator = new EmulatorProcess(spec, child);
    let stderrTail = '';
    let stderrLine = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-stderrTailBytes);
      const lines = (stderrLine + chunk).split('\n');
      stderrLine = lines.pop() ?? '';
      for (const line of lines) if (line) spec.log(`[${spec.name}] ${line}`);
    });
    return new Promise((resolve, reject) => {
      let settled = false;
      let stdoutBuffer = '';
      const fail = (detail: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        // Give the stderr pipe a moment to deliver the child's last words before quoting them.
        void emulator
          .kill('SIGKILL')
          .then(() => new Promise((done) => setImmediate(done)))
          .then(() => reject(new EmulatorStartError(spec.name, detail, stderrTail)));
      };
      const timer = setTimeout(
        () => fail(`no ready line within ${spec.readyTimeoutMs} ms`),
        spec.readyTimeoutMs,
      );
      child.once('error', (error) => fail(`spawn failed: ${error.message}`));
      void emulator.exited.then(() => {
        fail(
          `exited with ${emulator.signal ? `signal ${emulator.signal}` : `code ${String(emulator.exitCode)}`} before it was ready`,
        );
      });
      child.stdout?.setEncoding('utf8');
      child.stdout?.on('data', (chunk: string) => {
        if (settled) return;
        stdoutBuffer += chunk;
        const end = stdoutBuffer.indexOf('\n');
        if (end < 0) return;
        let ready: unknown;
        try {
          ready = JSON.parse(stdoutBuffer.slice(0, end));
        } catch {
          fail(`unexpected first line on stdout: ${stdoutBuffer.slice(0, end).slice(0, 200)}`);
          return;
        }
        if (!ready || typeof ready !== 'object' || (ready as Record<string, unknown>).ready !== true) {
          fail(`unexpected ready line: ${stdoutBuffer.slice(0, end).slice(0, 200)}`);
          return;
        }
        settled = true;
        clearTimeout(timer);
        resolve({ process: emulator, ready: ready as Record<string, unknown> });
      });
    });
  }

  /** Signals the whole process group and waits for the exit (no-op when already gone). */
  async kill(signal: NodeJS.Signals): Promise<void> {
    if (!this.alive) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // Already gone between the check and the signal.
    }
    await this.exited;
  }

  /** SIGTERM (the child flushes and exits), then SIGKILL if it is still there after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    if (!this.alive) return;
    try {
      process.kill(-this.pid, 'SIGTERM');
    } catch {
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), graceMs);
    });
    const outcome = await Promise.race([this.exited.then(() => 'exited' as const), deadline]);
    clearTimeout(timer);
    if (outcome === 'late') {
      this.spec.log(`[${this.spec.name}] did not stop within ${graceMs} ms: SIGKILL`);
      await this.kill('SIGKILL');
    }
  }

  /** Resolves when the child exits, for whatever reason. */
  whenExited(): Promise<void> {
    return this.exited;
  }
}
