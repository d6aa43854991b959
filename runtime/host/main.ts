// Process entry of the local Functions host (what `func start` is on Azure's tooling): reads APP_ROOT, PORT, DATA_DIR
// and the app settings from the environment (over local.settings.json), starts the host, prints the functions and a
// machine-readable ready line, and stops gracefully on SIGTERM/SIGINT (exit 0) or after a function timeout (exit 1).
import * as fs from 'fs';
import * as path from 'path';
import { startHost, type RunningHost } from './host';
import { readLocalSettings } from './localSettings';
import type { TriggerPlugin } from './plugin';

/** The Durable Task engine is a plugin of the host when its build is present. */
function loadOptionalPlugins(): TriggerPlugin[] {
  const durable = path.join(__dirname, '..', 'durable', 'plugin.js');
  if (!fs.existsSync(durable)) return [];
  // Optional at build time, so a dynamic require of the compiled file.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(durable) as { createDurablePlugin?: () => TriggerPlugin };
  if (typeof mod.createDurablePlugin !== 'function') {
    throw new Error(`${durable} does not export createDurablePlugin().`);
  }
  return [mod.createDurablePlugin()];
}

function parsePort(value: string | undefined): number {
  if (value === undefined || value === '') return 7071;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`PORT: "${value}" is not a port number (0-65535).`);
  return n;
}

async function main(): Promise<void> {
  const appRoot = path.resolve(process.env.APP_ROOT ?? process.cwd());
  const settings: Record<string, string | undefined> = { ...readLocalSettings(appRoot), ...process.env };
  const port = parsePort(process.env.PORT);
  const dataDir = process.env.DATA_DIR ? path.resolve(process.env.DATA_DIR) : path.join(appRoot, '.data');
  let host: RunningHost;
  try {
    host = await startHost({ appRoot, port, dataDir, settings, plugins: loadOptionalPlugins() });
  } catch (err: unknown) {
    process.stderr.write(`Functions host failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  }
  const lines = [`Functions host listening on ${host.baseUrl}`, '', 'Functions:', ''];
  for (const fn of host.functions) {
    const route = host.httpRoutes.find((r) => r.functionName === fn.name);
    lines.push(
      route ? `\t${fn.name}: [${route.methods.join(',')}] ${route.url}` : `\t${fn.name}: ${fn.trigger.type}`,
    );
  }
  lines.push('', `Host keys: ${host.keysFile} (or settings FUNCTIONS_ADMIN_KEY / FUNCTIONS_HOST_KEY)`);
  process.stdout.write(lines.join('\n') + '\n');
  process.stdout.write(JSON.stringify({ hostReady: true, baseUrl: host.baseUrl, pid: process.pid }) + '\n');

  // However the host stops (a signal below, or itself after a function timeout: exit code 1, so that a supervisor
  // restarts it), the process ends then, which also ends invocations still running past the shutdown deadline.
  void host.stopped.then(({ exitCode }) => process.exit(exitCode));
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write(`Second ${signal}: exiting without waiting.\n`);
      process.exit(1);
    }
    stopping = true;
    process.stdout.write(`${signal} received: stopping the Functions host.\n`);
    host.stop().catch((err: unknown) => {
      process.stderr.write(`Graceful stop failed: ${(err as Error)?.message ?? String(err)}\n`);
      process.exit(1);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

void main();
