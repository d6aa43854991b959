// Child entry of Azurite: starts its Blob, Queue and Table servers programmatically (port 0 = a free port) on disk
// under --location, plus the queue put notification stream (`queueEventsServer.ts`, --notify-port), prints one
// ready line ({"ready":true,"blobPort":..,"queuePort":..,"tablePort":..,"notifyPort":..}) on stdout, and closes them
// on SIGTERM/SIGINT, which saves Azurite's metadata (it otherwise autosaves every 5 s). One Azurite per folder: it
// is locked (azurite.lock) while this process runs, as two of them would overwrite each other's metadata.
import * as fs from 'fs';
import type * as http from 'http';
import * as path from 'path';
import { ignoreBrokenPipes, readArguments, readPort, requireString } from './childArguments';
import { FolderLock } from './folderLock';
import { startQueueEventsServer, type QueueEventsServer } from './queueEventsServer';

/** The slice of Azurite's server classes this entry uses (the package ships no type declarations). */
interface AzuriteServer {
  start(): Promise<void>;
  close(): Promise<void>;
  getHttpServerAddress(): string;
  /** Azurite's ServerBase keeps its Node server here; notifications are told apart by the server that answered. */
  readonly httpServer: http.Server;
}
type Constructor<T> = new (...args: unknown[]) => T;

function load<T>(modulePath: string): T {
  // Azurite's modules export their class as `default` (compiled ES modules); untyped, so loaded by path.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(`azurite/dist/src/${modulePath}`) as { default: T }).default;
}

function loadConstants(modulePath: string): Record<string, string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(`azurite/dist/src/${modulePath}`) as Record<string, string>;
}

function portOf(server: AzuriteServer): number {
  return Number(new URL(server.getHttpServerAddress()).port);
}

async function main(): Promise<void> {
  ignoreBrokenPipes();
  const args = readArguments(process.argv.slice(2));
  const location = requireString(args, 'location');
  const host = args.get('host') ?? '127.0.0.1';
  const notifyPort = readPort(args, 'notify-port');
  fs.mkdirSync(location, { recursive: true });
  // Released when this process exits.
  FolderLock.acquire(location, 'azurite.lock', 'Azurite');

  const blob = loadConstants('blob/utils/constants');
  const queue = loadConstants('queue/utils/constants');
  const table = loadConstants('table/utils/constants');
  const BlobConfiguration = load<Constructor<object>>('blob/BlobConfiguration');
  const QueueConfiguration = load<Constructor<object>>('queue/QueueConfiguration');
  const TableConfiguration = load<Constructor<object>>('table/TableConfiguration');
  const BlobServer = load<Constructor<AzuriteServer>>('blob/BlobServer');
  const QueueServer = load<Constructor<AzuriteServer>>('queue/QueueServer');
  const TableServer = load<Constructor<AzuriteServer>>('table/TableServer');

  // Same file layout as the azurite CLI with --location, so a folder can be opened by either. The positional
  // arguments follow the constructors of Azurite 3.35: (host, port, keepAliveTimeout, metadataDB, [extentDB,
  // persistence,] ..., loose, skipApiVersionCheck, cert, key, pwd, oauth, disableProductStyleUrl, inMemory).
  const loose = true;
  const skipApiVersionCheck = true;
  const accessLog = false;
  const debugLog = false;
  const keepAliveSeconds = 5;
  const blobConfig = new BlobConfiguration(
    host,
    readPort(args, 'blob-port'),
    keepAliveSeconds,
    path.join(location, blob.DEFAULT_BLOB_LOKI_DB_PATH),
    path.join(location, blob.DEFAULT_BLOB_EXTENT_LOKI_DB_PATH),
    [
      {
        locationId: 'Default',
        locationPath: path.join(location, blob.DEFAULT_BLOB_PERSISTENCE_PATH),
        maxConcurrency: 1,
      },
    ],
    accessLog,
    undefined,
    debugLog,
    undefined,
    loose,
    skipApiVersionCheck,
    '',
    '',
    '',
    undefined,
    false,
    false,
  );
  const queueConfig = new QueueConfiguration(
    host,
    readPort(args, 'queue-port'),
    keepAliveSeconds,
    path.join(location, queue.DEFAULT_QUEUE_LOKI_DB_PATH),
    path.join(location, queue.DEFAULT_QUEUE_EXTENT_LOKI_DB_PATH),
    [
      {
        locationId: 'Default',
        locationPath: path.join(location, queue.DEFAULT_QUEUE_PERSISTENCE_PATH),
        maxConcurrency: 1,
      },
    ],
    accessLog,
    undefined,
    debugLog,
    undefined,
    loose,
    skipApiVersionCheck,
    '',
    '',
    '',
    undefined,
    false,
    false,
  );
  const tableConfig = new TableConfiguration(
    host,
    readPort(args, 'table-port'),
    keepAliveSeconds,
    path.join(location, table.DEFAULT_TABLE_LOKI_DB_PATH),
    debugLog,
    accessLog,
    undefined,
    undefined,
    loose,
    skipApiVersionCheck,
    '',
    '',
    '',
    undefined,
    false,
    false,
  );

  const servers = {
    blob: new BlobServer(blobConfig),
    queue: new QueueServer(queueConfig),
    table: new TableServer(tableConfig),
  };
  const started: AzuriteServer[] = [];
  let notifications: QueueEventsServer | undefined;
  const closeAll = async (): Promise<void> => {
    await Promise.all([...started.map((server) => server.close()), notifications?.close()]);
  };
  try {
    for (const server of [servers.blob, servers.queue, servers.table]) {
      await server.start();
      started.push(server);
    }
    notifications = await startQueueEventsServer(servers.queue.httpServer, host, notifyPort);
  } catch (error: unknown) {
    await closeAll().catch(() => undefined);
    throw error;
  }

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    closeAll().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(
          `azurite: error while stopping: ${error instanceof Error ? error.message : String(error)}\n`,
        );
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const ready = {
    ready: true,
    pid: process.pid,
    blobPort: portOf(servers.blob),
    queuePort: portOf(servers.queue),
    tablePort: portOf(servers.table),
    notifyPort: notifications.port,
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `azurite failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
