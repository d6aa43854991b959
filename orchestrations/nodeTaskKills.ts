// Kill messages to node agents (`killTask` on each node's task queue) and the wake-up that has local nodes take them
// at once (they poll their queues only now and then, localComputePool.ts): one way for every sender of kills, the
// job lifecycle's stops and a scale-down's.
import type { QueueServiceClient } from '@azure/storage-queue';
import { nodeTaskQueueName } from '../shared/contracts/nodeQueueNames';
import type { KillTaskMessage } from '../shared/contracts/nodeTask';
import { encodeQueueMessage } from '../shared/contracts/wireEncoding';
import type { ComputePool } from '../shared/ports/computePool';

/**
 * Puts each kill on its node's task queue, in order, then wakes those nodes. A node removed with its queue (404) has
 * nothing left to kill; any other failure is thrown before the wake-up (the caller is retried and sends them again:
 * an agent ignores a kill for a task it does not run).
 */
export async function sendTaskKills(
  services: { queues: Pick<QueueServiceClient, 'getQueueClient'>; pool: Pick<ComputePool, 'wakeNodes'> },
  clusterKey: string,
  kills: { nodeId: string; message: KillTaskMessage }[],
): Promise<void> {
  for (const { nodeId, message } of kills) {
    try {
      await services.queues
        .getQueueClient(nodeTaskQueueName(clusterKey, nodeId))
        .sendMessage(encodeQueueMessage(message));
    } catch (error: unknown) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    }
  }
  if (kills.length > 0) services.pool.wakeNodes?.(clusterKey, [...new Set(kills.map((kill) => kill.nodeId))]);
}
