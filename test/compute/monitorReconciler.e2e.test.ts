// The monitor reconciler through the real app on the local host: a cluster whose monitor orchestration was ended
// (as an operator could, through the Durable management API) gets it back from the reconciler's timer, and the
// monitor it starts serves the cluster (a resize takes effect). Needs `npx tsc -p tsconfig.json` first.
import { clusterTag } from '../../shared/contracts/nodeQueueNames';
import { startJobTestBed, workspace, type JobTestBed } from '../jobs/support/jobTestBed';
import { waitFor } from '../support/testEnvironment';

let bed: JobTestBed;

beforeAll(async () => {
  bed = await startJobTestBed();
  await bed.createCluster('c1', 1);
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

async function runtimeStatus(instanceId: string): Promise<string> {
  const response = await bed.env.durableInstances('GET', instanceId);
  // 202 while it runs, 200 once it ended (the Durable HTTP API); 404 when there is none.
  return response.status === 200 || response.status === 202
    ? ((await response.json()) as { runtimeStatus: string }).runtimeStatus
    : `none (${response.status})`;
}

test('a cluster whose monitor ended gets a new one from the reconciler, which serves the cluster', async () => {
  const instanceId = `clustermonitor-${clusterTag(bed.clusterId('c1').toLowerCase())}`;
  expect(['Running', 'Pending', 'ContinuedAsNew']).toContain(await runtimeStatus(instanceId));
  expect((await bed.env.durableInstances('POST', `${instanceId}/terminate?reason=test`)).status).toBe(202);
  await waitFor(`${instanceId} terminated`, async () =>
    (await runtimeStatus(instanceId)) === 'Terminated' ? true : undefined,
  );

  const response = await bed.env.invokeFunction('monitorReconciler');
  expect(response.status).toBe(202);
  await waitFor(`${instanceId} running again`, async () =>
    ['Running', 'Pending', 'ContinuedAsNew'].includes(await runtimeStatus(instanceId)) ? true : undefined,
  );
  await waitFor('the reconciler log line', async () =>
    bed.env.hostOutput().includes('clusters/c1: its monitor orchestration was not running; started again.')
      ? true
      : undefined,
  );

  // The new monitor serves the cluster. A resize reaches it as an event; nothing else restarts it here.
  const resize = await bed.api.send('PATCH', `${workspace}/clusters/c1`, {
    properties: { scaleSettings: { manual: { targetNodeCount: 2 } } },
  });
  expect(resize.status).toBe(200);
  await waitFor(
    '2 idle nodes',
    async () => {
      const cluster = await bed.api.send('GET', `${workspace}/clusters/c1`);
      const counts = (cluster.body.properties as { nodeStateCounts?: { idleNodeCount?: number } })
        .nodeStateCounts;
      return counts?.idleNodeCount === 2 ? true : undefined;
    },
    60_000,
  );
}, 120_000);
