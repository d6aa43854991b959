// `npm start`: brings up the whole system on one machine (Azurite, the Cosmos DB emulator, the local Functions
// host with the app) and supervises it: a crashed host is restarted while storage lives on, as on Azure. One
// launcher per data directory (start.lock); what a killed launcher left running (its detached emulators, its host)
// is stopped first, so the emulators come back on the same folders and ports.
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { stopAllLocalNodes } from '../shared/adapters/compute/localNodeRegistry';
import { FolderLock, FolderLockedError } from './stack/folderLock';
import {
  recordedProcess,
  recordProcess,
  stopLeftoverEmulators,
  stopProcess,
} from './stack/leftoverProcesses';
import { startLocalStack, LocalStack } from './stack/localStack';
import { HostNotReadyError, HostProcess } from './supervisor/hostProcess';
import { RotatingLogFile } from '../shared/logging/rotatingLogFile';
import { hostLineOutput } from './supervisor/hostLogOutput';
import { loadOrCreateLocalSecrets } from './supervisor/localSecrets';
import { readStartConfig } from './supervisor/startConfig';
import { preferredStackPorts, saveStackPorts } from './supervisor/stackPorts';

const appRoot = path.resolve(__dirname, '..', '..');

function log(message: string): void {
  process.stdout.write(`[start] ${message}\n`);
}

/** How long `npm start` keeps finished orchestration instances (see below). */
const localHistoryRetentionDays = '1';
/** The local cap of the queue triggers' idle polling backoff (see below); host.json says 2 s for Azure. */
const localMaxPollingInterval = '00:00:01';

/** Restart delays after consecutive crashes; reset once the host has been up for a minute. */
const restartDelaysMs = [250, 1000, 2000, 5000, 10000, 30000];

/** A startup failure whose message says it all: printed as it is, without a stack trace. */
class StartFailure extends Error {}

/** Ctrl-C (or SIGTERM) while starting: what was started is stopped, and the launcher exits 0. */
class StartInterrupted extends Error {}

function portInUseMessage(port: number): string {
  return (
    `npm start: port ${port} is in use; set PORT=<another> ` +
    `(and BATCHAI_ENDPOINT=http://127.0.0.1:<port>/api for the CLI and the example)`
  );
}

