// The local Functions host: loads the unchanged app through the injected `@azure/functions-core`, serves its functions
// with trigger plugins (HTTP, queue, timer, Event Grid built in; Durable Task and others passed in), and stops
// gracefully. Programmatic API: startHost(); the process entry is main.ts.
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { loadEntryPoints, toRegisteredFunctions } from './appLoader';
import { BlobOutputBinding } from './bindings/blobOutputBinding';
import { QueueOutputBinding } from './bindings/queueOutputBinding';
import { createConsoleLogSink, logLevelResolver, type LogLevelFor } from './consoleLogSink';
import { installFunctionsCoreModule } from './coreModuleInjection';
import { FunctionInvoker } from './functionInvoker';
import { HostKeyStore } from './hostKeys';
import { readHostJson, type HostJsonOptions } from './hostJson';
import type {
  HostLogger,
  HostServices,
  InvocationInput,
  InvocationResult,
  RegisteredFunction,
  SystemRouteHandler,
  TriggerPlugin,
} from './plugin';
import { AdminApi } from './adminApi';
import { EventGridTriggerPlugin } from './plugins/eventGridTriggerPlugin';
import { HttpTriggerPlugin } from './plugins/httpTriggerPlugin';
import { QueueTriggerPlugin } from './plugins/queueTriggerPlugin';
import { TimerTriggerPlugin } from './plugins/timerTriggerPlugin';
import { releaseTimeoutMs, shutdownTimeoutMs } from './shutdownTimeout';

export interface HostOptions {
  /** Folder with the app's package.json (`main` = entry file or glob) and host.json. */
  appRoot: string;
  /** HTTP port; 0 picks a free one. Default 7071. */
  port?: number;
  /** Listen address. Default 127.0.0.1. */
  listenHost?: string;
  /** Durable local state (keys, timer status, plugin data). Default `<appRoot>/.data`. */
  dataDir?: string;
  /** App settings as the app sees them (also copied to process.env for the app's own reads). Default process.env. */
  settings?: Record<string, string | undefined>;
  /** Extra trigger plugins (e.g. the Durable Task engine). */
  plugins?: TriggerPlugin[];
  /**
   * Deadline for in-flight invocations at stop; after it the host logs those still running, gives their work back
   * (plugins' release) and stops without them. Default: app setting FUNCTIONS_HOST_SHUTDOWN_TIMEOUT_MS, else 30 s.
   */
  shutdownTimeoutMs?: number;
}

export interface RunningHost {
  baseUrl: string;
  port: number;
  functions: RegisteredFunction[];
  /** Route of each HTTP function (`/api/...`), for display. */
  httpRoutes: { functionName: string; methods: string[]; url: string }[];
  services: HostServices;
  keysFile: string;
  invoke(functionName: string, input: InvocationInput): Promise<InvocationResult>;
  /** Graceful stop (idempotent: every call returns the same promise). */
  stop(): Promise<void>;
  /**
   * Resolves once the host has stopped, whoever stopped it: exitCode 1 when the host shut itself down (a function
   * timeout, as the Functions host does), 0 after stop(). The process entry exits with it.
   */
  stopped: Promise<{ exitCode: number; reason: string }>;
}

function createHostLogger(sinkLevel: LogLevelFor): HostLogger {
  const sink = createConsoleLogSink(sinkLevel);
  return {
    info: (m) => sink('information', 'system', m),
    warn: (m) => sink('warning', 'system', m),
    error: (m) => sink('error', 'system', m),
  };
}

/**
 * Longest prefix wins; a prefix matches itself and anything below it, case-insensitively as on Azure (ASP.NET Core
 * routing): `/API/items` reaches the `api` route prefix.
 */
function findSystemRoute(
  routes: { prefix: string; handler: SystemRouteHandler }[],
  pathname: string,
): SystemRouteHandler | undefined {
  const path = pathname.toLowerCase();
  for (const r of routes) {
    const prefix = r.prefix.toLowerCase();
    if (prefix === '/' || path === prefix || path.startsWith(prefix + '/')) return r.handler;
  }
  return undefined;
}

