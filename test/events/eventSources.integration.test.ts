// Event sources through the real host and app (Azurite, Cosmos emulator): queue submissions (idempotent, rejected
// with the reason at once), Event Grid blob-created events (both schemas) against scoring rules, the handshake,
// job schedules evaluated by the timer function, and the rules/schedules API. Jobs are asserted CREATED (queued,
// with the right properties); the cluster has no nodes, so they stay queued. Needs `npx tsc -p tsconfig.json`.
import { QueueClient } from '@azure/storage-queue';
import { createHash, randomBytes, randomUUID } from 'crypto';
import { ApiClient, SUB, workspacePath } from '../api/apiClient';
import { CosmosEventSourceStore } from '../../shared/adapters/cosmos/cosmosEventSourceStore';
import { CosmosResourceStore } from '../../shared/adapters/cosmos/cosmosResourceStore';
import { AesGcmSecretProtector } from '../../shared/crypto/aesGcmSecretProtector';
import { definitionView, putDefinition } from '../../shared/domain/eventSources/definitionService';
import type { EventSourceDeps } from '../../shared/domain/eventSources/eventSourceDeps';
import {
  blobBatchId,
  blobBatchJobName,
  scheduledJobName,
} from '../../shared/domain/eventSources/eventJobName';
import {
  workspaceKeyOf,
  type EventSourceStore,
  type JobScheduleRecord,
} from '../../shared/domain/eventSources/eventSourceStore';
import { runDueSchedules } from '../../shared/domain/eventSources/scheduleService';
import { defaultQuotas } from '../../shared/config/quotaConfig';
import { createCosmosClient } from '../../runtime/stack/cosmosClient';
import { startTestEnvironment, waitFor, type TestEnvironment } from '../support/testEnvironment';

const workspace = workspacePath('eventsrg', 'ws');
const experiment = `${workspace}/experiments/exp`;
const clusterId = `${workspace}/clusters/c0`;

let env: TestEnvironment;
let api: ApiClient;
const secretsKey = randomBytes(32);

function eventSourceStore(): CosmosEventSourceStore {
  return new CosmosEventSourceStore(
    createCosmosClient(env.settings.COSMOS_ENDPOINT, env.settings.COSMOS_KEY),
    env.settings.COSMOS_DATABASE,
  );
}

function jobTemplate(commandLine = 'python score.py {blobName}'): Record<string, unknown> {
  return {
    properties: {
      nodeCount: 1,
      cluster: { id: clusterId },
      stdOutErrPathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/logs',
      customToolkitSettings: { commandLine },
    },
  };
}

function queue(name: string): QueueClient {
  return new QueueClient(env.settings.AzureWebJobsStorage, name);
}

async function sendSubmission(message: unknown): Promise<void> {
  const text = typeof message === 'string' ? message : JSON.stringify(message);
  await queue('job-submissions').sendMessage(Buffer.from(text, 'utf8').toString('base64'));
}

async function receiveAll(name: string): Promise<Record<string, unknown>[]> {
  const client = queue(name);
  if (!(await client.exists())) return [];
  const { receivedMessageItems } = await client.receiveMessages({ numberOfMessages: 32 });
  for (const m of receivedMessageItems) await client.deleteMessage(m.messageId, m.popReceipt);
  return receivedMessageItems.map(
    (m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as Record<string, unknown>,
  );
}

async function getJob(name: string): Promise<Record<string, unknown> | undefined> {
  const response = await api.send('GET', `${experiment}/jobs/${name}`);
  return response.status === 200 ? (response.body.properties as Record<string, unknown>) : undefined;
}

async function listJobNames(): Promise<string[]> {
  const response = await api.send('GET', `${experiment}/jobs`);
  return (response.body.value as { name: string }[]).map((j) => j.name);
}

function submission(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schema: 'batchai.jobSubmission',
    version: 1,
    submissionId: `sub-${randomUUID()}`,
    subscriptionId: SUB,
    resourceGroup: 'eventsrg',
    workspace: 'ws',
    experiment: 'exp',
    job: jobTemplate('echo hello'),
    ...overrides,
  };
}

function postEvents(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${env.baseUrl}/runtime/webhooks/eventgrid?functionName=scoringBlobEvents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-functions-key': env.masterKey, ...headers },
    body: JSON.stringify(body),
  });
}

function gridBlobEvent(id: string, container: string, blobName: string): Record<string, unknown> {
  return {
    id,
    topic: `/subscriptions/${SUB}/resourceGroups/data/providers/Microsoft.Storage/storageAccounts/devstoreaccount1`,
    subject: `/blobServices/default/containers/${container}/blobs/${blobName}`,
    eventType: 'Microsoft.Storage.BlobCreated',
    eventTime: new Date().toISOString(),
    dataVersion: '',
    metadataVersion: '1',
    data: {
      api: 'PutBlob',
      blobType: 'BlockBlob',
      contentLength: 12,
      url: `http://127.0.0.1:10000/devstoreaccount1/${container}/${blobName}`,
    },
  };
}

function environmentOf(job: Record<string, unknown>): Record<string, string> {
  const variables = (job.environmentVariables ?? []) as { name: string; value: string }[];
  return Object.fromEntries(variables.map((v) => [v.name, v.value]));
}

beforeAll(async () => {
  env = await startTestEnvironment({
    settings: { SECRETS_ENCRYPTION_KEY: secretsKey.toString('base64') },
  });
  api = new ApiClient(env.baseUrl);
  await api.put(workspace, { location: 'eastus' });
  await api.put(experiment);
  await api.put(clusterId, {
    properties: {
      vmSize: 'STANDARD_D1_V2',
      scaleSettings: { manual: { targetNodeCount: 0 } },
      userAccountSettings: { adminUserName: 'me', adminUserPassword: 'Passw0rd!' },
    },
  });
}, 120_000);

