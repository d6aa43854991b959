// Benchmark of the local Durable Task engine through the real local host, in process: orchestrations start over
// real HTTP (the durable HTTP API) and run through the real @azure/functions programming model; completion is
// observed from the engine (no status polling), with every commit fsynced to the on-disk log.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startHost, type RunningHost } from '../runtime/host/host';
import { createDurablePlugin } from '../runtime/durable/plugin';
import type { DurableEngine } from '../runtime/durable/durableEngine';

const repoRoot = ((): string => {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'tsconfig.json')) && path.dirname(dir) !== dir)
    dir = path.dirname(dir);
  return dir;
})();

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function startAndWait(
  host: RunningHost,
  engine: DurableEngine,
  name: string,
  input: unknown,
): Promise<number> {
  const began = performance.now();
  // The durable HTTP API asks for the durabletask_extension system key (or the master key).
  const res = await fetch(`${host.baseUrl}/runtime/webhooks/durabletask/orchestrators/${name}`, {
    method: 'POST',
    headers: { 'x-functions-key': host.services.keys.masterKey },
    body: JSON.stringify(input),
  });
  if (res.status !== 202) throw new Error(`start ${name}: ${res.status} ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  await engine.waitForCompletion(id);
  const status = engine.getStatus(id);
  if (status?.runtimeStatus !== 'Completed')
    throw new Error(`${name} ${id} ended ${status?.runtimeStatus}: ${JSON.stringify(status?.output)}`);
  return performance.now() - began;
}

export async function run(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-bench-'));
  const plugin = createDurablePlugin({
    maxConcurrentActivityFunctions: 64,
    maxConcurrentOrchestratorFunctions: 64,
  });
  const host = await startHost({
    appRoot: path.join(repoRoot, 'test', 'fixtures', 'apps', 'durableApp'),
    port: 0,
    dataDir,
    settings: { ...process.env, FUNCTIONS_HOST_LOG_LEVEL: 'Warning' },
    plugins: [plugin],
  });
  try {
    const engine = plugin.engine;
    if (!engine) throw new Error('durable plugin did not start');
    for (let i = 0; i < 20; i++) await startAndWait(host, engine, 'OneActivity', null); // warm-up

    const latencies: number[] = [];
    for (let i = 0; i < 200; i++) latencies.push(await startAndWait(host, engine, 'OneActivity', null));
    latencies.sort((a, b) => a - b);
    console.log(
      `durable: one-activity orchestration, start (HTTP) to completion: p50 ${percentile(latencies, 50).toFixed(1)} ms, ` +
        `p99 ${percentile(latencies, 99).toFixed(1)} ms (200 runs, sequential)`,
    );

    // Each episode replays the whole history (as on Azure), so the rate falls as one instance's history grows.
    for (const steps of [300, 1000]) {
      const syncsBefore = engine.syncCount;
      const seqMs = await startAndWait(host, engine, 'SequentialN', steps);
      console.log(
        `durable: ${steps} sequential activities in one orchestration: ${seqMs.toFixed(0)} ms = ` +
          `${((steps / seqMs) * 1000).toFixed(0)} activities/s (${engine.syncCount - syncsBefore} fsyncs)`,
      );
    }

    const fanMs = await startAndWait(host, engine, 'FanOut', 1000);
    console.log(`durable: fan-out/fan-in of 1000 activities: ${fanMs.toFixed(0)} ms to completion`);
  } finally {
    await host.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  run().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
