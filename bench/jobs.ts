// Benchmark: the job lifecycle on local nodes through the real runtime and API. Prints (1) the latency of one
// trivial job at a time on an idle 2-node cluster: PUT to `running` and PUT to `succeeded` (median and p90 of
// 10); (2) a burst of 20 jobs submitted at once on 2 nodes: time until all succeeded and jobs per second.
// Figures only: they depend on the machine and on the scheduler's 10 s periodic pass (signals normally win).
import { customJob, startJobTestBed, type JobTestBed } from '../test/jobs/support/jobTestBed';

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function until(bed: JobTestBed, name: string, states: string[]): Promise<Record<string, unknown>> {
  for (;;) {
    const job = await bed.getJob(name);
    if (states.includes(String(job.executionState))) return job;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function run(): Promise<void> {
  const bed = await startJobTestBed();
  try {
    await bed.createCluster('bench', 2);
    const toRunning: number[] = [];
    const toDone: number[] = [];
    for (let i = 0; i < 10; i++) {
      const name = `single-${i}`;
      const start = Date.now();
      await bed.putJob(name, customJob(bed, 'bench', 'true'));
      await until(bed, name, ['running', 'succeeded', 'failed']);
      toRunning.push(Date.now() - start);
      const done = await until(bed, name, ['succeeded', 'failed']);
      if (done.executionState !== 'succeeded')
        throw new Error(`${name} ended ${String(done.executionState)}`);
      toDone.push(Date.now() - start);
    }
    process.stdout.write(
      `single job, PUT -> running:   median ${percentile(toRunning, 50)} ms, p90 ${percentile(toRunning, 90)} ms\n` +
        `single job, PUT -> succeeded: median ${percentile(toDone, 50)} ms, p90 ${percentile(toDone, 90)} ms\n`,
    );

    const burst = 20;
    const start = Date.now();
    await Promise.all(
      Array.from({ length: burst }, (_, i) => bed.putJob(`burst-${i}`, customJob(bed, 'bench', 'true'))),
    );
    const submitted = Date.now() - start;
    for (let i = 0; i < burst; i++) await until(bed, `burst-${i}`, ['succeeded', 'failed']);
    const total = Date.now() - start;
    process.stdout.write(
      `burst of ${burst} jobs on 2 nodes: submitted in ${submitted} ms, all ended after ${total} ms ` +
        `(${((burst * 1000) / total).toFixed(2)} jobs/s)\n`,
    );
  } finally {
    await bed.stop();
  }
}