/** A cluster of no nodes in `workspacePathOf` and a template naming it (templates name their own workspace's). */
async function clusterAndTemplate(
  workspacePathOf: string,
  commandLine?: string,
): Promise<Record<string, unknown>> {
  const cluster = `${workspacePathOf}/clusters/c0`;
  await api.put(cluster, {
    properties: {
      vmSize: 'STANDARD_D1_V2',
      scaleSettings: { manual: { targetNodeCount: 0 } },
      userAccountSettings: { adminUserName: 'me', adminUserPassword: 'Passw0rd!' },
    },
  });
  const template = jobTemplate(commandLine);
  return { ...template, properties: { ...(template.properties as object), cluster: { id: cluster } } };
}

afterAll(async () => {
  await env?.stop();
});

describe('queue submissions', () => {
  it('creates the job of a queued submission once, even when the message is delivered twice', async () => {
    const message = submission({ jobName: 'from-queue' });
    await sendSubmission(message);
    await sendSubmission(message);
    const job = await waitFor('the submitted job', () => getJob('from-queue'), 30_000);
    expect(job.executionState).toBe('queued');
    expect((job.customToolkitSettings as { commandLine: string }).commandLine).toBe('echo hello');
    expect((job.cluster as { id: string }).id.toLowerCase()).toBe(clusterId.toLowerCase());
    // Both deliveries are processed (the queue drains), and still one job with that name exists.
    await waitFor('the submissions queue to drain', async () => {
      const props = await queue('job-submissions').getProperties();
      return props.approximateMessagesCount === 0 ? true : undefined;
    });
    expect((await listJobNames()).filter((n) => n === 'from-queue')).toHaveLength(1);
    expect(await receiveAll('job-submissions-rejected')).toEqual([]);
  });

  it('names a job without jobName after its submissionId and replies on the reply queue', async () => {
    const replyTo = `replies-${randomBytes(4).toString('hex')}`;
    const message = submission({ submissionId: 'order-4711', replyTo });
    await sendSubmission(message);
    const replies = await waitFor('a reply', async () => {
      const received = await receiveAll(replyTo);
      return received.length > 0 ? received : undefined;
    });
    expect(replies[0]).toMatchObject({
      schema: 'batchai.jobSubmissionResult',
      submissionId: 'order-4711',
      status: 'accepted',
      jobName: expect.stringMatching(/^submission-[0-9a-f]{24}$/),
    });
    expect(await getJob(replies[0].jobName as string)).toMatchObject({ executionState: 'queued' });
    // The submitter deletes its reply queue after use: the next reply to that name creates it again.
    await queue(replyTo).delete();
    await sendSubmission(submission({ submissionId: 'order-4712', replyTo }));
    const again = await waitFor('a reply to the deleted reply queue', async () => {
      const received = await receiveAll(replyTo);
      return received.length > 0 ? received : undefined;
    });
    expect(again[0]).toMatchObject({ submissionId: 'order-4712', status: 'accepted' });
  });

  it('sets malformed and refused submissions aside at once with the reason, secrets redacted', async () => {
    // Truncated JSON: not redactable, so its text (with the secret) must not be copied.
    const truncated =
      '{"submissionId":"cut","job":{"properties":{"secrets":[{"name":"T","value":"cut-secret-9"}]';
    await sendSubmission(truncated);
    await sendSubmission(submission({ submissionId: 'bad-version', version: 9 }));
    await sendSubmission(
      submission({
        submissionId: 'bad-node-count',
        job: {
          properties: {
            ...(jobTemplate().properties as object),
            nodeCount: 0,
            secrets: [{ name: 'TOKEN', value: 'hunter2-secret' }],
          },
        },
      }),
    );
    await sendSubmission(submission({ submissionId: 'no-workspace', workspace: 'missing' }));
    const rejected: Record<string, unknown>[] = [];
    await waitFor(
      'four rejected submissions',
      async () => {
        rejected.push(...(await receiveAll('job-submissions-rejected')));
        return rejected.length >= 4 ? true : undefined;
      },
      30_000,
    );
    // Set aside on the first delivery (dequeueCount 1), not after maxDequeueCount retries.
    expect(rejected.map((r) => r.dequeueCount)).toEqual([1, 1, 1, 1]);
    const bySubmission = new Map(rejected.map((r) => [String(r.submissionId ?? 'unparsed'), r]));
    expect(bySubmission.get('unparsed')).toMatchObject({
      reason: { code: 'InvalidMessage', target: 'message' },
      message: {
        length: truncated.length,
        sha256: createHash('sha256').update(truncated).digest('hex'),
      },
    });
    expect(JSON.stringify(rejected)).not.toContain('cut-secret-9');
    expect(bySubmission.get('bad-version')).toMatchObject({
      reason: { code: 'InvalidMessage', target: 'message.version' },
    });
    expect(bySubmission.get('bad-node-count')).toMatchObject({
      dequeueCount: 1,
      reason: { target: 'job.properties.nodeCount' },
    });
    expect(JSON.stringify(rejected)).not.toContain('hunter2-secret');
    expect(bySubmission.get('no-workspace')).toMatchObject({
      reason: { code: 'ParentResourceNotFound', target: 'message.workspace' },
    });
    expect(await receiveAll('job-submissions-poison')).toEqual([]);
  });
});

