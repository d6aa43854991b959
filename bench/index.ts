// `npm run bench [-- name ...]`: runs the benchmark scripts one after the other and prints their figures.
// Each benchmark starts what it needs (emulators, host) on free ports in temp dirs and stops it afterwards.
import * as compute from './compute';
import * as cosmosJournal from './cosmosJournal';
import * as durable from './durable';
import * as jobs from './jobs';
import { machineReference } from './machineReference';
import * as requestCosts from './requestCosts';
import * as schedulerQueue from './schedulerQueue';
import * as sweeps from './sweeps';

const benchmarks: Record<string, { run(): Promise<void> }> = {
  cosmosJournal,
  durable,
  compute,
  jobs,
  requestCosts,
  schedulerQueue,
  sweeps,
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !(name in benchmarks));
  if (unknown.length > 0) {
    throw new Error(
      `unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(benchmarks).join(', ')}`,
    );
  }
  // Read every figure against the machine's speed at the time (it drifts): printed before and after.
  process.stdout.write(`${machineReference()}\n`);
  for (const [name, bench] of Object.entries(benchmarks)) {
    if (wanted.length > 0 && !wanted.includes(name)) continue;
    process.stdout.write(`\n=== ${name} ===\n`);
    await bench.run();
  }
  process.stdout.write(`\nafter the benchmarks, ${machineReference()}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
