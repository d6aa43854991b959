// End to end on local nodes: job secrets and the account keys of the job's own mount volumes never travel in plain
// text (raw queue messages peeked from Azurite, blobs and agent logs hold no secret value, yet the process sees it
// and its job mount is there); a scale down honours nodeDeallocationOption for a
// running job (requeue, terminate, waitforjobcompletion); a job that can never fit does not scale an autoscale pool.
// Needs `npx tsc -p tsconfig.json` first.
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import * as fs from 'fs';
import * as path from 'path';
import { clusterTag } from '../../shared/contracts/nodeQueueNames';
import type { RunTaskMessage } from '../../shared/contracts/nodeTask';
import { decodeQueueMessage } from '../../shared/contracts/wireEncoding';
import { waitFor } from '../support/testEnvironment';
import {
  customJob,
  startJobTestBed,
  workspace,
  type JobTestBed,
  queueInfoExplained,
  jobEnded,
} from './support/jobTestBed';

let bed: JobTestBed;
const secret = 'hunter2-5b7e0f9c';
const accountKey = 'c3RvcmFnZS1rZXktOWQ0ZQ==';
const registryPassword = 'acr-password-71c2';

beforeAll(async () => {
  // Long enough that a paused agent is not declared lost while the test peeks at its queue.
  bed = await startJobTestBed({ COMPUTE_NODE_LOST_AFTER_SECONDS: '60', JOB_NODE_CHECK_SECONDS: '2' });
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

function clusterKeyOf(name: string): string {
  return `${bed.clusterId(name)}`.toLowerCase();
}

function nodeDirs(cluster: string): string[] {
  const dir = path.join(bed.dataDir, 'nodes', clusterTag(clusterKeyOf(cluster)));
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => path.join(dir, e.name));
}

test('job secrets and mount keys travel sealed: queue message, blobs and agent log hold none; the process sees them', async () => {
  await bed.createCluster('peek', 1);
  const [nodeDir] = nodeDirs('peek');
  const { pid } = JSON.parse(fs.readFileSync(path.join(nodeDir, 'node.json'), 'utf8')) as { pid: number };
  const queues = QueueServiceClient.fromConnectionString(bed.env.settings.AzureWebJobsStorage);
  process.kill(pid, 'SIGSTOP'); // the agent takes nothing while paused: its message stays on the queue
  try {
    await bed.putJob(
      'sealed',
      customJob(
        bed,
        'peek',
        `test "$TOKEN" = 'hunter2-'"$REST" && test -d "$AZ_BATCHAI_JOB_MOUNT_ROOT/afs" && echo secret-ok`,
        {
          environmentVariables: [{ name: 'REST', value: secret.slice(8) }],
          secrets: [{ name: 'TOKEN', value: secret }],
          // A private image: no Docker engine here, so the command runs on the host, but the sign-in travels.
          containerSettings: {
            imageSourceRegistry: {
              serverUrl: 'teamregistry.azurecr.io',
              image: 'teamregistry.azurecr.io/trainer:1',
              credentials: { username: 'puller', password: registryPassword },
            },
          },
          mountVolumes: {
            azureFileShares: [
              {
                accountName: 'jobstore',
                azureFileUrl: 'https://jobstore.file.core.windows.net/logs',
                credentials: { accountKey },
                relativeMountPath: 'afs',
              },
            ],
          },
        },
      ),
    );
    const raw = await waitFor('the run message on the node queue', async () => {
      for await (const queue of queues.listQueues({ prefix: 'node-tasks-' })) {
        if (queue.name.endsWith('-poison')) continue;
        const peeked = await queues.getQueueClient(queue.name).peekMessages({ numberOfMessages: 32 });
        const texts = peeked.peekedMessageItems.map((m) => m.messageText);
        if (texts.length > 0) return texts;
      }
      return undefined;
    });
    for (const text of raw) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(accountKey);
      expect(text).not.toContain(registryPassword);
      const message = decodeQueueMessage(text) as RunTaskMessage;
      expect(JSON.stringify(message)).not.toContain(secret);
      expect(JSON.stringify(message)).not.toContain(accountKey);
      expect(message).toMatchObject({
        version: 4, // a registry sign-in and the job's mounts; no preparation to keep
        sealedEnvironment: expect.stringMatching(/^aesgcm1:/),
        container: {
          image: 'teamregistry.azurecr.io/trainer:1',
          registry: {
            server: 'teamregistry.azurecr.io',
            username: 'puller',
            sealedPassword: expect.stringMatching(/^aesgcm1:/),
          },
        },
        jobMounts: {
          root: expect.stringMatching(/\/mounts$/),
          volumes: [
            {
              kind: 'azureFileShare',
              relativeMountPath: 'afs',
              accountName: 'jobstore',
              azureFileUrl: 'https://jobstore.file.core.windows.net/logs',
              sealedCredentials: expect.stringMatching(/^aesgcm1:/),
            },
          ],
        },
      });
    }
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  const done = await bed.waitForJob('sealed', 'ended', jobEnded);
  expect(done.executionState).toBe('succeeded');
  // Nothing stored anywhere in Storage holds the value: every blob of every container.
  const blobs = BlobServiceClient.fromConnectionString(bed.env.settings.AzureWebJobsStorage);
  let scanned = 0;
  for await (const container of blobs.listContainers()) {
    const client = blobs.getContainerClient(container.name);
    for await (const blob of client.listBlobsFlat()) {
      const text = (await client.getBlobClient(blob.name).downloadToBuffer()).toString('utf8');
      expect(text).not.toContain(secret);
      if (text.includes('secret-ok')) scanned++;
    }
  }
  expect(scanned).toBe(1); // the job's stdout was among them
  for (const value of [secret, accountKey, registryPassword]) {
    expect(fs.readFileSync(path.join(nodeDir, 'agent.log'), 'utf8')).not.toContain(value);
    expect(JSON.stringify(await bed.getJob('sealed'))).not.toContain(value);
  }
}, 120_000);

async function scaleDownWhileRunning(
  cluster: string,
  job: string,
  option: 'requeue' | 'terminate' | 'waitforjobcompletion',
  commandLine: string,
): Promise<void> {
  await bed.createCluster(cluster, 1);
  await bed.putJob(job, customJob(bed, cluster, commandLine));
  await bed.waitForJob(job, 'running', (p) => p.executionState === 'running');
  // The node counts as running once its agent reported the task started (before that it is idle).
  await waitFor(`the node of ${cluster} running the task`, async () => {
    const counts = (await bed.getCluster(cluster)).nodeStateCounts as Record<string, number>;
    return counts.runningNodeCount === 1 ? true : undefined;
  });
  const patch = await bed.api.send('PATCH', `${workspace}/clusters/${cluster}`, {
    properties: { scaleSettings: { manual: { targetNodeCount: 0, nodeDeallocationOption: option } } },
  });
  expect(patch.status).toBe(200);
}

test('scale down with requeue: the running job goes back to the queue (attempt preempted)', async () => {
  await scaleDownWhileRunning('rq', 'requeued', 'requeue', 'exec sleep 600');
  const queued = await bed.waitForJob('requeued', 'requeued', (p) => p.executionState === 'queued', 60_000);
  expect((queued.attempts as { outcome?: string }[])[0]).toMatchObject({ outcome: 'preempted' });
  await bed.api.send('POST', `${workspace}/experiments/exp/jobs/requeued/terminate`);
}, 120_000);

test('scale down with terminate: the running job ends failed, not requeued', async () => {
  await scaleDownWhileRunning('tm', 'removed', 'terminate', 'exec sleep 600');
  const done = await bed.waitForJob('removed', 'ended', jobEnded, 60_000);
  expect(done.executionState).toBe('failed');
  expect((done.executionInfo as { errors: { code: string }[] }).errors[0].code).toBe(
    'JobTerminatedByNodeRemoval',
  );
  expect(done.attempts as unknown[]).toHaveLength(1);
}, 120_000);

test('scale down with waitforjobcompletion: the job finishes, then the node goes', async () => {
  await scaleDownWhileRunning('wf', 'finishing', 'waitforjobcompletion', 'sleep 20; echo finished');
  await waitFor('the node to be leaving', async () => {
    const counts = (await bed.getCluster('wf')).nodeStateCounts as Record<string, number>;
    return counts.leavingNodeCount === 1 ? true : undefined;
  });
  const done = await bed.waitForJob('finishing', 'ended', jobEnded, 60_000);
  expect(done.executionState).toBe('succeeded');
  await waitFor('the node removed', async () =>
    (await bed.getCluster('wf')).currentNodeCount === 0 ? true : undefined,
  );
}, 120_000);

test('a job that can never fit does not scale an autoscale pool up; a job that fits does', async () => {
  await bed.putAutoscaleCluster('auto', 1);
  await bed.putJob('huge', customJob(bed, 'auto', 'true', { nodeCount: 2 }));
  const waiting = await bed.waitForJob('huge', 'explained', queueInfoExplained);
  expect((waiting.queueInfo as { reason: string }).reason).toBe('ExceedsClusterSize');
  // Several monitor passes (every 2 s here): the pool must stay at zero.
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await bed.getCluster('auto')).currentNodeCount).toBe(0);
  }
  await bed.putJob('fits', customJob(bed, 'auto', 'echo fits'));
  const done = await bed.waitForJob('fits', 'ended', jobEnded, 90_000);
  expect(done.executionState).toBe('succeeded');
  await bed.api.send('POST', `${workspace}/experiments/exp/jobs/huge/terminate`);
}, 150_000);