describe('queue submissions: invalid addresses', () => {
  it("names the message's own field when its jobName, workspace or resource group is invalid", async () => {
    await sendSubmission(submission({ submissionId: 'bad-job-name', jobName: 'no spaces allowed' }));
    await sendSubmission(submission({ submissionId: 'bad-workspace', workspace: 'bad/ws' }));
    await sendSubmission(submission({ submissionId: 'bad-group', resourceGroup: 'bad group!' }));
    const rejected: Record<string, unknown>[] = [];
    await waitFor(
      'three rejected submissions',
      async () => {
        rejected.push(...(await receiveAll('job-submissions-rejected')));
        return rejected.length >= 3 ? true : undefined;
      },
      30_000,
    );
    const targets = Object.fromEntries(
      rejected.map((r) => [String(r.submissionId), (r.reason as { target?: string }).target]),
    );
    expect(targets).toEqual({
      'bad-job-name': 'message.jobName',
      'bad-workspace': 'message.workspace',
      'bad-group': 'message.resourceGroup',
    });
  });
});

describe('queue submissions: redelivered after their cluster was deleted', () => {
  it('confirms the job the message created before, and still refuses another body under that name', async () => {
    const doomed = `${workspace}/clusters/doomed`;
    await api.put(doomed, {
      properties: {
        vmSize: 'STANDARD_D1_V2',
        scaleSettings: { manual: { targetNodeCount: 0 } },
        userAccountSettings: { adminUserName: 'me', adminUserPassword: 'Passw0rd!' },
      },
    });
    const replyTo = `replies-${randomBytes(4).toString('hex')}`;
    const properties = { ...(jobTemplate('echo once').properties as object), cluster: { id: doomed } };
    const message = submission({ jobName: 'outlives-its-cluster', replyTo, job: { properties } });
    const other = submission({
      jobName: 'outlives-its-cluster',
      replyTo,
      job: { properties: { ...properties, customToolkitSettings: { commandLine: 'echo other' } } },
    });
    const replies: Record<string, unknown>[] = [];
    const collect = (count: number) => async () => {
      replies.push(...(await receiveAll(replyTo)));
      return replies.length >= count ? true : undefined;
    };
    await sendSubmission(message);
    await waitFor('the first reply', collect(1), 30_000);
    expect(replies[0]).toMatchObject({ status: 'accepted', alreadyExisted: false });

    const deleted = await api.send('DELETE', doomed);
    expect(deleted.status).toBe(202);
    expect((await api.waitForOperation(deleted)).status).toBe('Succeeded');
    expect((await api.send('GET', doomed)).status).toBe(404);
    // The same message again (a redelivery: its visibility timeout ran out before it was deleted), and another
    // body naming the same job.
    await sendSubmission(message);
    await sendSubmission(other);
    await waitFor('two more replies', collect(3), 30_000);
    const bySubmission = new Map(replies.slice(1).map((r) => [r.submissionId, r]));
    expect(bySubmission.get(message.submissionId)).toMatchObject({
      status: 'accepted',
      alreadyExisted: true,
      jobName: 'outlives-its-cluster',
    });
    expect(bySubmission.get(other.submissionId)).toMatchObject({
      status: 'rejected',
      error: { target: 'job.properties.cluster.id' },
    });
    const rejected: Record<string, unknown>[] = [];
    await waitFor('the rejected copy', async () => {
      rejected.push(...(await receiveAll('job-submissions-rejected')));
      return rejected.length > 0 ? true : undefined;
    });
    expect(rejected.map((r) => r.submissionId)).toEqual([other.submissionId]);
    expect(await getJob('outlives-its-cluster')).toMatchObject({
      customToolkitSettings: { commandLine: 'echo once' },
    });
  });
});

describe('Event Grid: blob created -> scoring rules', () => {
  beforeAll(async () => {
    const response = await api.send('PUT', `${workspace}/scoringRules/score-csv`, {
      properties: {
        source: { container: 'incoming', blobPrefix: 'batch/', blobSuffix: '.csv' },
        experimentName: 'exp',
        jobTemplate: jobTemplate('python score.py --input {blobUrl}'),
      },
    });
    expect(response.status).toBe(201);
  });

  it('answers the subscription validation handshake', async () => {
    const response = await postEvents([
      {
        id: randomUUID(),
        topic: '/subscriptions/x',
        subject: '',
        eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
        eventTime: new Date().toISOString(),
        data: { validationCode: 'code-123' },
        dataVersion: '1',
      },
    ]);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ validationResponse: 'code-123' });
  });

  it('creates one job with the blob URL for a matching Event Grid event, also when redelivered', async () => {
    const event = gridBlobEvent(`grid-${randomUUID()}`, 'incoming', 'batch/day1.csv');
    expect((await postEvents([event])).status).toBe(200);
    expect((await postEvents([event])).status).toBe(200);
    const names = (await listJobNames()).filter((n) => n.startsWith('score-csv-'));
    expect(names).toHaveLength(1);
    const job = (await getJob(names[0]))!;
    expect(job.executionState).toBe('queued');
    const variables = environmentOf(job);
    expect(variables.AZ_BATCHAI_INPUT_BLOB_URL).toBe((event.data as { url: string }).url);
    expect(variables.AZ_BATCHAI_INPUT_BLOB_NAME).toBe('batch/day1.csv');
    expect(variables.AZ_BATCHAI_INPUT_BLOB_CONTAINER).toBe('incoming');
    expect((job.customToolkitSettings as { commandLine: string }).commandLine).toBe(
      `python score.py --input ${(event.data as { url: string }).url}`,
    );
  });

  it('creates a job for a matching CloudEvents event and none for non-matching blobs', async () => {
    const before = new Set(await listJobNames());
    const cloud = {
      specversion: '1.0',
      id: `cloud-${randomUUID()}`,
      source: `/subscriptions/${SUB}/resourceGroups/data/providers/Microsoft.Storage/storageAccounts/devstoreaccount1`,
      type: 'Microsoft.Storage.BlobCreated',
      time: new Date().toISOString(),
      subject: '/blobServices/default/containers/incoming/blobs/batch/day2.csv',
      data: { url: 'http://127.0.0.1:10000/devstoreaccount1/incoming/batch/day2.csv' },
    };
    const response = await postEvents(cloud, { 'content-type': 'application/cloudevents+json' });
    expect(response.status).toBe(200);
    expect((await postEvents([gridBlobEvent(randomUUID(), 'incoming', 'batch/day3.txt')])).status).toBe(200);
    expect((await postEvents([gridBlobEvent(randomUUID(), 'other', 'batch/day4.csv')])).status).toBe(200);
    const added = (await listJobNames()).filter((n) => !before.has(n));
    expect(added).toHaveLength(1);
    expect(environmentOf((await getJob(added[0]))!).AZ_BATCHAI_INPUT_BLOB_NAME).toBe('batch/day2.csv');
  });
});

