// `npm start`: brings up the whole system on one machine (Azurite, the Cosmos DB emulator, the local Functions
// host with the app) and supervises it: a crashed host is restarted while storage lives on, as on Azure. One
// launcher per data directory (start.lock); what a killed launcher left running (its detached emulators, its host)
// is stopped first, so the emulators come back on the same folders and ports.
import * as fs from 'fs';
import * as path from 'path';
import { stopAllLocalNodes } from '../shared/adapters/compute/localNodeRegistry';
import { FolderLock } from './stack/folderLock';
import {
  recordedProcess,
  recordProcess,
  stopLeftoverEmulators,
  stopProcess,
} from './stack/leftoverProcesses';
import { startLocalStack, LocalStack } from './stack/localStack';
import { HostProcess } from './supervisor/hostProcess';
import { HostLogFile, hostLineOutput } from './supervisor/hostLogOutput';
import { loadOrCreateLocalSecrets } from './supervisor/localSecrets';
import { readStartConfig } from './supervisor/startConfig';
import { preferredStackPorts, saveStackPorts } from './supervisor/stackPorts';

const appRoot = path.resolve(__dirname, '..', '..');

function log(message: string): void {
  process.stdout.write(`[start] ${message}\n`);
}

/** The local cap of the queue triggers' idle polling backoff (see below); host.json says 2 s for Azure. */
const localMaxPollingInterval = '00:00:01';

/** Restart delays after consecutive crashes; reset once the host has been up for a minute. */
const restartDelaysMs = [250, 1000, 2000, 5000, 10000, 30000];

async function main(): Promise<void> {
  const config = readStartConfig(process.env, appRoot);
  log(`data directory ${config.dataDir}`);
  fs.mkdirSync(config.dataDir, { recursive: true });
  const launcherLock = FolderLock.acquire(config.dataDir, 'start.lock', 'npm start');
  const hostRecord = path.join(config.dataDir, 'host-process.json');
  const leftoverHost = recordedProcess(hostRecord);
  if (leftoverHost) {
    log(
      `stopping the Functions host (pid ${leftoverHost.pid}) left running by an earlier start on this data`,
    );
    await stopProcess(leftoverHost, 15_000);
  }
  await stopLeftoverEmulators(config.dataDir, { graceMs: 10_000, log });
  const stack: LocalStack = await startLocalStack({
    dataDir: config.dataDir,
    ...(await preferredStackPorts(config.dataDir, config)),
    log: (line) => log(line),
  });
  saveStackPorts(config.dataDir, stack);
  log(`Azurite blob ${stack.blobEndpoint} queue ${stack.queueEndpoint} table ${stack.tableEndpoint}`);
  log(`Cosmos DB emulator ${stack.cosmosEndpoint}`);

  const env = {
    // host.json keeps Azure's queue polling backoff; locally messages sent by the host itself wake their trigger
    // at once, and this cap bounds the wait for those sent by node agents (node-events). The Functions host's own
    // app-setting override mechanism, so a value in the environment wins.
    AzureFunctionsJobHost__extensions__queues__maxPollingInterval: localMaxPollingInterval,
    ...process.env,
    ...stack.appSettings(),
    ...loadOrCreateLocalSecrets(config.dataDir),
  };
  const hostLog = new HostLogFile(path.join(config.dataDir, 'logs', 'host.log'));
  const hostLines = hostLineOutput(hostLog, process.env.START_VERBOSE === '1', (line, stream) =>
    (stream === 'stderr' ? process.stderr : process.stdout).write(`${line}\n`),
  );
  let host: HostProcess | undefined;
  let stopping = false;
  let crashes = 0;

  const runHost = async (): Promise<void> => {
    const current = new HostProcess({
      appRoot: config.appRoot,
      port: config.port,
      dataDir: config.dataDir,
      env,
      onLine: hostLines,
    });
    host = current;
    if (current.pid > 0) recordProcess(hostRecord, current.pid);
    const startedAt = Date.now();
    void current.exited.then(({ code, signal }) => {
      if (stopping || host !== current) return;
      if (Date.now() - startedAt > 60_000) crashes = 0;
      const delay = restartDelaysMs[Math.min(crashes, restartDelaysMs.length - 1)];
      crashes += 1;
      log(`Functions host exited (code ${code}, signal ${signal}); restarting in ${delay} ms`);
      setTimeout(() => {
        if (!stopping) runHost().catch((error: unknown) => log(`restart failed: ${String(error)}`));
      }, delay);
    });
    const ready = await current.ready();
    log(`Functions host ready (pid ${ready.pid})`);
    return;
  };

  await runHost();
  const baseUrl = `http://127.0.0.1:${config.port}`;
  process.stdout.write(
    [
      '',
      `  API:        ${baseUrl}/api/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.BatchAI/...?api-version=2018-05-01`,
      `  OpenAPI:    ${baseUrl}/api/openapi.json`,
      `  Dashboard:  ${baseUrl}/api/dashboard/`,
      `  Data:       ${config.dataDir}`,
      `  Host log:   ${hostLog.file} (the console leaves out each successful invocation's lines; START_VERBOSE=1 shows them)`,
      // Azurite's well-known development account (not a secret): for queue submissions and storage tools.
      `  Storage:    AzureWebJobsStorage='${stack.appSettings().AzureWebJobsStorage}'`,
      '  Stop with Ctrl-C.',
      '',
    ].join('\n') + '\n',
  );
  process.stdout.write(
    `${JSON.stringify({ started: true, baseUrl, hostPid: host?.pid, ...stack.pids() })}\n`,
  );

  // Storage must outlive the host, but if an emulator itself dies, bring it back on the same port and data.
  const watchdog = setInterval(() => {
    void (async () => {
      const pids = stack.pids();
      if (!alive(pids.cosmos)) {
        log('Cosmos DB emulator is gone; restarting it');
        await stack.restartCosmos();
      }
      if (!alive(pids.azurite)) {
        log('Azurite is gone; restarting it');
        await stack.restartAzurite();
      }
    })().catch((error: unknown) => log(`emulator restart failed: ${String(error)}`));
  }, 1000);

  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearInterval(watchdog);
    log(`${signal}: stopping`);
    await host?.stop();
    await hostLog.close();
    const nodes = await stopAllLocalNodes(config.dataDir);
    if (nodes > 0) log(`stopped ${nodes} local node(s)`);
    await stack.stop();
    fs.rmSync(hostRecord, { force: true });
    launcherLock.release();
    log('stopped; data kept in ' + config.dataDir);
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `[start] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
