// Launches the local storage stack as child processes: Azurite (Blob, Queue, Table) on disk and the Cosmos DB
// emulator made durable by a write-ahead journal; provisions what the app needs; restarts or stops either of them.
import * as fs from 'fs';
import * as path from 'path';
import { cosmosDatabaseName } from '../../shared/config/resourceNames';
import { compiledEntry, EmulatorProcess } from './emulatorProcess';
import { provisionResources } from './provisionResources';
import { queueEventsPath } from './queueEventsServer';

export interface LocalStackOptions {
  dataDir: string; // Azurite data in <dataDir>/azurite, Cosmos journal in <dataDir>/cosmos
  host?: string; // default '127.0.0.1'
  blobPort?: number;
  queuePort?: number;
  tablePort?: number;
  cosmosPort?: number; // 0/undefined = a free port
  provision?: boolean; // default true: create what shared/config/resourceNames.ts declares
  log?: (line: string) => void; // default: silent
  /** Journal size (bytes) after which the Cosmos emulator compacts it into a snapshot; default 64 MiB. */
  cosmosCompactAfterBytes?: number;
  /** How long stop() waits after SIGTERM before SIGKILL; default 10 s. */
  stopGraceMs?: number;
  /** How long to wait for an emulator's ready line; default 30 s. */
  readyTimeoutMs?: number;
}

export interface LocalStackEndpoints {
  storageConnectionString: string; // full connection string with the well-known Azurite dev account and explicit endpoints
  blobEndpoint: string;
  queueEndpoint: string;
  tableEndpoint: string;
  cosmosEndpoint: string; // https://127.0.0.1:PORT/
  cosmosKey: string;
  /**
   * Local only: http://127.0.0.1:PORT/queue-messages, served by the Azurite child, streams one `<queueName>\n` line
   * each time any process puts a message on a queue, so the local host's queue triggers wake at once
   * (runtime/host/queueSendWatcher.ts). A hint: lines may be lost (restart, slow reader); polling covers that.
   */
  queueEventsUrl: string;
}

export interface LocalStack extends LocalStackEndpoints {
  /**
   * App settings for the function app: AzureWebJobsStorage, COSMOS_ENDPOINT, COSMOS_KEY, COSMOS_DATABASE,
   * COSMOS_ALLOW_SELF_SIGNED=true, and LOCAL_QUEUE_EVENTS_URL (= queueEventsUrl; read by the local host only, absent
   * on Azure).
   */
  appSettings(): Record<string, string>;
  pids(): { azurite: number; cosmos: number };
  /** Restart one emulator on the SAME port and data dir (after a crash or for tests). */
  restartCosmos(): Promise<void>;
  restartAzurite(): Promise<void>;
  /** Graceful stop of both (SIGTERM, wait, then SIGKILL after a deadline); resolves when the processes are gone. */
  stop(): Promise<void>;
}

/** Azurite's well-known development account (public, documented by Microsoft; not a secret). */
export const azuriteAccountName = 'devstoreaccount1';
export const azuriteAccountKey =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
/** The Cosmos DB emulator's well-known key (the local emulator accepts any key; clients need a valid base64 one). */
export const cosmosEmulatorKey =
  'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

const defaultCompactAfterBytes = 64 * 1024 * 1024;

interface ResolvedOptions {
  dataDir: string;
  host: string;
  provision: boolean;
  log: (line: string) => void;
  compactAfterBytes: number;
  stopGraceMs: number;
  readyTimeoutMs: number;
}

interface AzuritePorts {
  blobPort: number;
  queuePort: number;
  tablePort: number;
  notifyPort: number;
}

function optionalPort(
  options: LocalStackOptions,
  field: 'blobPort' | 'queuePort' | 'tablePort' | 'cosmosPort',
): number {
  const value = options[field];
  if (value === undefined) return 0;
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new Error(`LocalStackOptions.${field} must be an integer port 0-65535, got ${String(value)}`);
  }
  return value;
}