describe('Event Grid: batching scoring rules', () => {
  it('gathers blobs arriving within the window into one job listing every blob', async () => {
    const put = await api.send('PUT', `${workspace}/scoringRules/batched`, {
      properties: {
        source: { container: 'batched' },
        experimentName: 'exp',
        jobTemplate: jobTemplate('python score.py --count {blobCount}'),
        batching: { windowSeconds: 3 },
      },
    });
    expect(put.status).toBe(201);
    // One event time for all three, so they fall in one window whatever the clock does between them.
    const eventTime = new Date().toISOString();
    const events: Record<string, unknown>[] = ['a.csv', 'b.csv', 'c.csv'].map((name) => ({
      ...gridBlobEvent(randomUUID(), 'batched', name),
      eventTime,
    }));
    expect((await postEvents(events)).status).toBe(200);
    expect((await postEvents([events[1]])).status).toBe(200); // a redelivery adds nothing
    const name = await waitFor(
      'the batch job',
      async () => (await listJobNames()).find((n) => n.startsWith('batched-b')),
      30_000,
    );
    const job = (await getJob(name))!;
    const variables = environmentOf(job);
    expect(variables.AZ_BATCHAI_INPUT_BLOB_COUNT).toBe('3');
    expect(variables.AZ_BATCHAI_INPUT_BLOB_URLS.split('\n')).toEqual(
      events.map((e) => (e.data as { url: string }).url),
    );
    expect((job.customToolkitSettings as { commandLine: string }).commandLine).toBe(
      'python score.py --count 3',
    );
    expect((await listJobNames()).filter((n) => n.startsWith('batched-'))).toEqual([name]);
  });

  it('expires batches past the retention: closed ones are deleted, one whose wake-up was lost is flushed first', async () => {
    const put = await api.send('PUT', `${workspace}/scoringRules/aged`, {
      properties: {
        source: { container: 'aged' },
        experimentName: 'exp',
        jobTemplate: jobTemplate('python score.py --count {blobCount}'),
        batching: { windowSeconds: 60 },
      },
    });
    expect(put.status).toBe(201);
    const store = eventSourceStore();
    const address = { subscriptionId: SUB, resourceGroup: 'eventsrg', workspace: 'ws' };
    const minute = (hoursAgo: number): Date =>
      new Date(Math.floor((Date.now() - hoursAgo * 3600_000) / 60_000) * 60_000);
    // Three days old, closed by its wake-up (its job created); three days old and still open (its wake-up lost);
    // an hour old and closed: within the retention (48 hours by default), so kept.
    const closedOld = minute(72);
    const lost = minute(71);
    const recent = minute(1);
    const event = (name: string, at: Date): Record<string, unknown> => ({
      ...gridBlobEvent(randomUUID(), 'aged', name),
      eventTime: new Date(at.getTime() + 5_000).toISOString(),
    });
    expect((await postEvents([event('old.csv', closedOld), event('new.csv', recent)])).status).toBe(200);
    const jobOf = (at: Date): string => blobBatchJobName('aged', at, 0);
    await waitFor('the two batch jobs', async () => {
      const names = await listJobNames();
      return names.includes(jobOf(closedOld)) && names.includes(jobOf(recent)) ? true : undefined;
    });
    const idOf = (at: Date): string => blobBatchId(workspaceKeyOf(address), 'aged', at, 0);
    await store.createBatch({
      id: idOf(lost),
      workspace: address,
      ruleName: 'aged',
      windowStart: lost.toISOString(),
      part: 0,
      blobs: [
        {
          eventId: randomUUID(),
          url: 'http://127.0.0.1:10000/devstoreaccount1/aged/lost.csv',
          storageAccount: 'devstoreaccount1',
          container: 'aged',
          blobName: 'lost.csv',
        },
      ],
    });
    expect((await listJobNames()).includes(jobOf(lost))).toBe(false);
    const expire = async (): Promise<void> => {
      const response = await env.invokeFunction('scoringBatchesExpiry');
      expect(response.status).toBe(202);
    };
    await expire();
    await waitFor('the lost batch flushed and the old closed one deleted', async () =>
      (await store.getBatch(idOf(closedOld))) === undefined &&
      (await store.getBatch(idOf(lost)))?.batch.jobName !== undefined
        ? true
        : undefined,
    );
    // The batch names its job before the job is created (a flush that stops in between creates it at its retry).
    const flushed = await waitFor('the flushed batch job', () => getJob(jobOf(lost)));
    expect(environmentOf(flushed).AZ_BATCHAI_INPUT_BLOB_NAMES).toBe('lost.csv');
    expect((await store.getBatch(idOf(recent)))?.batch.jobName).toBe(jobOf(recent));
    await expire(); // the next run deletes the batch it flushed
    await waitFor('the flushed batch deleted', async () =>
      (await store.getBatch(idOf(lost))) === undefined ? true : undefined,
    );
    expect((await store.getBatch(idOf(recent)))?.batch.jobName).toBe(jobOf(recent));
    // The jobs stay: only the bookkeeping of their batches went.
    expect(await listJobNames()).toEqual(
      expect.arrayContaining([jobOf(closedOld), jobOf(lost), jobOf(recent)]),
    );
  });
});

