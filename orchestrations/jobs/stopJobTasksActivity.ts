// Asks node agents to stop a job's tasks (killTask messages on each node's task queue). Idempotent: an agent
// ignores a kill for a task it does not run; a node removed with its queue has nothing left to kill.
import * as df from 'durable-functions';
import { nodeTaskQueueName } from '../../shared/contracts/nodeQueueNames';
import { nodeTaskSchema, type KillTaskMessage } from '../../shared/contracts/nodeTask';
import { encodeQueueMessage } from '../../shared/contracts/wireEncoding';
import { stopJobTasksActivityName, type StopJobTasksInput } from './jobLifecycleContract';
import { getJobServices } from './jobServices';

export async function stopJobTasks(input: StopJobTasksInput): Promise<void> {
  const { queues } = getJobServices();
  for (const task of input.tasks) {
    const message: KillTaskMessage = {
      schema: nodeTaskSchema,
      version: 1,
      kind: 'killTask',
      taskId: task.taskId,
      signal: input.signal,
      reason: input.reason,
    };
    try {
      await queues
        .getQueueClient(nodeTaskQueueName(input.clusterKey, task.nodeId))
        .sendMessage(encodeQueueMessage(message));
    } catch (error: unknown) {
      // The node was removed with its queue: nothing runs there any more.
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    }
  }
}

df.app.activity(stopJobTasksActivityName, { handler: stopJobTasks });
