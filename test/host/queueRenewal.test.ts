// Unit test of the queue trigger's lease renewal: a renewal still under way when the function finishes changes the
// pop receipt, so the message is deleted with the receipt it brings, not the stale one.
import type { QueueClient } from '@azure/storage-queue';
import type { QueuesOptions } from '../../runtime/host/hostJson';
import type { HostServices, RegisteredFunction } from '../../runtime/host/plugin';
import { QueueListener } from '../../runtime/host/plugins/queueTriggerPlugin';

const until = async (what: string, ok: () => boolean): Promise<void> => {
  const deadline = Date.now() + 10_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('QueueListener lease renewal', () => {
  it('deletes with the pop receipt of a renewal that was under way when the function finished', async () => {
    let finishRenewal: (() => void) | undefined;
    let renewals = 0;
    const deleted: string[] = [];
    let delivered = false;
    const queue = {
      name: 'renew-q',
      createIfNotExists: async () => ({}),
      receiveMessages: async () => {
        if (delivered) {
          await new Promise((r) => setTimeout(r, 20));
          return { receivedMessageItems: [] };
        }
        delivered = true;
        const now = new Date();
        return {
          receivedMessageItems: [
            {
              messageId: 'm1',
              popReceipt: 'receipt-1',
              messageText: 'hello',
              dequeueCount: 1,
              insertedOn: now,
              expiresOn: now,
              nextVisibleOn: now,
            },
          ],
        };
      },
      updateMessage: (_id: string, popReceipt: string) => {
        renewals++;
        expect(popReceipt).toBe('receipt-1');
        // The renewal is slow: it answers only when the test says so.
        return new Promise((resolve) => {
          finishRenewal = () => resolve({ popReceipt: 'receipt-2' });
        });
      },
      deleteMessage: async (_id: string, popReceipt: string) => {
        deleted.push(popReceipt);
        return {};
      },
    } as unknown as QueueClient;
    const host = {
      settings: {},
      log: { info: () => undefined, warn: () => undefined, error: () => undefined },
      // The function ends while the renewal is under way.
      invoke: async () => {
        await until('a renewal', () => renewals > 0);
        return { outputData: {} };
      },
    } as unknown as HostServices;
    const fn = { name: 'renewFn' } as RegisteredFunction;
    const options: QueuesOptions = {
      maxPollingIntervalMs: 50,
      visibilityTimeoutMs: 0,
      batchSize: 1,
      newBatchThreshold: 0,
      maxDequeueCount: 5,
      messageEncoding: 'none',
    };
    const listener = new QueueListener(host, fn, queue, queue, options, 10);
    await listener.start();
    try {
      await until('the renewal to be pending', () => finishRenewal !== undefined);
      // Give the finished function time to reach the delete: it must wait for the renewal.
      await new Promise((r) => setTimeout(r, 100));
      expect(deleted).toEqual([]);
      finishRenewal?.();
      await until('the delete', () => deleted.length > 0);
      expect(deleted).toEqual(['receipt-2']);
      expect(renewals).toBe(1);
    } finally {
      await listener.stop();
      await listener.release();
    }
  });
});
