// Test helper: drains a node-events queue with the real SDK and keeps every parsed event, so tests can wait for
// "node X registered", "task Y exited", ... without a control plane.
import type { QueueClient } from '@azure/storage-queue';
import { parseNodeEvent, type NodeEvent } from '../../../shared/contracts/nodeEvent';
import { decodeQueueMessage } from '../../../shared/contracts/wireEncoding';

export class NodeEventCollector {
  readonly events: NodeEvent[] = [];

  constructor(private readonly queue: QueueClient) {}

  async drain(): Promise<void> {
    for (;;) {
      const response = await this.queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 30 });
      if (response.receivedMessageItems.length === 0) return;
      for (const item of response.receivedMessageItems) {
        this.events.push(parseNodeEvent(decodeQueueMessage(item.messageText)));
        await this.queue.deleteMessage(item.messageId, item.popReceipt);
      }
    }
  }

  /** Polls until an event matches, or fails naming `what` after `timeoutMs`. */
  async waitFor<K extends NodeEvent['kind']>(
    what: string,
    kind: K,
    match: (event: Extract<NodeEvent, { kind: K }>) => boolean = () => true,
    timeoutMs = 30_000,
  ): Promise<Extract<NodeEvent, { kind: K }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.drain();
      const found = this.events.find(
        (e): e is Extract<NodeEvent, { kind: K }> =>
          e.kind === kind && match(e as Extract<NodeEvent, { kind: K }>),
      );
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `Timed out waiting for ${what}; events so far: ${JSON.stringify(this.events.map((e) => e.kind))}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