export async function startHost(options: HostOptions): Promise<RunningHost> {
  const appRoot = path.resolve(options.appRoot);
  const settings: Record<string, string | undefined> = { ...(options.settings ?? process.env) };
  const dataDir = path.resolve(options.dataDir ?? path.join(appRoot, '.data'));
  fs.mkdirSync(dataDir, { recursive: true });
  const hostJson: HostJsonOptions = readHostJson(appRoot, settings);
  const logLevel = logLevelResolver(hostJson.raw, settings.FUNCTIONS_HOST_LOG_LEVEL);
  const log = createHostLogger(logLevel);

  // The app reads its configuration from process.env, as on Azure where app settings are environment variables.
  for (const [k, v] of Object.entries(settings))
    if (v !== undefined && process.env[k] === undefined) process.env[k] = v;

  const core = installFunctionsCoreModule(createConsoleLogSink(logLevel));
  core.resetApp();
  const cachedBefore = new Set(Object.keys(require.cache));
  loadEntryPoints(appRoot, core);
  const appModules = Object.keys(require.cache).filter(
    (k) => !cachedBefore.has(k) && !k.split(path.sep).includes('node_modules'),
  );
  const functions = toRegisteredFunctions(core);
  core.lockIndexing();

  const builtIns: TriggerPlugin[] = [
    new HttpTriggerPlugin(),
    new QueueTriggerPlugin(),
    new TimerTriggerPlugin(),
    new EventGridTriggerPlugin(),
  ];
  const plugins = [...builtIns, ...(options.plugins ?? [])];
  const pluginByTrigger = new Map<string, TriggerPlugin>();
  for (const p of plugins) for (const t of p.triggerTypes) pluginByTrigger.set(t.toLowerCase(), p);
  const unserved = [...functions.values()].filter((f) => !pluginByTrigger.has(f.trigger.type.toLowerCase()));
  if (unserved.length > 0) {
    throw new Error(
      `The local host cannot serve these functions (no plugin for their trigger type): ${unserved
        .map((f) => `"${f.name}" (${f.trigger.type})`)
        .join(', ')}. Served trigger types: ${[...pluginByTrigger.keys()].sort().join(', ')}.`,
    );
  }

  // The worker runs appStart hooks right after loading the entry point.
  await core.executeHooks('appStart', {
    get hookData() {
      return core.appLevelOnlyHookData;
    },
    get appHookData() {
      return core.appHookData;
    },
    functionAppDirectory: appRoot,
  });
  const pm = core.programmingModel;
  const capabilities: Record<string, string> = pm?.getCapabilities
    ? { ...(await pm.getCapabilities({})) }
    : {};

  const drainTimeoutMs = options.shutdownTimeoutMs ?? shutdownTimeoutMs(settings);
  // Set below; a function timeout can only happen once the plugins run.
  const lifecycle: { onFunctionTimeout?: () => void } = {};
  const invoker = new FunctionInvoker(core, functions, hostJson.functionTimeoutMs, () =>
    lifecycle.onFunctionTimeout?.(),
  );
  invoker.outputHandlers.set('queue', new QueueOutputBinding(settings, hostJson.queues.messageEncoding));
  invoker.outputHandlers.set('blob', new BlobOutputBinding(settings));
  const keys = new HostKeyStore(dataDir, settings);

  const systemRoutes: { prefix: string; handler: SystemRouteHandler }[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const handler = findSystemRoute(systemRoutes, url.pathname);
    if (!handler) {
      res.writeHead(404).end();
      return;
    }
    Promise.resolve()
      .then(() => handler(req, res, url))
      .catch((err: unknown) => {
        log.error(
          `Unhandled error on ${req.method} ${url.pathname}: ${(err as Error)?.stack ?? String(err)}`,
        );
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
  });
  const listenHost = options.listenHost ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 7071, listenHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const baseUrl = `http://${listenHost.includes(':') ? `[${listenHost}]` : listenHost}:${port}`;
  // Azure sets WEBSITE_HOSTNAME to the site's host name; libraries (durable-functions' client) build URLs from it.
  process.env.WEBSITE_HOSTNAME ??= new URL(baseUrl).host;

  const services: HostServices = {
    hostJson: hostJson.raw,
    settings,
    appRoot,
    dataDir,
    baseUrl,
    functions,
    invoke: (name, input) => invoker.invoke(name, input),
    addSystemRoute(pathPrefix, handler) {
      const prefix = '/' + pathPrefix.replace(/^\/+|\/+$/g, '');
      if (systemRoutes.some((r) => r.prefix === prefix))
        throw new Error(`System route "${prefix}" is already mounted.`);
      systemRoutes.push({ prefix, handler });
      systemRoutes.sort((a, b) => b.prefix.length - a.prefix.length);
    },
    registerInputBinding(provider) {
      invoker.inputProviders.set(provider.bindingType.toLowerCase(), provider);
    },
    registerOutputBinding(handler) {
      invoker.outputHandlers.set(handler.bindingType.toLowerCase(), handler);
    },
    log,
    keys,
    capabilities,
  };
  new AdminApi(services).mount();

  const started: TriggerPlugin[] = [];
  let stopping: Promise<void> | undefined;
  let stopResult = { exitCode: 0, reason: 'stopped' };
  let resolveStopped: (r: { exitCode: number; reason: string }) => void = () => undefined;
  const stopped = new Promise<{ exitCode: number; reason: string }>((r) => (resolveStopped = r));
  /** Awaits `work` until `deadline` (epoch ms); false when it was still pending then. Errors are logged. */
  const within = async (work: () => Promise<void>, deadline: number, what: string): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        work().then(() => true),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(false), Math.max(0, deadline - Date.now())))),
      ]);
    } catch (err: unknown) {
      log.error(`${what} failed: ${(err as Error)?.message ?? String(err)}`);
      return true;
    } finally {
      clearTimeout(timer);
    }
  };
  const doStop = async (): Promise<void> => {
    // One deadline for everything in flight, whatever its trigger: plugins only stop taking work.
    const deadline = Date.now() + drainTimeoutMs;
    for (const p of [...started].reverse()) {
      if (!(await within(() => p.stop(), deadline, 'Stopping a plugin'))) {
        log.warn(`Plugin for ${p.triggerTypes.join(', ')} did not stop by the shutdown deadline.`);
      }
    }
    const left = await invoker.drain(Math.max(0, deadline - Date.now()));
    if (left > 0) {
      const now = Date.now();
      for (const r of invoker.running()) {
        log.warn(
          `Invocation 'Functions.${r.functionName}' (Id=${r.invocationId}) is still running after ${
            now - r.startedAt
          } ms at the shutdown deadline (${drainTimeoutMs} ms): the host stops without it.`,
        );
      }
    }
    // Finish what ended, give back what still runs (e.g. queue messages become visible at once).
    const releaseDeadline = Date.now() + releaseTimeoutMs;
    for (const p of started) {
      const release = p.release?.bind(p);
      if (!release) continue;
      if (!(await within(() => release(releaseDeadline), releaseDeadline, 'Releasing work of a plugin'))) {
        log.warn(
          `Plugin for ${p.triggerTypes.join(', ')} did not release its work in ${releaseTimeoutMs} ms.`,
        );
      }
    }
    try {
      await core.executeHooks('appTerminate', {
        get hookData() {
          return core.appLevelOnlyHookData;
        },
        get appHookData() {
          return core.appHookData;
        },
      });
    } catch (err: unknown) {
      log.error(`An appTerminate hook failed: ${(err as Error)?.message ?? String(err)}`);
    }
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    // A later startHost in this process loads the app afresh.
    for (const k of appModules) delete require.cache[k];
  };
  const stop = (): Promise<void> => {
    stopping ??= doStop().finally(() => resolveStopped(stopResult));
    return stopping;
  };
  lifecycle.onFunctionTimeout = () => {
    if (stopping) return;
    // As the Functions host: the timed-out code cannot be stopped, so the host restarts (its supervisor starts it
    // again after the non-zero exit), which ends that code.
    log.error('A function timeout has occurred. Host is shutting down.');
    stopResult = { exitCode: 1, reason: 'functionTimeout' };
    void stop();
  };

  try {
    for (const p of plugins) {
      const mine = [...functions.values()].filter((f) =>
        p.triggerTypes.some((t) => t.toLowerCase() === f.trigger.type.toLowerCase()),
      );
      started.push(p);
      await p.start(services, mine);
    }
    const problems = invoker.unservedBindings();
    if (problems.length > 0) {
      throw new Error(`The local host cannot serve these bindings: ${problems.join('; ')}.`);
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const httpPlugin = builtIns[0] as HttpTriggerPlugin;
  return {
    baseUrl,
    port,
    functions: [...functions.values()],
    httpRoutes: httpPlugin.describeRoutes(baseUrl),
    services,
    keysFile: keys.filePath,
    invoke: (name, input) => invoker.invoke(name, input),
    stop,
    stopped,
  };
}