function positiveInteger(value: number | undefined, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`LocalStackOptions.${field} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

function readyPort(ready: Record<string, unknown>, field: string, emulator: string): number {
  const value = ready[field];
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new Error(`${emulator} ready line has no valid ${field}: ${JSON.stringify(ready)}`);
  }
  return value;
}

async function startAzurite(
  options: ResolvedOptions,
  ports: AzuritePorts,
): Promise<{ process: EmulatorProcess; ports: AzuritePorts }> {
  const { process: child, ready } = await EmulatorProcess.start({
    name: 'azurite',
    script: compiledEntry('azuriteMain'),
    args: [
      '--location',
      path.join(options.dataDir, 'azurite'),
      '--host',
      options.host,
      '--blob-port',
      String(ports.blobPort),
      '--queue-port',
      String(ports.queuePort),
      '--table-port',
      String(ports.tablePort),
      '--notify-port',
      String(ports.notifyPort),
    ],
    readyTimeoutMs: options.readyTimeoutMs,
    log: options.log,
  });
  return {
    process: child,
    ports: {
      blobPort: readyPort(ready, 'blobPort', 'azurite'),
      queuePort: readyPort(ready, 'queuePort', 'azurite'),
      tablePort: readyPort(ready, 'tablePort', 'azurite'),
      notifyPort: readyPort(ready, 'notifyPort', 'azurite'),
    },
  };
}

async function startCosmos(
  options: ResolvedOptions,
  port: number,
): Promise<{ process: EmulatorProcess; port: number }> {
  const { process: child, ready } = await EmulatorProcess.start({
    name: 'cosmos',
    script: compiledEntry('cosmosMain'),
    args: [
      '--journal-dir',
      path.join(options.dataDir, 'cosmos'),
      '--host',
      options.host,
      '--port',
      String(port),
      '--compact-after-bytes',
      String(options.compactAfterBytes),
    ],
    readyTimeoutMs: options.readyTimeoutMs,
    log: options.log,
  });
  return { process: child, port: readyPort(ready, 'port', 'cosmos') };
}

/** URL host part: IPv6 literals need brackets. */
function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  if (!options || typeof options.dataDir !== 'string' || options.dataDir.trim() === '') {
    throw new Error('LocalStackOptions.dataDir must be a non-empty path');
  }
  if (options.host !== undefined && (typeof options.host !== 'string' || options.host === '')) {
    throw new Error('LocalStackOptions.host must be a non-empty string');
  }
  const resolved: ResolvedOptions = {
    dataDir: path.resolve(options.dataDir),
    host: options.host ?? '127.0.0.1',
    provision: options.provision ?? true,
    log: options.log ?? (() => undefined),
    compactAfterBytes: positiveInteger(
      options.cosmosCompactAfterBytes,
      'cosmosCompactAfterBytes',
      defaultCompactAfterBytes,
    ),
    stopGraceMs: positiveInteger(options.stopGraceMs, 'stopGraceMs', 10_000),
    readyTimeoutMs: positiveInteger(options.readyTimeoutMs, 'readyTimeoutMs', 30_000),
  };
  const requestedAzurite: AzuritePorts = {
    blobPort: optionalPort(options, 'blobPort'),
    queuePort: optionalPort(options, 'queuePort'),
    tablePort: optionalPort(options, 'tablePort'),
    notifyPort: 0,
  };
  const requestedCosmos = optionalPort(options, 'cosmosPort');
  fs.mkdirSync(path.join(resolved.dataDir, 'azurite'), { recursive: true });
  fs.mkdirSync(path.join(resolved.dataDir, 'cosmos'), { recursive: true });

  const [azuriteOutcome, cosmosOutcome] = await Promise.allSettled([
    startAzurite(resolved, requestedAzurite),
    startCosmos(resolved, requestedCosmos),
  ]);
  if (azuriteOutcome.status === 'rejected' || cosmosOutcome.status === 'rejected') {
    const survivors = [azuriteOutcome, cosmosOutcome].flatMap((o) =>
      o.status === 'fulfilled' ? [o.value.process] : [],
    );
    await Promise.all(survivors.map((p) => p.stop(resolved.stopGraceMs)));
    const reasons = [azuriteOutcome, cosmosOutcome].flatMap((o) =>
      o.status === 'rejected' ? [o.reason] : [],
    );
    throw reasons[0] instanceof Error ? reasons[0] : new Error(String(reasons[0]));
  }

  let azurite = azuriteOutcome.value.process;
  let cosmos = cosmosOutcome.value.process;
  const azuritePorts = azuriteOutcome.value.ports;
  const cosmosPort = cosmosOutcome.value.port;
  const host = urlHost(resolved.host);
  const blobEndpoint = `http://${host}:${azuritePorts.blobPort}/${azuriteAccountName}`;
  const queueEndpoint = `http://${host}:${azuritePorts.queuePort}/${azuriteAccountName}`;
  const tableEndpoint = `http://${host}:${azuritePorts.tablePort}/${azuriteAccountName}`;
  const endpoints: LocalStackEndpoints = {
    storageConnectionString:
      `DefaultEndpointsProtocol=http;AccountName=${azuriteAccountName};AccountKey=${azuriteAccountKey};` +
      `BlobEndpoint=${blobEndpoint};QueueEndpoint=${queueEndpoint};TableEndpoint=${tableEndpoint};`,
    blobEndpoint,
    queueEndpoint,
    tableEndpoint,
    cosmosEndpoint: `https://${host}:${cosmosPort}/`,
    cosmosKey: cosmosEmulatorKey,
    queueEventsUrl: `http://${host}:${azuritePorts.notifyPort}${queueEventsPath}`,
  };
  resolved.log(
    `local stack: azurite pid ${azurite.pid} (blob ${azuritePorts.blobPort}, queue ${azuritePorts.queuePort}, table ${azuritePorts.tablePort}, queue events ${azuritePorts.notifyPort}), cosmos pid ${cosmos.pid} (${cosmosPort}), data in ${resolved.dataDir}`,
  );

  let stopped = false;
  // Storage is meant to outlive the runtime, not to die on its own: say so when it does (restart* brings it back).
  const stoppedOnPurpose = new WeakSet<EmulatorProcess>();
  const watch = (name: string, child: EmulatorProcess): void => {
    void child.whenExited().then(() => {
      if (!stopped && !stoppedOnPurpose.has(child))
        resolved.log(`local stack: ${name} (pid ${child.pid}) exited unexpectedly`);
    });
  };
  watch('azurite', azurite);
  watch('cosmos', cosmos);
  const stopAll = async (): Promise<void> => {
    await Promise.all([azurite.stop(resolved.stopGraceMs), cosmos.stop(resolved.stopGraceMs)]);
  };
  if (resolved.provision) {
    try {
      await provisionResources(endpoints);
    } catch (error: unknown) {
      await stopAll();
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`local stack started but provisioning failed: ${message}`);
    }
  }

  /** The restart under way per emulator: a call while one runs joins it. */
  const restarts = new Map<'cosmos' | 'azurite', Promise<void>>();
  const restartOnce = async (name: 'cosmos' | 'azurite', restart: () => Promise<void>): Promise<void> => {
    ensureRunning();
    let running = restarts.get(name);
    if (!running) {
      running = restart().finally(() => restarts.delete(name));
      restarts.set(name, running);
    }
    return running;
  };
  const ensureRunning = (): void => {
    if (stopped) throw new Error('the local stack was stopped');
  };
  return {
    ...endpoints,
    appSettings: () => ({
      AzureWebJobsStorage: endpoints.storageConnectionString,
      COSMOS_ENDPOINT: endpoints.cosmosEndpoint,
      COSMOS_KEY: endpoints.cosmosKey,
      COSMOS_DATABASE: cosmosDatabaseName,
      COSMOS_ALLOW_SELF_SIGNED: 'true',
      LOCAL_QUEUE_EVENTS_URL: endpoints.queueEventsUrl,
    }),
    pids: () => ({ azurite: azurite.pid, cosmos: cosmos.pid }),
    // One restart at a time per emulator: a call while one runs joins it (a second start on the same data would
    // fail on the folder's lock, and the old process is replaced only once the new one is ready).
    restartCosmos: () =>
      restartOnce('cosmos', async () => {
        stoppedOnPurpose.add(cosmos);
        await cosmos.stop(resolved.stopGraceMs);
        cosmos = (await startCosmos(resolved, cosmosPort)).process;
        watch('cosmos', cosmos);
        resolved.log(`local stack: cosmos restarted, pid ${cosmos.pid}`);
      }),
    restartAzurite: () =>
      restartOnce('azurite', async () => {
        stoppedOnPurpose.add(azurite);
        await azurite.stop(resolved.stopGraceMs);
        azurite = (await startAzurite(resolved, azuritePorts)).process;
        watch('azurite', azurite);
        resolved.log(`local stack: azurite restarted, pid ${azurite.pid}`);
      }),
    stop: async () => {
      stopped = true;
      await stopAll();
    },
  };
}
