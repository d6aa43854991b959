// End to end: a cluster whose nodes run two jobs at once (`jobSlotsPerNode: 2`, an extension of Batch AI). Two jobs
// run together on its one node, a third waits for a slot and says so, and it starts on the slot the first hands back
// while the second still runs. On a GPU size the two jobs sharing a node get two of its four GPUs each. Two exits in
// one node event (`tasksExited`, as a node's agent sends exits that end together) each end their own job. Needs
// `npx tsc -p tsconfig.json` first.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { QueueServiceClient } from '@azure/storage-queue';
import { nodeEventsQueue } from '../../shared/config/resourceNames';
import { encodeQueueMessage } from '../../shared/contracts/wireEncoding';
import { attemptKey, jobLifecycleInstanceId } from '../../orchestrations/jobs/jobLifecycleContract';
import { waitFor } from '../support/testEnvironment';
import {
  customJob,
  experiment,
  startJobTestBed,
  type JobTestBed,
  type QueueInfo,
} from './support/jobTestBed';

let bed: JobTestBed;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'job-slots-'));
  bed = await startJobTestBed();
  await bed.createCluster('packed', 1, { jobSlotsPerNode: 2 });
}, 120_000);

afterAll(async () => {
  await bed?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * A job that marks its start with a file (holding the GPUs it was given and the count its variables say), then runs
 * until the test lets it end (another file).
 */
function gatedJob(name: string, cluster = 'packed'): Record<string, unknown> {
  const file = (suffix: string): string => path.join(dir, `${name}.${suffix}`);
  return customJob(
    bed,
    cluster,
    `echo "$BATCHAI_TASK_ID" > '${file('task')}'; ` +
      `echo "$CUDA_VISIBLE_DEVICES $AZ_BATCHAI_NUM_GPUS" > '${file('started')}'; ` +
      `while [ ! -e '${file('go')}' ]; do sleep 0.05; done`,
  );
}

const hasStarted = (name: string): boolean => fs.existsSync(path.join(dir, `${name}.started`));
const letEnd = (name: string): void => fs.writeFileSync(path.join(dir, `${name}.go`), '');
const isRunning = (p: Record<string, unknown>): boolean => p.executionState === 'running';
const succeeded = (p: Record<string, unknown>): boolean => p.executionState === 'succeeded';

function nodesOf(job: Record<string, unknown>): string[] {
  const attempts = job.attempts as { nodeIds?: string[] }[] | undefined;
  return attempts?.at(-1)?.nodeIds ?? [];
}

test('the cluster says how many jobs a node runs at once', async () => {
  const cluster = await bed.api.send('GET', bed.clusterId('packed'));
  expect(cluster.status).toBe(200);
  expect((cluster.body.properties as Record<string, unknown>).jobSlotsPerNode).toBe(2);
});

test('two jobs share the node; a third takes the slot the first hands back while the second runs', async () => {
  await bed.putJob('first', gatedJob('first'));
  await bed.putJob('second', gatedJob('second'));
  const [first, second] = await Promise.all([
    bed.waitForJob('first', 'running', isRunning),
    bed.waitForJob('second', 'running', isRunning),
  ]);
  await waitFor('both processes started', async () =>
    hasStarted('first') && hasStarted('second') ? true : undefined,
  );
  expect(nodesOf(first)).toHaveLength(1);
  expect(nodesOf(second)).toEqual(nodesOf(first));

  await bed.putJob('third', gatedJob('third'));
  const waiting = await bed.waitForJob('third', 'explained', (p) => {
    const reason = (p.queueInfo as QueueInfo | undefined)?.reason;
    return reason !== undefined && reason !== 'NotYetConsidered';
  });
  expect(waiting.executionState).toBe('queued');
  expect(waiting.queueInfo).toMatchObject({ position: 1, nodesNeeded: 1, nodesFree: 0 });
  expect(hasStarted('third')).toBe(false);

  letEnd('first');
  await bed.waitForJob('first', 'succeeded', succeeded);
  const third = await bed.waitForJob('third', 'running', isRunning);
  expect(nodesOf(third)).toEqual(nodesOf(first));
  await waitFor('the third process started', async () => (hasStarted('third') ? true : undefined));
  expect((await bed.getJob('second')).executionState).toBe('running');

  letEnd('second');
  letEnd('third');
  await Promise.all([
    bed.waitForJob('second', 'succeeded', succeeded),
    bed.waitForJob('third', 'succeeded', succeeded),
  ]);
});

test('jobs sharing a GPU node each get their part of its GPUs', async () => {
  // Four GPUs (the size's count on a local node), two jobs at once: two GPUs each.
  await bed.createCluster('gpus', 1, { vmSize: 'STANDARD_NC24', jobSlotsPerNode: 2 });
  await bed.putJob('gpu-a', gatedJob('gpu-a', 'gpus'));
  await bed.putJob('gpu-b', gatedJob('gpu-b', 'gpus'));
  const started = (name: string): string | undefined => {
    const text = fs.existsSync(path.join(dir, `${name}.started`))
      ? fs.readFileSync(path.join(dir, `${name}.started`), 'utf8').trim()
      : '';
    return text === '' ? undefined : text;
  };
  const [a, b] = await waitFor('both GPU jobs started', async () =>
    started('gpu-a') && started('gpu-b') ? [started('gpu-a')!, started('gpu-b')!] : undefined,
  );
  expect([a, b].sort()).toEqual(['0,1 2', '2,3 2']);
  const [jobA, jobB] = await Promise.all([bed.getJob('gpu-a'), bed.getJob('gpu-b')]);
  expect(nodesOf(jobA)).toEqual(nodesOf(jobB));
  letEnd('gpu-a');
  letEnd('gpu-b');
  await Promise.all([
    bed.waitForJob('gpu-a', 'succeeded', succeeded),
    bed.waitForJob('gpu-b', 'succeeded', succeeded),
  ]);
});

test('two exits in one node event (tasksExited) each end their own job, and both slots come back', async () => {
  // The node's agent sends exits that end together in one event (agent 1.5); when they do depends on timing, so the
  // event is written here as the agent writes it, for two jobs whose processes keep running meanwhile.
  await bed.putJob('pair-a', gatedJob('pair-a'));
  await bed.putJob('pair-b', gatedJob('pair-b'));
  const [a] = await Promise.all([
    bed.waitForJob('pair-a', 'running', isRunning),
    bed.waitForJob('pair-b', 'running', isRunning),
  ]);
  await waitFor('both processes started', async () =>
    hasStarted('pair-a') && hasStarted('pair-b') ? true : undefined,
  );
  const exitOf = (name: string, exitCode: number) => {
    const taskId = fs.readFileSync(path.join(dir, `${name}.task`), 'utf8').trim();
    const uuid = taskId.replace(/-1-master$/, '');
    return {
      taskId,
      jobId: `${experiment}/jobs/${name}`.toLowerCase(),
      attempt: 1,
      exitCode,
      reason: 'exited',
      replyTo: jobLifecycleInstanceId(uuid),
      releasesNodeOf: attemptKey(uuid, 1),
      time: new Date().toISOString(),
    };
  };
  const event = {
    schema: 'batchai.nodeEvent',
    version: 3,
    kind: 'tasksExited',
    nodeId: nodesOf(a)[0],
    clusterKey: bed.clusterId('packed').toLowerCase(),
    time: new Date().toISOString(),
    exits: [exitOf('pair-a', 0), exitOf('pair-b', 3)],
  };
  await QueueServiceClient.fromConnectionString(bed.env.stack.storageConnectionString)
    .getQueueClient(nodeEventsQueue)
    .sendMessage(encodeQueueMessage(event));
  const [endedA, endedB] = await Promise.all([
    bed.waitForJob('pair-a', 'succeeded', succeeded),
    bed.waitForJob('pair-b', 'failed', (p) => p.executionState === 'failed'),
  ]);
  expect((endedA.executionInfo as Record<string, unknown>).exitCode).toBe(0);
  expect((endedB.executionInfo as Record<string, unknown>).exitCode).toBe(3);
  // Both slots were handed back by the one event: two more jobs run on the node at once.
  await bed.putJob('pair-c', gatedJob('pair-c'));
  await bed.putJob('pair-d', gatedJob('pair-d'));
  const [c, d] = await Promise.all([
    bed.waitForJob('pair-c', 'running', isRunning),
    bed.waitForJob('pair-d', 'running', isRunning),
  ]);
  expect([nodesOf(c), nodesOf(d)]).toEqual([nodesOf(a), nodesOf(a)]);
  for (const name of ['pair-a', 'pair-b', 'pair-c', 'pair-d']) letEnd(name);
  await Promise.all([
    bed.waitForJob('pair-c', 'succeeded', succeeded),
    bed.waitForJob('pair-d', 'succeeded', succeeded),
  ]);
  // The processes' own exits, later, change nothing.
  expect((await bed.getJob('pair-b')).executionState).toBe('failed');
});
