// The control plane's queue triggers set aside a message their contract refuses (with the reason and the original
// text) instead of failing or retrying it: node events, cluster commands and job commands, through the real host.
import { QueueServiceClient } from '@azure/storage-queue';
import {
  clusterCommandsQueue,
  computeRejectedMessagesQueue,
  jobCommandsQueue,
  jobRejectedCommandsQueue,
  nodeEventsQueue,
} from '../../shared/config/resourceNames';
import { encodeQueueMessage } from '../../shared/contracts/wireEncoding';
import { startTestEnvironment, waitFor, type TestEnvironment } from '../support/testEnvironment';

let env: TestEnvironment;
let queues: QueueServiceClient;

beforeAll(async () => {
  env = await startTestEnvironment();
  queues = QueueServiceClient.fromConnectionString(env.stack.storageConnectionString);
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

interface Rejected {
  queue: string;
  reason: string;
  field?: string;
  message: string;
}

async function rejectedFrom(queue: string, from: string): Promise<Rejected[]> {
  const peeked = await queues.getQueueClient(queue).peekMessages({ numberOfMessages: 32 });
  return peeked.peekedMessageItems
    .map((m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as Rejected)
    .filter((r) => r.queue === from);
}

test.each([
  [
    nodeEventsQueue,
    computeRejectedMessagesQueue,
    { schema: 'batchai.nodeEvent', version: 2, kind: 'heartbeat' },
  ],
  [clusterCommandsQueue, computeRejectedMessagesQueue, { schema: 'batchai.clusterCommand', version: 1 }],
  [jobCommandsQueue, jobRejectedCommandsQueue, { schema: 'batchai.jobCommand', version: 1, kind: 'start' }],
])(
  'a malformed message on %s is set aside in %s with the reason, once',
  async (queue, rejectedQueue, body) => {
    const marker = `marker-${queue}-${Date.now()}`;
    const text = encodeQueueMessage({ ...body, marker });
    await queues.getQueueClient(queue).sendMessage(text);
    const rejected = await waitFor(`the rejected copy in ${rejectedQueue}`, async () => {
      const found = (await rejectedFrom(rejectedQueue, queue)).filter((r) => r.message.includes(marker));
      return found.length > 0 ? found : undefined;
    });
    expect(rejected).toHaveLength(1);
    expect(rejected[0].reason).toMatch(/\S/);
    // Not retried: the original is gone from its queue and nothing went to the poison queue.
    const left = await queues.getQueueClient(queue).peekMessages({ numberOfMessages: 32 });
    expect(left.peekedMessageItems.some((m) => m.messageText === text)).toBe(false);
    const poison = queues.getQueueClient(`${queue}-poison`);
    const poisoned = (await poison.exists())
      ? (await poison.peekMessages({ numberOfMessages: 32 })).peekedMessageItems
      : [];
    expect(poisoned).toHaveLength(0);
    expect(env.hostOutput()).toContain('Rejected');
  },
);