/** Whether something listens on 127.0.0.1:port already (where the host will listen), still after `waitMs`. */
async function portInUse(port: number, waitMs = 0): Promise<boolean> {
  if (port === 0) return false;
  const deadline = Date.now() + waitMs;
  for (;;) {
    const inUse = await new Promise<boolean>((resolve) => {
      const probe = net.createServer();
      probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EADDRINUSE'));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(false)));
    });
    if (!inUse || Date.now() >= deadline) return inUse;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** What `npm start` prints for a failed start: known failures in one line, anything else with its stack. */
function failureText(error: unknown): string {
  if (error instanceof StartFailure) return error.message;
  if (
    error instanceof FolderLockedError ||
    (error instanceof Error && / is in use by process \d+/.test(error.message))
  )
    return error.message.startsWith('npm start') ? error.message : `npm start: ${error.message}`;
  return `[start] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
}

async function main(): Promise<void> {
  const config = readStartConfig(process.env, appRoot);
  log(`data directory ${config.dataDir}`);
  fs.mkdirSync(config.dataDir, { recursive: true });
  const launcherLock = FolderLock.acquire(config.dataDir, 'start.lock', 'npm start');
  const hostRecord = path.join(config.dataDir, 'host-process.json');
  let stack: LocalStack | undefined;
  let hostLog: RotatingLogFile | undefined;
  let host: HostProcess | undefined;
  let stopping = false;
  let crashes = 0;
  /** Set once a host was ready: only then is a host that exits restarted (before, the start failed). */
  let wasReady = false;

  // A signal while starting: stop the host if one runs (its ready() then fails), and stop after the current step.
  let interrupted: string | undefined;
  const onSignalWhileStarting = (signal: string): void => {
    if (interrupted) return;
    interrupted = signal;
    log(`${signal}: stopping`);
    void host?.stop();
  };
  const onSigint = (): void => onSignalWhileStarting('SIGINT');
  const onSigterm = (): void => onSignalWhileStarting('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  const checkInterrupted = (): void => {
    if (interrupted) throw new StartInterrupted(interrupted);
  };

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
      if (stopping || !wasReady || host !== current) return;
      if (Date.now() - startedAt > 60_000) crashes = 0;
      const delay = restartDelaysMs[Math.min(crashes, restartDelaysMs.length - 1)];
      crashes += 1;
      log(`Functions host exited (code ${code}, signal ${signal}); restarting in ${delay} ms`);
      setTimeout(() => {
        if (!stopping)
          runHost().catch((error: unknown) =>
            log(`restart failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`),
          );
      }, delay);
    });
    const ready = await current.ready();
    wasReady = true;
    log(`Functions host ready (pid ${ready.pid})`);
  };

  let env: Record<string, string | undefined> = {};
  let hostLines: (line: string, stream: 'stdout' | 'stderr') => void = () => undefined;
  try {
    const leftoverHost = recordedProcess(hostRecord);
    if (leftoverHost) {
      log(
        `stopping the Functions host (pid ${leftoverHost.pid}) left running by an earlier start on this data`,
      );
      await stopProcess(leftoverHost, 15_000);
    }
    // Before the emulators start: a port taken by another program fails at once, in one line. The port of a host
    // just stopped is given a moment: its socket may close a little after the process is seen gone.
    if (await portInUse(config.port, leftoverHost ? 5_000 : 0))
      throw new StartFailure(portInUseMessage(config.port));
    await stopLeftoverEmulators(config.dataDir, { graceMs: 10_000, log });
    checkInterrupted();
    stack = await startLocalStack({
      dataDir: config.dataDir,
      ...(await preferredStackPorts(config.dataDir, config)),
      log: (line) => log(line),
    });
    checkInterrupted();
    saveStackPorts(config.dataDir, stack);
    log(`Azurite blob ${stack.blobEndpoint} queue ${stack.queueEndpoint} table ${stack.tableEndpoint}`);
    log(`Cosmos DB emulator ${stack.cosmosEndpoint}`);

    env = {
      // host.json keeps Azure's queue polling backoff; locally messages sent by the host itself wake their trigger
      // at once, and this cap bounds the wait for those sent by node agents (node-events). The Functions host's own
      // app-setting override mechanism, so a value in the environment wins.
      AzureFunctionsJobHost__extensions__queues__maxPollingInterval: localMaxPollingInterval,
      // The local engine holds finished orchestration instances in memory (about 26 KB each) until they are purged:
      // one day locally (Azure's default 7 keeps them in its task hub's storage); a value in the environment wins.
      DURABLE_HISTORY_RETENTION_DAYS: localHistoryRetentionDays,
      ...process.env,
      ...stack.appSettings(),
      ...loadOrCreateLocalSecrets(config.dataDir),
    };
    hostLog = new RotatingLogFile(path.join(config.dataDir, 'logs', 'host.log'));
    hostLines = hostLineOutput(hostLog, process.env.START_VERBOSE === '1', (line, stream) =>
      (stream === 'stderr' ? process.stderr : process.stdout).write(`${line}\n`),
    );
    try {
      await runHost();
    } catch (error: unknown) {
      checkInterrupted();
      if (error instanceof HostNotReadyError) {
        // Another program took the port after the check above.
        if (error.exit && error.tail.includes('EADDRINUSE'))
          throw new StartFailure(portInUseMessage(config.port));
        const how = error.exit
          ? `exited (code ${error.exit.code}, signal ${error.exit.signal})`
          : 'did not become ready in time';
        throw new StartFailure(
          `npm start: the Functions host ${how} before it was ready; its output is above and in ${hostLog.file}`,
        );
      }
      throw error;
    }
    checkInterrupted();
  } catch (error: unknown) {
    // Stop whatever this start began, so nothing is left running without a launcher.
    stopping = true;
    await host?.stop();
    await hostLog?.close();
    if (host) await stopAllLocalNodes(config.dataDir);
    await stack?.stop();
    fs.rmSync(hostRecord, { force: true });
    launcherLock.release();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    if (error instanceof StartInterrupted) {
      log('stopped; data kept in ' + config.dataDir);
      process.exit(0);
    }
    throw error;
  }
  process.off('SIGINT', onSigint);
  process.off('SIGTERM', onSigterm);
  const runningStack = stack;
  const runningLog = hostLog;

  const baseUrl = `http://127.0.0.1:${config.port}`;
  process.stdout.write(
    [
      '',
      `  API:        ${baseUrl}/api/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.BatchAI/...?api-version=2018-05-01`,
      `  OpenAPI:    ${baseUrl}/api/openapi.json`,
      `  Dashboard:  ${baseUrl}/api/dashboard/`,
      `  Data:       ${config.dataDir}`,
      `  Host log:   ${runningLog.file} (the console leaves out each successful invocation's and request's lines; START_VERBOSE=1 shows them)`,
      // Azurite's well-known development account (not a secret): for queue submissions and storage tools.
      `  Storage:    AzureWebJobsStorage='${runningStack.appSettings().AzureWebJobsStorage}'`,
      '  Stop with Ctrl-C.',
      '',
    ].join('\n') + '\n',
  );
  process.stdout.write(
    `${JSON.stringify({ started: true, baseUrl, hostPid: host?.pid, ...runningStack.pids() })}\n`,
  );

  // Storage must outlive the host, but if an emulator itself dies, bring it back on the same port and data. One
  // check at a time: a restart takes longer than the interval (and the stack runs one restart per emulator anyway).
  let checking = false;
  const watchdog = setInterval(() => {
    if (checking) return;
    checking = true;
    void (async () => {
      const pids = runningStack.pids();
      if (!alive(pids.cosmos)) {
        log('Cosmos DB emulator is gone; restarting it');
        await runningStack.restartCosmos();
      }
      if (!alive(pids.azurite)) {
        log('Azurite is gone; restarting it');
        await runningStack.restartAzurite();
      }
    })()
      .catch((error: unknown) => log(`emulator restart failed: ${String(error)}`))
      .finally(() => {
        checking = false;
      });
  }, 1000);

  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearInterval(watchdog);
    log(`${signal}: stopping`);
    await host?.stop();
    await runningLog.close();
    const nodes = await stopAllLocalNodes(config.dataDir);
    if (nodes > 0) log(`stopped ${nodes} local node(s)`);
    await runningStack.stop();
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
  process.stderr.write(`${failureText(error)}\n`);
  process.exit(1);
});