describe('Event Grid: batches whose flush failed after closing them', () => {
  // A flush closes its batch (names the job) before creating the job; when the creation fails on every delivery
  // (Cosmos briefly down), the wake-up is given up with the batch closed and no job. Seeded here as that state.
  const address = { subscriptionId: SUB, resourceGroup: 'eventsrg', workspace: 'ws' };
  const minute = (hoursAgo: number): Date =>
    new Date(Math.floor((Date.now() - hoursAgo * 3600_000) / 60_000) * 60_000);
  const idOf = (at: Date): string => blobBatchId(workspaceKeyOf(address), 'stuck', at, 0);
  const jobOf = (at: Date): string => blobBatchJobName('stuck', at, 0);

  async function seedClosedBatch(at: Date, eventId: string, blobName: string): Promise<void> {
    await eventSourceStore().createBatch({
      id: idOf(at),
      workspace: address,
      ruleName: 'stuck',
      windowStart: at.toISOString(),
      part: 0,
      blobs: [
        {
          eventId,
          url: `http://127.0.0.1:10000/devstoreaccount1/stuck/${blobName}`,
          storageAccount: 'devstoreaccount1',
          container: 'stuck',
          blobName,
        },
      ],
      jobName: jobOf(at),
    });
  }

  beforeAll(async () => {
    const put = await api.send('PUT', `${workspace}/scoringRules/stuck`, {
      properties: {
        source: { container: 'stuck' },
        experimentName: 'exp',
        jobTemplate: jobTemplate('python score.py --count {blobCount}'),
        batching: { windowSeconds: 60 },
      },
    });
    expect(put.status).toBe(201);
  });

  it('creates the job of a closed batch without one at expiry, and deletes the batch only after that', async () => {
    const at = minute(70);
    await seedClosedBatch(at, randomUUID(), 'closed-old.csv');
    const store = eventSourceStore();
    expect(await getJob(jobOf(at))).toBeUndefined();
    expect((await env.invokeFunction('scoringBatchesExpiry')).status).toBe(202);
    const job = await waitFor('the closed batch job', () => getJob(jobOf(at)));
    expect(environmentOf(job).AZ_BATCHAI_INPUT_BLOB_NAMES).toBe('closed-old.csv');
    await waitFor('the job recorded on the batch', async () =>
      (await store.getBatch(idOf(at)))?.batch.jobCreated === true ? true : undefined,
    );
    expect((await env.invokeFunction('scoringBatchesExpiry')).status).toBe(202);
    await waitFor('the batch deleted', async () =>
      (await store.getBatch(idOf(at))) === undefined ? true : undefined,
    );
    expect((await listJobNames()).filter((n) => n === jobOf(at))).toEqual([jobOf(at)]);
  });

  it('flushes a closed batch without a job again when Event Grid redelivers one of its events', async () => {
    const at = minute(0.1);
    const eventId = `stuck-${randomUUID()}`;
    await seedClosedBatch(at, eventId, 'closed-recent.csv');
    const redelivered = {
      ...gridBlobEvent(eventId, 'stuck', 'closed-recent.csv'),
      eventTime: new Date(at.getTime() + 5_000).toISOString(),
    };
    expect((await postEvents([redelivered])).status).toBe(200);
    const job = await waitFor('the closed batch job', () => getJob(jobOf(at)), 30_000);
    expect(environmentOf(job).AZ_BATCHAI_INPUT_BLOB_NAMES).toBe('closed-recent.csv');
    await waitFor('the job recorded on the batch', async () =>
      (await eventSourceStore().getBatch(idOf(at)))?.batch.jobCreated === true ? true : undefined,
    );
  });
});

describe('Event Grid: compute events', () => {
  it('logs a scale set event and signals the cluster monitor it names', async () => {
    const subject = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/batchai-c0-0123456789`;
    const response = await fetch(`${env.baseUrl}/runtime/webhooks/eventgrid?functionName=computeEvents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-functions-key': env.masterKey },
      body: JSON.stringify([
        {
          id: randomUUID(),
          topic: `/subscriptions/${SUB}/resourceGroups/rg`,
          subject,
          eventType: 'Microsoft.Resources.ResourceDeleteSuccess',
          eventTime: new Date().toISOString(),
          data: { operationName: 'Microsoft.Compute/virtualMachineScaleSets/delete' },
          dataVersion: '',
        },
      ]),
    });
    expect(response.status).toBe(200);
    await waitFor('the compute event in the log', async () =>
      env.hostOutput().includes(`Compute event Microsoft.Resources.ResourceDeleteSuccess`) &&
      env.hostOutput().includes('clustermonitor-c0-0123456789')
        ? true
        : undefined,
    );
  });
});

