// End to end: a pass that is not due to explain the whole queue reads only the cluster's size plus a few waiting
// jobs (orchestrations/jobs/scheduleJobsActivity.ts, quickLookAhead); when those leave a node free, it reads the
// whole look-ahead and decides again, so a short job further back still backfills the free node at once (not at
// the next housekeeping pass, which this test puts an hour away), and every job in the look-ahead is explained.
// Needs `npx tsc -p tsconfig.json` first.
import { customJob, startJobTestBed, type JobTestBed, jobEnded, type QueueInfo } from './support/jobTestBed';

let bed: JobTestBed;

beforeAll(async () => {
  // Only the first pass reads the whole look-ahead on its own (housekeeping): a later one reads it only when the
  // first few waiting jobs leave a node free, which is what this test needs to see.
  bed = await startJobTestBed({ SCHEDULER_HOUSEKEEPING_SECONDS: '3600' });
  await bed.createCluster('pair', 2);
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

test('a short job 12th in line backfills the node the first 10 leave free', async () => {
  // One node busy for an hour; the other free.
  await bed.putJob(
    'holder',
    customJob(bed, 'pair', 'exec sleep 600', { constraints: { maxWallClockTime: 'PT1H' } }),
  );
  await bed.waitForJob('holder', 'running', (p) => p.executionState === 'running');
  // Eleven 2-node jobs: the first holds the reservation (both nodes, once 'holder' ends), none can start now.
  const pairs = Array.from({ length: 11 }, (_, i) => `pair-${i + 1}`);
  for (const name of pairs) await bed.putJob(name, { ...customJob(bed, 'pair', 'true'), nodeCount: 2 });
  // The cluster's 2 nodes + 8: the first pass after it reads 10 waiting jobs, none of which fits the free node.
  await bed.putJob(
    'short',
    customJob(bed, 'pair', 'echo backfilled', { constraints: { maxWallClockTime: 'PT5M' } }),
  );
  const short = await bed.waitForJob('short', 'ended', jobEnded, 60_000);
  expect(short.executionState).toBe('succeeded');
  // Every 2-node job still waits, the first one holding the reservation, and all of them are explained with
  // their place in line (the look-ahead is 100).
  const first = await bed.waitForJob(
    'pair-1',
    'reserved',
    (p) => (p.queueInfo as QueueInfo | undefined)?.reason === 'WaitingForRunningJobs',
  );
  expect(first.executionState).toBe('queued');
  const last = await bed.waitForJob(
    'pair-11',
    'explained',
    (p) => (p.queueInfo as QueueInfo | undefined)?.position === 11,
    30_000,
  );
  expect((last.queueInfo as QueueInfo).reason).toBe('InsufficientFreeNodes');
  expect((await bed.getJob('holder')).executionState).toBe('running');
}, 180_000);
