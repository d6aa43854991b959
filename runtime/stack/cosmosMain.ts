// Child entry of the Cosmos DB emulator: serves @vercel/cosmosdb-server over HTTPS with its write-ahead journal,
// prints one ready line ({"ready":true,"port":N}) on stdout, and stops gracefully on SIGTERM/SIGINT.
import { ignoreBrokenPipes, readArguments, readPort } from './childArguments';
import { startDurableCosmosServer } from './durableCosmosServer';

/** Default journal size that triggers a compaction: large enough to keep snapshots rare, small enough to replay fast. */
const defaultCompactAfterBytes = 64 * 1024 * 1024;

async function main(): Promise<void> {
  ignoreBrokenPipes();
  const args = readArguments(process.argv.slice(2));
  const journalDir = args.get('journal-dir');
  const inMemory = args.get('in-memory') === 'true';
  if (!journalDir && !inMemory) throw new Error('missing argument --journal-dir (or --in-memory true)');
  const compactText = args.get('compact-after-bytes') ?? String(defaultCompactAfterBytes);
  const compactAfterBytes = Number(compactText);
  if (!Number.isInteger(compactAfterBytes) || compactAfterBytes <= 0) {
    throw new Error(`--compact-after-bytes must be a positive integer, got '${compactText}'`);
  }
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const server = await startDurableCosmosServer({
    host: args.get('host') ?? '127.0.0.1',
    port: readPort(args, 'port'),
    journalDir: inMemory ? undefined : journalDir,
    compactAfterBytes,
    log,
    onFatal: (error) => {
      log(`cosmos emulator: stopping, ${error.message}`);
      process.exit(70);
    },
  });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log(
          `cosmos emulator: error while stopping: ${error instanceof Error ? error.message : String(error)}`,
        );
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdout.write(`${JSON.stringify({ ready: true, port: server.port, pid: process.pid })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `cosmos emulator failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