describe('job schedules', () => {
  async function tick(): Promise<void> {
    const response = await env.invokeFunction('jobSchedulesTimer');
    expect(response.status).toBe(202);
  }

  it('refuses a template naming a cluster the workspace does not have (400 naming the field), nothing saved', async () => {
    const template = jobTemplate('echo never');
    const properties = { ...(template.properties as object), cluster: { id: `${workspace}/clusters/none` } };
    const put = await api.send('PUT', `${workspace}/jobSchedules/orphan`, {
      properties: {
        schedule: '0 0 * * * *',
        experimentName: 'exp',
        jobTemplate: { ...template, properties },
      },
    });
    expect(put.status).toBe(400);
    expect(put.body.error).toMatchObject({
      code: 'InvalidResourceReference',
      target: 'properties.jobTemplate.properties.cluster.id',
    });
    expect((await api.send('GET', `${workspace}/jobSchedules/orphan`)).status).toBe(404);
  });

  it('creates exactly one job for a schedule due in the past, named after its due time', async () => {
    const startTime = new Date(Date.now() - 3 * 3600_000).toISOString();
    const put = await api.send('PUT', `${workspace}/jobSchedules/hourly`, {
      properties: {
        schedule: '0 0 * * * *',
        experimentName: 'exp',
        jobTemplate: jobTemplate('score {scheduledTime}'),
        startTime,
      },
    });
    expect(put.status).toBe(201);
    await tick();
    const schedule = await waitFor('the schedule to record its run', async () => {
      const response = await api.send('GET', `${workspace}/jobSchedules/hourly`);
      const properties = response.body.properties as Record<string, unknown>;
      return properties.lastRun ? properties : undefined;
    });
    const lastRun = schedule.lastRun as { result: string; jobName: string; dueTime: string; missed?: number };
    expect(lastRun.result).toBe('created');
    expect(lastRun.missed).toBe(2); // three due hours collapsed into the latest
    const due = new Date();
    due.setUTCMinutes(0, 0, 0);
    expect(lastRun.dueTime).toBe(due.toISOString());
    const job = (await getJob(lastRun.jobName))!;
    expect(job.executionState).toBe('queued');
    expect(environmentOf(job).AZ_BATCHAI_SCHEDULED_TIME).toBe(due.toISOString());
    // The next tick finds nothing due: still one job from this schedule.
    await tick();
    await new Promise((r) => setTimeout(r, 1500));
    expect((await listJobNames()).filter((n) => n.startsWith('hourly-'))).toEqual([lastRun.jobName]);
  });
});

