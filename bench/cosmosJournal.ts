// Benchmark: cost of the Cosmos emulator's write-ahead journal. Runs the same document creates through @azure/cosmos
// against the journaled emulator and the plain in-memory one, one at a time and many in flight, and prints
// writes/s and p50/p99 latency. Figures only, no assertions.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createCosmosClient } from '../runtime/stack/cosmosClient';
import { compiledEntry, EmulatorProcess } from '../runtime/stack/emulatorProcess';
import { cosmosEmulatorKey } from '../runtime/stack/localStack';

interface Figures {
  writesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

async function measure(
  endpoint: string,
  label: string,
  writes: number,
  concurrency: number,
): Promise<Figures> {
  const client = createCosmosClient(endpoint, cosmosEmulatorKey);
  try {
    const { database } = await client.databases.createIfNotExists({ id: 'bench' });
    const { container } = await database.containers.createIfNotExists({
      id: label,
      partitionKey: { paths: ['/pk'] },
    });
    // Warm up the connection pool and the SDK's caches.
    for (let i = 0; i < 20; i += 1) await container.items.create({ id: `warm-${i}`, pk: 'w' });
    const latencies: number[] = [];
    let next = 0;
    const started = process.hrtime.bigint();
    const worker = async (): Promise<void> => {
      while (next < writes) {
        const i = next++;
        const t0 = process.hrtime.bigint();
        await container.items.create({ id: `doc-${i}`, pk: `p${i % 16}`, payload: 'x'.repeat(512), i });
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, () => worker()));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    latencies.sort((a, b) => a - b);
    return {
      writesPerSecond: writes / seconds,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
    };
  } finally {
    client.dispose();
  }
}

async function startEmulator(args: string[]): Promise<{ emulator: EmulatorProcess; endpoint: string }> {
  const { process: emulator, ready } = await EmulatorProcess.start({
    name: 'cosmos',
    script: compiledEntry('cosmosMain'),
    args: ['--host', '127.0.0.1', '--port', '0', ...args],
    readyTimeoutMs: 30_000,
    log: () => undefined,
  });
  return { emulator, endpoint: `https://127.0.0.1:${String(ready.port)}/` };
}

export async function run(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cosmos-journal-'));
  const variants: { name: string; args: string[] }[] = [
    { name: 'in-memory (plain)', args: ['--in-memory', 'true'] },
    { name: 'journaled (fsync before ack)', args: ['--journal-dir', path.join(dataDir, 'cosmos')] },
  ];
  const loads = [
    { concurrency: 1, writes: 500 },
    { concurrency: 32, writes: 3000 },
  ];
  console.log(
    'Cosmos emulator write path: journaled vs plain (creates of ~0.6 KB documents via @azure/cosmos)',
  );
  try {
    for (const variant of variants) {
      const { emulator, endpoint } = await startEmulator(variant.args);
      try {
        for (const load of loads) {
          const figures = await measure(endpoint, `c${load.concurrency}`, load.writes, load.concurrency);
          console.log(
            `  ${variant.name.padEnd(30)} concurrency ${String(load.concurrency).padStart(2)}: ` +
              `${figures.writesPerSecond.toFixed(0).padStart(6)} writes/s, p50 ${figures.p50Ms.toFixed(2)} ms, ` +
              `p99 ${figures.p99Ms.toFixed(2)} ms`,
          );
        }
      } finally {
        await emulator.stop(10_000);
      }
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  run().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
