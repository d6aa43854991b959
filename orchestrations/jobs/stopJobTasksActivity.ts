// Asks node agents to stop a job's tasks (killTask messages on each node's task queue). Idempotent: an agent
// ignores a kill for a task it does not run; a node removed with its queue has nothing left to kill.
import * as df from 'durable-functions';
import { nodeTaskSchema, killTaskVersion, type KillTaskMessage } from '../../shared/contracts/nodeTask';
import { sendTaskKills } from '../nodeTaskKills';
import { stopJobTasksActivityName, type StopJobTasksInput } from './jobLifecycleContract';
import { getJobServices } from './jobServices';

/** Tasks of the attempt that its nodes report running (none when the records cannot be read). */
async function attemptTasks(input: StopJobTasksInput): Promise<{ taskId: string; nodeId: string }[]> {
  const scope = input.attemptOf;
  if (!scope) return [];
  const prefix = `${scope.jobUuid}-${scope.attempt}-`;
  const found: { taskId: string; nodeId: string }[] = [];
  for (const nodeId of scope.nodeIds) {
    const record = await getJobServices()
      .nodes.get(input.clusterKey, nodeId)
      .catch(() => undefined);
    for (const taskId of record?.runningTaskIds ?? [])
      if (taskId.startsWith(prefix)) found.push({ taskId, nodeId });
  }
  return found;
}

export async function stopJobTasks(input: StopJobTasksInput): Promise<void> {
  const tasks = new Map(input.tasks.map((task) => [task.taskId, task]));
  for (const task of await attemptTasks(input)) tasks.set(task.taskId, task);
  const kills = [...tasks.values()].map((task) => {
    const message: KillTaskMessage = {
      schema: nodeTaskSchema,
      version: killTaskVersion,
      kind: 'killTask',
      taskId: task.taskId,
      signal: input.signal,
      reason: input.reason,
    };
    return { nodeId: task.nodeId, message };
  });
  await sendTaskKills(getJobServices(), input.clusterKey, kills);
}

df.app.activity(stopJobTasksActivityName, { handler: stopJobTasks });