// The schedule service driven from the test with its own clock (in 2100, so the host's own ticks, on the real
// clock, never find these schedules due), against the same Cosmos emulator, seeing only the schedules named.
describe('job schedules: start time, re-enabling and outcomes', () => {
  let clock = new Date(0);
  let deps: EventSourceDeps;
  const address = { subscriptionId: SUB, resourceGroup: 'eventsrg', workspace: 'ws' };

  function onlySchedules(store: EventSourceStore, names: string[]): EventSourceStore {
    return Object.assign(Object.create(store) as EventSourceStore, {
      enabledSchedules: async () =>
        (await store.enabledSchedules()).filter((s) => names.includes(s.record.name)),
    });
  }

  function scheduleBody(properties: Record<string, unknown>): Record<string, unknown> {
    return {
      properties: {
        schedule: '0 0 * * * *',
        experimentName: 'exp',
        jobTemplate: jobTemplate('score {scheduledTime}'),
        ...properties,
      },
    };
  }

  async function put(name: string, at: string, properties: Record<string, unknown>): Promise<void> {
    clock = new Date(at);
    await putDefinition(deps, 'jobSchedule', address, name, scheduleBody(properties));
  }

  async function tick(name: string, at: string): Promise<Record<string, unknown> | undefined> {
    clock = new Date(at);
    const outcomes = await runDueSchedules({ ...deps, store: onlySchedules(deps.store, [name]) }, clock);
    const outcome = outcomes.find((o) => o.schedule === name);
    return outcome && { result: outcome.result, dueTime: outcome.dueTime, jobName: outcome.jobName };
  }

  beforeAll(() => {
    const cosmos = createCosmosClient(env.settings.COSMOS_ENDPOINT, env.settings.COSMOS_KEY);
    deps = {
      service: {
        store: new CosmosResourceStore(cosmos, env.settings.COSMOS_DATABASE),
        secrets: new AesGcmSecretProtector(secretsKey),
        quotas: defaultQuotas,
        now: () => clock,
        newId: randomUUID,
      },
      store: eventSourceStore(),
      batches: { scheduleFlush: async () => undefined },
    };
  });

  it('runs no occurrence before a startTime that a PUT moved later, and runs the one at startTime', async () => {
    await put('later-start', '2100-01-01T00:30:00Z', { startTime: '2100-01-01T00:00:00Z' });
    await put('later-start', '2100-01-01T00:40:00Z', { startTime: '2100-01-01T05:00:00Z' });
    expect(await tick('later-start', '2100-01-01T03:30:00Z')).toBeUndefined();
    expect(await tick('later-start', '2100-01-01T05:00:00Z')).toEqual({
      result: 'created',
      dueTime: '2100-01-01T05:00:00.000Z',
      jobName: 'later-start-21000101T050000',
    });
  });

  it('runs no catch-up job for due times that passed while the schedule was disabled', async () => {
    // overlapPolicy allow: the earlier job stays queued (the cluster has no nodes), and must not hide the outcome.
    const properties = { startTime: '2100-02-01T00:00:00Z', overlapPolicy: 'allow' };
    await put('paused', '2100-02-01T00:30:00Z', properties);
    expect(await tick('paused', '2100-02-01T01:00:30Z')).toMatchObject({
      result: 'created',
      dueTime: '2100-02-01T01:00:00.000Z',
    });
    await put('paused', '2100-02-01T01:10:00Z', { ...properties, enabled: false });
    await put('paused', '2100-02-01T05:30:00Z', { ...properties, enabled: true });
    expect(await tick('paused', '2100-02-01T05:40:00Z')).toBeUndefined();
    expect(await tick('paused', '2100-02-01T06:00:00Z')).toEqual({
      result: 'created',
      dueTime: '2100-02-01T06:00:00.000Z',
      jobName: 'paused-21000201T060000',
    });
    expect((await listJobNames()).filter((n) => n.startsWith('paused-')).sort()).toEqual([
      'paused-21000201T010000',
      'paused-21000201T060000',
    ]);
  });

  it('takes a startTime moved earlier or removed at once (a typo of 2105 for 2100 is not binding)', async () => {
    const nextRunTime = async (name: string): Promise<unknown> => {
      const stored = await deps.store.get('jobSchedule', address, name);
      return (definitionView(stored!.record, clock).properties as Record<string, unknown>).nextRunTime;
    };
    await put('typo', '2100-04-01T00:30:00Z', { startTime: '2105-01-01T00:00:00Z' });
    expect(await nextRunTime('typo')).toBe('2105-01-01T00:00:00.000Z');
    expect(await tick('typo', '2100-04-01T00:35:00Z')).toBeUndefined();
    // Corrected: the latest due time since the startTime is due at once, as if the schedule had been saved so.
    await put('typo', '2100-04-01T00:40:00Z', { startTime: '2100-04-01T00:00:00Z' });
    expect(await nextRunTime('typo')).toBe('2100-04-01T01:00:00.000Z');
    expect(await tick('typo', '2100-04-01T00:45:00Z')).toEqual({
      result: 'created',
      dueTime: '2100-04-01T00:00:00.000Z',
      jobName: 'typo-21000401T000000',
    });
    // Moved earlier again: what was handled stays handled.
    await put('typo', '2100-04-01T00:50:00Z', { startTime: '2099-12-01T00:00:00Z' });
    expect(await tick('typo', '2100-04-01T00:55:00Z')).toBeUndefined();
    expect(await tick('typo', '2100-04-01T01:00:30Z')).toMatchObject({ dueTime: '2100-04-01T01:00:00.000Z' });

    // Removed: from the schedule's creation on, as without a startTime from the start.
    await put('typo-removed', '2100-04-01T05:30:00Z', { startTime: '2105-01-01T00:00:00Z' });
    await put('typo-removed', '2100-04-01T05:40:00Z', {});
    expect(await nextRunTime('typo-removed')).toBe('2100-04-01T06:00:00.000Z');
    expect(await tick('typo-removed', '2100-04-01T05:50:00Z')).toBeUndefined();
    expect(await tick('typo-removed', '2100-04-01T06:00:30Z')).toEqual({
      result: 'created',
      dueTime: '2100-04-01T06:00:00.000Z',
      jobName: 'typo-removed-21000401T060000',
    });

    // Saved by an earlier version, which stored the future startTime as the evaluated time: a PUT drops it.
    await put('typo-legacy', '2100-04-01T07:30:00Z', { startTime: '2105-01-01T00:00:00Z' });
    const legacy = (await deps.store.get('jobSchedule', address, 'typo-legacy'))!;
    const record = legacy.record as JobScheduleRecord;
    await deps.store.replace(
      { ...record, status: { evaluatedUntil: '2104-12-31T23:59:59.999Z' } },
      legacy.etag,
    );
    expect(await nextRunTime('typo-legacy')).toBe('2105-01-01T00:00:00.000Z');
    await put('typo-legacy', '2100-04-01T07:40:00Z', {});
    expect(await nextRunTime('typo-legacy')).toBe('2100-04-01T08:00:00.000Z');
  });

  it('reports a due time whose job an earlier tick created as existing, and keeps it as the last job', async () => {
    const jobName = scheduledJobName('rerun', new Date('2100-03-01T01:00:00Z'));
    await put('rerun', '2100-03-01T00:30:00Z', { startTime: '2100-03-01T00:30:00Z' });
    // What a concurrent tick on another instance leaves: the due time's job, the schedule not yet updated.
    await api.put(`${experiment}/jobs/${jobName}`, jobTemplate('score earlier'));
    expect(await tick('rerun', '2100-03-01T01:00:30Z')).toEqual({
      result: 'existing',
      dueTime: '2100-03-01T01:00:00.000Z',
      jobName,
    });
    const stored = await deps.store.get('jobSchedule', address, 'rerun');
    const status = (stored!.record as JobScheduleRecord).status;
    expect(status.lastJobName).toBe(jobName);
    expect(status.lastOutcome).toMatchObject({ result: 'existing', jobName });
  });
});

