// Integration-test environment: a local stack (Azurite + Cosmos emulator) in a temp dir plus the local Functions host
// as a child process (`node dist/runtime/host/main.js`) serving a fixture app or the repo's own app on a free port.
// Run `npx tsc -p tsconfig.json` first: the host and the app run from dist/. Always call stop() (in afterAll).
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startLocalStack, type LocalStack } from '../../runtime/stack/localStack';
import { webhookPath } from '../../runtime/durable/managementApi';
import { HostProcess } from '../../runtime/supervisor/hostProcess';
import { stopAllLocalNodes } from '../../shared/adapters/compute/localNodeRegistry';

/** The repository root, whether this file runs from test/support (ts-jest) or dist/test/support (compiled). */
export const repoRoot = ((): string => {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'tsconfig.json')) && path.dirname(dir) !== dir)
    dir = path.dirname(dir);
  return dir;
})();
const hostMain = path.join(repoRoot, 'dist', 'runtime', 'host', 'main.js');

export interface TestEnvironmentOptions {
  /** Folder with package.json (`main`) and host.json; default the repo root (the real app). */
  appRoot?: string;
  /** Extra app settings for the host (over the stack's settings and the generated keys). */
  settings?: Record<string, string>;
  /** Deadline for the host's ready line. Default 60 s. */
  readyTimeoutMs?: number;
  /** Echo the host's output to this process's stdout (debugging). */
  echo?: boolean;
}

export interface TestEnvironment {
  /** e.g. http://127.0.0.1:PORT */
  baseUrl: string;
  /** Settings the host runs with (AzureWebJobsStorage, COSMOS_*, keys, and the test's own). */
  settings: Record<string, string>;
  stack: LocalStack;
  /** The temp dir holding the stack's data (`stack/`) and the host's data (`host/`). */
  tempDir: string;
  hostDataDir: string;
  masterKey: string;
  functionKey: string;
  /** Everything the current host process printed so far (stdout and stderr). */
  hostOutput(): string;
  /** Runs a non-HTTP function now (the admin endpoint, with the master key): 202 when it was started. */
  invokeFunction(name: string): Promise<Response>;
  /** A request to the durable HTTP API's `instances/<route>` (master key). */
  durableInstances(method: string, route: string): Promise<Response>;
  /**
   * A request to the durable HTTP API (`/runtime/webhooks/durabletask/<route>`, route may carry a query) presenting
   * the master key in `x-functions-key`, as the API asks for the durabletask_extension system key or the master key.
   */
  durableApi(route: string, init?: RequestInit): Promise<Response>;
  /** Sends `signal` to the host and waits for it to exit; returns the exit code (null when killed by a signal). */
  killHost(signal?: NodeJS.Signals): Promise<number | null>;
  /**
   * Starts the host again (same port is not guaranteed: read baseUrl again); `changes` are app settings that hold
   * from this start on, as a redeployment with new settings.
   */
  restartHost(changes?: Record<string, string>): Promise<void>;
  /** Stops the host and the stack and removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

interface HostChild {
  process: HostProcess;
  output: string[];
}

async function startHostChild(
  appRoot: string,
  dataDir: string,
  settings: Record<string, string>,
  echo: boolean,
  readyTimeoutMs: number,
): Promise<{ host: HostChild; baseUrl: string }> {
  if (!fs.existsSync(hostMain))
    throw new Error(`${hostMain} is missing: run \`npx tsc -p tsconfig.json\` first.`);
  const output: string[] = [];
  const child = new HostProcess({
    appRoot,
    port: 0,
    dataDir,
    env: { ...process.env, ...settings },
    readyTimeoutMs,
    onLine: (line) => {
      output.push(`${line}\n`);
      if (echo) process.stdout.write(`${line}\n`);
    },
  });
  const host = { process: child, output };
  try {
    return { host, baseUrl: (await child.ready()).baseUrl };
  } catch (err) {
    child.child.kill('SIGKILL');
    await child.exited;
    throw err;
  }
}

function running(host: HostChild): boolean {
  return host.process.child.exitCode === null && host.process.child.signalCode === null;
}

export async function startTestEnvironment(options: TestEnvironmentOptions = {}): Promise<TestEnvironment> {
  const appRoot = path.resolve(options.appRoot ?? repoRoot);
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'batchai-hosttest-'));
  const hostDataDir = path.join(tempDir, 'host');
  const masterKey = randomBytes(24).toString('base64url');
  const functionKey = randomBytes(24).toString('base64url');
  let stack: LocalStack | undefined;
  let host: HostChild | undefined;
  const cleanup = async (): Promise<void> => {
    if (host && running(host)) {
      // A profiled host (LOCAL_CPU_PROF_DIR) must exit by itself to write its profile.
      if (process.env.LOCAL_CPU_PROF_DIR) await host.process.stop(10_000);
      host.process.child.kill('SIGKILL');
      await host.process.exited;
    }
    await stopAllLocalNodes(hostDataDir);
    if (stack) await stack.stop();
    fs.rmSync(tempDir, { recursive: true, force: true });
  };
  try {
    stack = await startLocalStack({ dataDir: path.join(tempDir, 'stack') });
    const settings: Record<string, string> = {
      ...stack.appSettings(),
      FUNCTIONS_ADMIN_KEY: masterKey,
      FUNCTIONS_HOST_KEY: functionKey,
      // A stop (restartHost, stop) waits at most this long for in-flight invocations (30 s by default), as the
      // supervisor's SIGKILL after 15 s bounded it before the host had its own deadline.
      FUNCTIONS_HOST_SHUTDOWN_TIMEOUT_MS: '10000',
      ...options.settings,
    };
    const echo = options.echo === true;
    const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
    const first = await startHostChild(appRoot, hostDataDir, settings, echo, readyTimeoutMs);
    host = first.host;
    let baseUrl = first.baseUrl;
    let stopped = false;
    const env: TestEnvironment = {
      get baseUrl() {
        return baseUrl;
      },
      settings,
      stack,
      tempDir,
      hostDataDir,
      masterKey,
      functionKey,
      hostOutput: () => host?.output.join('') ?? '',
      invokeFunction: (name) =>
        fetch(`${baseUrl}/admin/functions/${name}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-functions-key': masterKey },
          body: JSON.stringify({ input: null }),
        }),
      durableInstances: (method, route) => {
        const url = new URL(`${baseUrl}${webhookPath}/instances/${route}`);
        url.searchParams.set('code', masterKey);
        return fetch(url, { method });
      },
      durableApi: (route, init = {}) =>
        fetch(`${baseUrl}${webhookPath}/${route.replace(/^\//, '')}`, {
          ...init,
          headers: { ...(init.headers as Record<string, string> | undefined), 'x-functions-key': masterKey },
        }),
      async killHost(signal: NodeJS.Signals = 'SIGTERM') {
        if (!host) return null;
        if (!running(host)) return host.process.child.exitCode;
        host.process.child.kill(signal);
        return (await host.process.exited).code;
      },
      async restartHost(changes?: Record<string, string>) {
        if (host && running(host)) await host.process.stop();
        Object.assign(settings, changes);
        const next = await startHostChild(appRoot, hostDataDir, settings, echo, readyTimeoutMs);
        host = next.host;
        baseUrl = next.baseUrl;
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        await cleanup();
      },
    };
    return env;
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs` naming `what`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err: unknown) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `Timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`,
  );
}
