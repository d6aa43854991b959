// Sends wire messages to Storage queues of the app's account (base64 JSON, as queue triggers read them): replies
// to job submissions and delayed wake-ups of blob batches (a visibility timeout is a durable, cheap timer).
import type { QueueServiceClient } from '@azure/storage-queue';
import { encodeQueueMessage } from '../../contracts/wireEncoding';
import type { BatchFlushScheduler } from '../../domain/eventSources/eventSourceDeps';
import { scoringBatchFlushSchema, type ScoringBatchFlush } from '../../contracts/scoringBatchFlush';

/** Storage queues hide a message for at most 7 days. */
const maxVisibilityTimeoutSeconds = 7 * 24 * 3600;

export class QueueMessageSender implements BatchFlushScheduler {
  private readonly created = new Set<string>();

  constructor(
    private readonly service: QueueServiceClient,
    private readonly batchQueue: string,
  ) {}

  /** Sends `message` to `queue` (created on first use: a reply queue is named by the sender). */
  async send(queue: string, message: object, delaySeconds = 0): Promise<void> {
    const client = this.service.getQueueClient(queue);
    if (!this.created.has(queue)) {
      await client.createIfNotExists();
      this.created.add(queue);
    }
    const visibilityTimeout = Math.min(Math.max(0, Math.ceil(delaySeconds)), maxVisibilityTimeoutSeconds);
    await client.sendMessage(encodeQueueMessage(message), visibilityTimeout > 0 ? { visibilityTimeout } : {});
  }

  scheduleFlush(batchId: string, at: Date): Promise<void> {
    const message: ScoringBatchFlush = { schema: scoringBatchFlushSchema, version: 1, batchId };
    return this.send(this.batchQueue, message, (at.getTime() - Date.now()) / 1000);
  }
}
