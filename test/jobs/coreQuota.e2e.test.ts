// End to end: the location's core quota holds a cluster's growth back, whatever its scale settings were admitted
// against. An autoscale cluster admitted while the location was empty wants 2 nodes for a gang job after another
// cluster took a core: it grows to the one node the quota leaves room for, says why on the cluster (errors) and on
// the job (queueInfo), and grows the rest once the other cluster scaled down. Needs `npx tsc -p tsconfig.json`
// first.
import { SUB } from '../api/apiClient';
import { waitFor } from '../support/testEnvironment';
import {
  customJob,
  jobEnded,
  startJobTestBed,
  workspace,
  type JobTestBed,
  type QueueInfo,
} from './support/jobTestBed';

let bed: JobTestBed;

beforeAll(async () => {
  // Two dedicated cores in the location; STANDARD_D1_V2 has one.
  bed = await startJobTestBed({ BATCHAI_QUOTA_DEDICATED_CORES: '2' });
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

test('a gang job waits for the quota with the reason said, then runs when another cluster gives cores back', async () => {
  // Admitted against an empty location: its maximum (2 nodes, 2 cores) fits the quota.
  await bed.putAutoscaleCluster('auto', 2);
  // Another cluster takes one of the two cores.
  await bed.createCluster('holder', 1);

  await bed.putJob('gang', { ...customJob(bed, 'auto', 'echo ran on $AZ_BATCH_HOST_LIST'), nodeCount: 2 });
  const waiting = await bed.waitForJob(
    'gang',
    'waiting for the quota',
    (p) => (p.queueInfo as QueueInfo | undefined)?.reason === 'WaitingForQuota',
    60_000,
  );
  expect((waiting.queueInfo as QueueInfo).message).toContain(
    "the cluster must add 1 node but the location's core quota leaves room for 1 node of its size",
  );
  const held = await waitFor('one node on the autoscale cluster', async () => {
    const cluster = await bed.getCluster('auto');
    return cluster.currentNodeCount === 1 ? cluster : undefined;
  });
  expect(held.errors).toEqual([
    expect.objectContaining({
      code: 'CoreQuotaReached',
      message: expect.stringContaining(
        "The location's dedicated core quota (2) leaves room for 1 node(s) of STANDARD_D1_V2",
      ),
    }),
  ]);
  // The location's usages show the quota taken: one core each.
  const usages = await bed.api.send(
    'GET',
    `/subscriptions/${SUB}/providers/Microsoft.BatchAI/locations/eastus/usages`,
  );
  expect(
    (usages.body.value as { name: { value: string } }[]).find((usage) =>
      usage.name.value.startsWith('Total Cluster Dedicated'),
    ),
  ).toMatchObject({ currentValue: 2, limit: 2 });

  // The other cluster scales down: its core comes back, the autoscale cluster grows, the gang runs.
  const resize = await bed.api.send('PATCH', `${workspace}/clusters/holder`, {
    properties: { scaleSettings: { manual: { targetNodeCount: 0 } } },
  });
  expect(resize.status).toBe(200);
  const done = await bed.waitForJob('gang', 'ended', jobEnded, 120_000);
  expect(done.executionState).toBe('succeeded');
  expect(done.queueInfo).toBeUndefined();
  const grown = await bed.getCluster('auto');
  expect(grown.currentNodeCount).toBe(2);
  expect(grown.errors).toBeUndefined();
}, 240_000);
