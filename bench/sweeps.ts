// Benchmark: parameter sweeps on local nodes through the real runtime and API. A random sweep of trivial trials
// (each prints one metric line) on 4 one-slot local nodes with maxConcurrentTrials 4: PUT -> the sweep's
// `succeeded` with the best trial, trials/s, and how far the best trial's metric is from the true maximum.
// Figures only (the machine is shared). BENCH_SWEEP_TRIALS (default 40), BENCH_SWEEP_POLL_SECONDS (default 1).
import { customJob, experiment, startJobTestBed } from '../test/jobs/support/jobTestBed';

const trials = Number(process.env.BENCH_SWEEP_TRIALS ?? 40);
const pollSeconds = process.env.BENCH_SWEEP_POLL_SECONDS ?? '1';

export async function run(): Promise<void> {
  const bed = await startJobTestBed({ SWEEP_POLL_SECONDS: pollSeconds });
  try {
    await bed.createCluster('bench', 4);
    const start = Date.now();
    const put = await bed.api.send('PUT', `${experiment}/sweeps/bench`, {
      properties: {
        jobTemplate: customJob(bed, 'bench', 'echo "##batchai[metric] score={parameters.x} step=1"'),
        parameters: { x: { type: 'uniform', min: 0, max: 1 } },
        sampling: 'random',
        seed: 1,
        maxTrials: trials,
        maxConcurrentTrials: 4,
        objective: { metric: 'score', goal: 'maximize' },
      },
    });
    if (put.status !== 201) throw new Error(`PUT sweep: ${put.status} ${put.text}`);
    let properties: Record<string, unknown> = {};
    const deadline = Date.now() + 600_000;
    for (;;) {
      const response = await bed.api.send('GET', `${experiment}/sweeps/bench`);
      properties = response.body.properties as Record<string, unknown>;
      if (properties.executionState !== 'running') break;
      if (Date.now() > deadline) throw new Error(`bench: sweep still running: ${JSON.stringify(properties)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const total = Date.now() - start;
    const values = ((properties.trials ?? []) as { parameters: { x: number } }[]).map((t) => t.parameters.x);
    const best = properties.bestTrial as { name: string; metric: number } | undefined;
    process.stdout.write(
      `sweep of ${trials} trivial trials, maxConcurrentTrials 4, 4 one-slot local nodes, poll ${pollSeconds} s: ` +
        `${String(properties.executionState)} after ${total} ms = ${((trials * 1000) / total).toFixed(2)} trials/s; ` +
        `counts ${JSON.stringify(properties.trialCounts)}; best ${best?.name} = ${best?.metric} ` +
        `(max sampled ${Math.max(...values)})\n`,
    );
  } finally {
    await bed.stop();
  }
}
