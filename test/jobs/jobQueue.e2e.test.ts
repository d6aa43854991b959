// End to end: on a busy cluster, queued jobs say why they wait (properties.queueInfo) and start in priority order
// (high before normal before low, first come first served within a priority) when nodes come free; a pass looks
// only at the head of the queue (a look-ahead of 3 here), and jobs further back say the scheduler has not reached
// them yet. Needs `npx tsc -p tsconfig.json` first.
import {
  customJob,
  experiment,
  queueInfoExplained,
  startJobTestBed,
  type JobTestBed,
  jobEnded,
  type QueueInfo,
} from './support/jobTestBed';

let bed: JobTestBed;

beforeAll(async () => {
  // Look-ahead 3 + 1 node: a pass reads the first 4 waiting jobs of a 1-node cluster's queue.
  bed = await startJobTestBed({ SCHEDULER_QUEUE_LOOKAHEAD: '3' });
  await bed.createCluster('busy', 1);
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

test('queued jobs explain why they wait, and the high-priority job starts first when the node frees', async () => {
  await bed.putJob('blocker', customJob(bed, 'busy', 'exec sleep 600'));
  await bed.waitForJob('blocker', 'running', (p) => p.executionState === 'running');
  await bed.putJob('low', customJob(bed, 'busy', 'sleep 1', { schedulingPriority: 'low' }));
  await bed.putJob('normal', customJob(bed, 'busy', 'sleep 1'));
  await bed.putJob('high', customJob(bed, 'busy', 'sleep 1', { schedulingPriority: 'high' }));
  await bed.putJob('big', { ...customJob(bed, 'busy', 'true'), nodeCount: 2 });

  // Every pass of the scheduler rewrites the explanations: wait for the one made after all four were queued.
  await bed.waitForJob('big', 'explained', queueInfoExplained);
  const low = (
    await bed.waitForJob('low', 'third', (p) => (p.queueInfo as QueueInfo | undefined)?.position === 3)
  ).queueInfo as QueueInfo;
  expect(low).toMatchObject({ reason: 'InsufficientFreeNodes', nodesNeeded: 1, nodesFree: 0 });
  const high = (await bed.getJob('high')).queueInfo as QueueInfo;
  expect(high).toMatchObject({ position: 1, reason: 'WaitingForRunningJobs', nodesNeeded: 1, nodesFree: 0 });
  expect(high.message.length).toBeGreaterThan(10);
  expect((await bed.getJob('normal')).queueInfo).toMatchObject({
    position: 2,
    reason: 'InsufficientFreeNodes',
  });
  // Normal priority, so ahead of 'low'; it can never fit a 1-node cluster, so it blocks nobody and takes no
  // place ('low' is third).
  expect((await bed.getJob('big')).queueInfo).toMatchObject({
    position: 3,
    reason: 'ExceedsClusterSize',
    nodesNeeded: 2,
  });

  await bed.api.send('POST', `${experiment}/jobs/blocker/terminate`);
  const done = await Promise.all(
    ['high', 'normal', 'low'].map((name) => bed.waitForJob(name, 'ended', jobEnded)),
  );
  for (const job of done) expect(job.executionState).toBe('succeeded');
  const starts = done.map((job) => Date.parse((job.executionInfo as { startTime: string }).startTime));
  const ends = done.map((job) => Date.parse((job.executionInfo as { endTime: string }).endTime));
  // One node: each starts only after the one before it ended.
  expect(starts[1]).toBeGreaterThanOrEqual(ends[0]);
  expect(starts[2]).toBeGreaterThanOrEqual(ends[1]);
  expect((await bed.getJob('big')).executionState).toBe('queued');
}, 180_000);

test('on an autoscale cluster at zero nodes a job waits for the scale up, then runs on the new node', async () => {
  await bed.api.put(`${bed.clusterId('auto')}`, {
    properties: {
      vmSize: 'STANDARD_D1_V2',
      scaleSettings: { autoScale: { minimumNodeCount: 0, maximumNodeCount: 1, initialNodeCount: 0 } },
      userAccountSettings: { adminUserName: 'me', adminUserPassword: 'Passw0rd!' },
    },
  });
  await bed.putJob('scaled', customJob(bed, 'auto', 'echo scaled'));
  const queued = await bed.waitForJob('scaled', 'explained or started', queueInfoExplained);
  expect(['WaitingForScaleUp', 'WaitingForProvisioning']).toContain((queued.queueInfo as QueueInfo).reason);
  const done = await bed.waitForJob('scaled', 'ended', jobEnded, 90_000);
  expect(done.executionState).toBe('succeeded');
  expect(done.queueInfo).toBeUndefined();
}, 180_000);

test('a pass reads only the head of the queue; a high-priority job submitted last is in it, jobs further back wait their turn', async () => {
  await bed.createCluster('deep', 1);
  await bed.putJob('deep-blocker', customJob(bed, 'deep', 'exec sleep 600'));
  await bed.waitForJob('deep-blocker', 'running', (p) => p.executionState === 'running');
  const normal = ['deep-1', 'deep-2', 'deep-3', 'deep-4', 'deep-5'];
  for (const name of normal) await bed.putJob(name, customJob(bed, 'deep', 'true'));
  await bed.putJob('deep-urgent', customJob(bed, 'deep', 'true', { schedulingPriority: 'high' }));

  // The head is 4 jobs: the high-priority one first, then the normal ones in submit order. The fifth normal job
  // was never in it, so no pass has explained it.
  await bed.waitForJob('deep-urgent', 'first in line', (p) => (p.queueInfo as QueueInfo).position === 1);
  await bed.waitForJob('deep-1', 'second in line', (p) => (p.queueInfo as QueueInfo).position === 2);
  const beyond = (await bed.getJob('deep-5')).queueInfo as QueueInfo;
  expect(beyond).toMatchObject({ reason: 'NotYetConsidered', nodesNeeded: 1 });
  expect(beyond.position).toBeUndefined();
  // Three more high-priority jobs take the head: 'deep-1' is out of it, and no longer says it is second.
  const urgent = ['deep-urgent-2', 'deep-urgent-3', 'deep-urgent-4'];
  for (const name of urgent)
    await bed.putJob(name, customJob(bed, 'deep', 'true', { schedulingPriority: 'high' }));
  await bed.waitForJob('deep-urgent-4', 'in line', (p) => (p.queueInfo as QueueInfo).position === 4);
  await bed.waitForJob(
    'deep-1',
    'left behind',
    (p) => (p.queueInfo as QueueInfo).reason === 'NotYetConsidered',
    30_000,
  );

  await bed.api.send('POST', `${experiment}/jobs/deep-blocker/terminate`);
  const done = await Promise.all(
    ['deep-urgent', ...urgent, ...normal].map((name) => bed.waitForJob(name, 'ended', jobEnded)),
  );
  for (const job of done) expect(job.executionState).toBe('succeeded');
  // One node, so one after the other, in queue order: the job beyond the head ran once the head moved.
  const times = done.map((job) => job.executionInfo as { startTime: string; endTime: string });
  for (let i = 1; i < times.length; i++) {
    expect(Date.parse(times[i].startTime)).toBeGreaterThanOrEqual(Date.parse(times[i - 1].endTime));
  }
}, 180_000);

test('jobs too large for the cluster never fill the head: a job that fits behind them runs, and they say why they wait', async () => {
  await bed.createCluster('narrow', 1);
  // More 2-node jobs than the head holds (look-ahead 3 + 1 node), then a 1-node job.
  const large = ['wide-1', 'wide-2', 'wide-3', 'wide-4', 'wide-5'];
  for (const name of large) await bed.putJob(name, { ...customJob(bed, 'narrow', 'true'), nodeCount: 2 });
  await bed.putJob('fits', customJob(bed, 'narrow', 'echo fits'));
  const done = await bed.waitForJob('fits', 'ended', jobEnded, 60_000);
  expect(done.executionState).toBe('succeeded');
  for (const name of large) {
    const waiting = await bed.waitForJob(name, 'explained', (p) =>
      ['ExceedsClusterSize'].includes(String((p.queueInfo as QueueInfo | undefined)?.reason)),
    );
    expect(waiting.executionState).toBe('queued');
    expect(waiting.queueInfo).toMatchObject({ nodesNeeded: 2 });
  }
}, 180_000);

test('deleting a cluster fails its waiting jobs with ClusterNotFound, and its running job once it loses its node', async () => {
  await bed.createCluster('doomed', 1);
  await bed.putJob('doomed-running', customJob(bed, 'doomed', 'exec sleep 600'));
  await bed.waitForJob('doomed-running', 'running', (p) => p.executionState === 'running');
  await bed.putJob('doomed-waiting', customJob(bed, 'doomed', 'true'));
  await bed.waitForJob('doomed-waiting', 'explained', queueInfoExplained);
  const deleted = await bed.api.send('DELETE', bed.clusterId('doomed'));
  expect([200, 202, 204]).toContain(deleted.status);
  const codeOf = (p: Record<string, unknown>): string | undefined =>
    (p.executionInfo as { errors?: { code: string }[] } | undefined)?.errors?.[0]?.code;
  const waiting = await bed.waitForJob('doomed-waiting', 'failed', jobEnded, 60_000);
  expect(waiting.executionState).toBe('failed');
  expect(codeOf(waiting)).toBe('ClusterNotFound');
  // The running job's node went with the cluster: requeued as for any lost node, then failed the same way.
  const running = await bed.waitForJob('doomed-running', 'failed', jobEnded, 120_000);
  expect(running.executionState).toBe('failed');
  expect(codeOf(running)).toBe('ClusterNotFound');
  expect((running.attempts as { outcome?: string }[])[0].outcome).toBe('preempted');
}, 240_000);

test('a job waiting for a resize starts once the nodes the resize added are ready, its idle scheduler woken', async () => {
  await bed.createCluster('small', 1);
  await bed.putJob('needs-two', { ...customJob(bed, 'small', 'echo two'), nodeCount: 2 });
  const waiting = await bed.waitForJob('needs-two', 'explained', (p) =>
    ['ExceedsClusterSize'].includes(String((p.queueInfo as QueueInfo | undefined)?.reason)),
  );
  // A queued job has no lifecycle of its own to ask for passes: the scheduler must be woken by the node.
  const uuid = String(waiting.jobOutputDirectoryPathSegment).split('/').at(-1)!;
  expect((await bed.env.durableInstances('GET', `job-${uuid}`)).status).toBe(404);
  const patch = await bed.api.send('PATCH', bed.clusterId('small'), {
    properties: { scaleSettings: { manual: { targetNodeCount: 2 } } },
  });
  expect(patch.status).toBe(200);
  // The node event of the added node asks for a pass.
  const done = await bed.waitForJob('needs-two', 'ended', jobEnded, 40_000);
  expect(done.executionState).toBe('succeeded');
}, 180_000);