describe('rules and schedules of a deleted workspace', () => {
  it('are not inherited by a workspace created again under the same name', async () => {
    const reborn = workspacePath('eventsrg', 'reborn');
    const rule = `${reborn}/scoringRules/inherited-rule`;
    const schedule = `${reborn}/jobSchedules/inherited-schedule`;
    await api.put(reborn, { location: 'eastus' });
    await api.put(`${reborn}/experiments/exp`);
    const template = await clusterAndTemplate(reborn, 'python score.py {blobName}');
    expect(
      (
        await api.send('PUT', rule, {
          properties: { source: { container: 'reborn' }, experimentName: 'exp', jobTemplate: template },
        })
      ).status,
    ).toBe(201);
    const scheduleBody = {
      properties: { schedule: '0 0 2 * * *', experimentName: 'exp', jobTemplate: template },
    };
    expect((await api.send('PUT', schedule, scheduleBody)).status).toBe(201);

    const deleted = await api.send('DELETE', reborn);
    expect(deleted.status).toBe(202);
    expect((await api.waitForOperation(deleted)).status).toBe('Succeeded');
    await api.put(reborn, { location: 'eastus' });
    await api.put(`${reborn}/experiments/exp`);

    expect((await api.send('GET', rule)).status).toBe(404);
    expect((await api.send('GET', schedule)).status).toBe(404);
    expect((await api.send('GET', `${reborn}/scoringRules`)).body.value).toEqual([]);
    expect((await api.send('GET', `${reborn}/jobSchedules`)).body.value).toEqual([]);
    // The new owner's PUT (its cluster made again) creates a new schedule (201), with nothing of the old one's status.
    await clusterAndTemplate(reborn);
    const created = await api.send('PUT', schedule, scheduleBody);
    expect(created.status).toBe(201);
    expect(created.body.properties).not.toHaveProperty('lastRun');
  });

  it('go with their workspace; one left behind (a crash in the cascade) is removed by the timer, not run', async () => {
    const gone = workspacePath('eventsrg', 'gone');
    const address = { subscriptionId: SUB, resourceGroup: 'eventsrg', workspace: 'gone' };
    await api.put(gone, { location: 'eastus' });
    await api.put(`${gone}/experiments/exp`);
    const template = await clusterAndTemplate(gone);
    expect(
      (
        await api.send('PUT', `${gone}/jobSchedules/orphan`, {
          properties: { schedule: '0 0 2 * * *', experimentName: 'exp', jobTemplate: template },
        })
      ).status,
    ).toBe(201);
    const store = eventSourceStore();
    const saved = await store.get('jobSchedule', address, 'orphan');
    expect(saved).toBeDefined();
    const deleted = await api.send('DELETE', gone);
    expect((await api.waitForOperation(deleted)).status).toBe('Succeeded');
    expect(await store.get('jobSchedule', address, 'orphan')).toBeUndefined();
    // Left behind by a cascade that stopped after the workspace record went.
    await store.create(saved!.record);
    expect((await env.invokeFunction('jobSchedulesTimer')).status).toBe(202);
    await waitFor('the orphaned schedule removed', async () =>
      (await store.get('jobSchedule', address, 'orphan')) === undefined ? true : undefined,
    );
  });
});

describe('rules and schedules API', () => {
  it('lists, gets and deletes definitions and names the faulty field of a bad body', async () => {
    const rulePath = `${workspace}/scoringRules/crud-rule`;
    const body = {
      properties: {
        source: { container: 'crud' },
        experimentName: 'exp',
        jobTemplate: jobTemplate('python score.py --from-env'),
      },
    };
    expect((await api.send('PUT', rulePath, body)).status).toBe(201);
    const updated = await api.send('PUT', rulePath, {
      properties: { ...body.properties, batching: { windowSeconds: 30 } },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      name: 'crud-rule',
      type: 'Microsoft.BatchAI/workspaces/scoringRules',
      properties: { batching: { windowSeconds: 30, maxBlobs: 200 } },
    });
    const list = await api.send('GET', `${workspace}/scoringRules`);
    expect((list.body.value as { name: string }[]).map((r) => r.name)).toContain('crud-rule');

    const bad = async (path: string, badBody: unknown): Promise<string> => {
      const response = await api.send('PUT', path, badBody);
      expect(response.status).toBe(400);
      return (response.body.error as { target: string }).target;
    };
    expect(await bad(rulePath, { properties: { ...body.properties, source: {} } })).toBe(
      'properties.source.container',
    );
    expect(await bad(rulePath, { properties: { ...body.properties, experimentName: 'nope' } })).toBe(
      'properties.experimentName',
    );
    expect(
      await bad(`${workspace}/jobSchedules/s1`, {
        properties: { schedule: 'every day', experimentName: 'exp', jobTemplate: jobTemplate() },
      }),
    ).toBe('properties.schedule');
    expect(await bad(`${workspace}/scoringRules/bad name!`, body)).toBe('scoringRuleName');

    const missingWorkspace = await api.send('GET', `${workspacePath('eventsrg', 'nows')}/scoringRules/x`);
    expect(missingWorkspace.status).toBe(404);
    expect((await api.send('DELETE', rulePath)).status).toBe(200);
    expect((await api.send('DELETE', rulePath)).status).toBe(204);
    expect((await api.send('GET', rulePath)).status).toBe(404);
  });
});

// Last: it stops the Cosmos emulator for a while.
describe('queue submissions: transient failures', () => {
  it('retries a submission while Cosmos is down and finally poisons it, without calling it rejected', async () => {
    process.kill(env.stack.pids().cosmos, 'SIGKILL');
    try {
      await sendSubmission(submission({ submissionId: 'while-cosmos-down' }));
      const poisoned = await waitFor(
        'the submission in the poison queue',
        async () => {
          const received = await receiveAll('job-submissions-poison');
          return received.length > 0 ? received : undefined;
        },
        110_000,
      );
      expect(poisoned[0]).toMatchObject({ submissionId: 'while-cosmos-down' });
      expect(await receiveAll('job-submissions-rejected')).toEqual([]);
    } finally {
      await env.stack.restartCosmos();
    }
  }, 150_000);
});
