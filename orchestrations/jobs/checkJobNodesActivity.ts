// Checks that a running attempt's nodes are still there: a node whose record is gone, or that is leaving (an
// eviction notice, a scale down, except one that waits for job completion) or unusable (failed setup; one lost by
// its heartbeats counts once it is gone), means the gang is broken; so does a node whose heartbeats stopped listing one of the attempt's tasks long
// ago with no exit for it (the node lost the task: its agent started again without its task journal). It also
// returns the exits the nodes' records hold for the asked tasks (an exit whose event the lifecycle lost as it
// continued as new), and, when asked, whether the job's record says it is being terminated.
import * as df from 'durable-functions';
import {
  checkJobNodesActivityName,
  type CheckJobNodesInput,
  type CheckJobNodesResult,
} from './jobLifecycleContract';
import { failIfInjected } from './activityFaultInjection';
import { getJobServices } from './jobServices';
import { readJobState } from './readJobStateActivity';

export async function checkJobNodes(input: CheckJobNodesInput): Promise<CheckJobNodesResult> {
  failIfInjected(checkJobNodesActivityName);
  const { nodes, config } = getJobServices();
  const now = Date.now();
  const lost: CheckJobNodesResult['lost'] = [];
  const exits: NonNullable<CheckJobNodesResult['exits']> = {};
  for (const nodeId of input.nodeIds) {
    const node = await nodes.get(input.clusterKey, nodeId);
    for (const task of input.tasks ?? []) {
      const exit = task.nodeId === nodeId ? node?.taskExits?.[task.taskId] : undefined;
      if (exit) exits[task.taskId] = { taskId: task.taskId, ...exit };
    }
    if (!node) lost.push({ nodeId, reason: `The node ${nodeId} is gone.`, requeue: true, gone: true });
    else if (node.state === 'leaving') {
      // Scale down: 'waitforjobcompletion' lets the job finish, 'terminate' ends it for good, 'requeue' (the
      // default, and evictions, which name no option) runs it again.
      const deallocation = node.leaving?.deallocation;
      if (deallocation === 'waitforjobcompletion') continue;
      lost.push({
        nodeId,
        reason: `The node ${nodeId} is leaving: ${node.leaving?.reason ?? 'no reason given'}.`,
        requeue: deallocation !== 'terminate',
      });
    } else if (node.state === 'unusable') {
      // A node lost by its heartbeats (or whose VM the pool reports failed) may still run the task: a frozen agent,
      // a network partition. The job runs again only once the node is gone (the monitor deletes it on its next
      // pass, VM or processes and all, then its record), never beside a process that may still write.
      if (node.unusableReason?.startsWith('lost')) continue;
      const reason = `The node ${nodeId} is unusable: ${node.unusableReason ?? 'no reason given'}.`;
      lost.push({ nodeId, reason, requeue: true });
    } else {
      const vanished = (input.tasks ?? []).find((task) => {
        const since = task.nodeId === nodeId ? node.vanishedTasks?.[task.taskId] : undefined;
        return since !== undefined && now - Date.parse(since) > config.taskVanishedSeconds * 1000;
      });
      if (vanished) {
        const reason = `The node ${nodeId} no longer runs the task ${vanished.taskId} and reported no exit for it (its agent lost the task).`;
        lost.push({ nodeId, reason, requeue: true });
      }
    }
  }
  const result: CheckJobNodesResult = { lost };
  if (Object.keys(exits).length > 0) result.exits = exits;
  if (input.lifecycle && (await readJobState(input.lifecycle)).state === 'terminating')
    result.terminating = true;
  return result;
}

df.app.activity(checkJobNodesActivityName, { handler: checkJobNodes });
