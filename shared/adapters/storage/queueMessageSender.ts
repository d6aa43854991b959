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

  /**
   * Sends `message` to `queue`, created if missing: a reply queue is named by the submitter, who may delete it after
   * use, so a queue known to exist that is gone (404) is created again and the message sent once more.
   */
  async send(queue: string, message: object, delaySeconds = 0): Promise<void> {
    const client = this.service.getQueueClient(queue);
    const visibilityTimeout = Math.min(Math.max(0, Math.ceil(delaySeconds)), maxVisibilityTimeoutSeconds);
    const text = encodeQueueMessage(message);
    const options = visibilityTimeout > 0 ? { visibilityTimeout } : {};
    if (this.created.has(queue)) {
      try {
        await client.sendMessage(text, options);
        return;
      } catch (error: unknown) {
        if ((error as { statusCode?: number }).statusCode !== 404) throw error;
        this.created.delete(queue);
      }
    }
    await client.createIfNotExists();
    this.created.add(queue);
    await client.sendMessage(text, options);
  }

  scheduleFlush(batchId: string, at: Date): Promise<void> {
    const message: ScoringBatchFlush = { schema: scoringBatchFlushSchema, version: 1, batchId };
    return this.send(this.batchQueue, message, (at.getTime() - Date.now()) / 1000);
  }
}
