// Queue trigger: task exits are raised to the orchestration named in the task's replyTo (a start changes nothing
// there, so it is not raised: one orchestration episode less per task) while node agents' events update the node
// records (registration, heartbeats, setup result, tasks, evictions); a node that becomes ready, or that a job
// attempt's last task just handed back, wakes its cluster's job scheduler. Malformed events are set aside with the
// reason; they never fail the function (no retry storm, no crash).
import { app, output, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { computeRejectedMessagesQueue, nodeEventsQueue } from '../../shared/config/resourceNames';
import { parseNodeEvent } from '../../shared/contracts/nodeEvent';
import { getComputeServices } from '../../orchestrations/compute/computeServices';
import { applyNodeEvent } from '../../orchestrations/compute/nodeEventReducer';
import { jobSchedulerInstanceId, scheduleEvent } from '../../orchestrations/jobs/jobLifecycleContract';
import { scheduleSignalNow } from '../../orchestrations/jobs/requestJobSchedulingActivity';
import { acceptQueueMessage } from './queuePayload';
import { durableClientOf } from '../../orchestrations/durableClientOf';

const rejected = output.storageQueue({
  queueName: computeRejectedMessagesQueue,
  connection: 'AzureWebJobsStorage',
});

app.storageQueue('nodeEvents', {
  queueName: nodeEventsQueue,
  connection: 'AzureWebJobsStorage',
  extraInputs: [df.input.durableClient()],
  extraOutputs: [rejected],
  handler: async (payload: unknown, context: InvocationContext): Promise<void> => {
    const event = acceptQueueMessage(
      payload,
      parseNodeEvent,
      nodeEventsQueue,
      context,
      rejected,
      'node event',
    );
    if (!event) return;
    // The exit to the job's lifecycle (its attempt ends on this) and the node's record (the next job may wait for
    // the node) at once; a redelivered event is raised again, which the lifecycle ignores once the exit is in.
    // An exit caused by the node's eviction goes out only once the record says `leaving`: the job it requeues must
    // not be granted this node again, whatever order the host applies this exit and the eviction notice in.
    const raise = (): Promise<void> | undefined =>
      event.kind === 'taskExited' && event.replyTo
        ? durableClientOf(context)
            .raiseEvent(event.replyTo, `task:${event.taskId}`, event)
            .catch((error: unknown) =>
              context.warn(
                `Could not raise ${event.kind} of task ${event.taskId} to ${event.replyTo}: ${(error as Error).message}`,
              ),
            )
        : undefined;
    const evicted = event.kind === 'taskExited' && event.reason === 'evicted';
    let raised = evicted ? undefined : raise();
    const { nodes } = getComputeServices();
    let freed = false;
    await nodes.update(event.clusterKey, event.nodeId, (current) => {
      const next = applyNodeEvent(current, event);
      const becameIdle = next?.state === 'idle' && current?.state !== 'idle' && current?.state !== 'running';
      freed = becameIdle || (next?.releasedBy !== undefined && next.releasedBy !== current?.releasedBy);
      return next;
    });
    if (freed) {
      // A node that just became ready (setup done) or was handed back by a finished attempt may be what a queued
      // job waits for: tell the cluster's job scheduler now rather than at its next periodic pass. No scheduler
      // running means no job is waiting.
      await durableClientOf(context)
        .raiseEvent(jobSchedulerInstanceId(event.clusterKey), scheduleEvent, scheduleSignalNow())
        .catch(() => undefined);
    }
    if (evicted) raised = raise();
    await raised;
    if (event.kind === 'evictionNotice' || event.kind === 'taskMessageRejected') {
      context.warn(
        `Node ${event.nodeId}: ${event.kind === 'evictionNotice' ? `${event.eventType} notice` : event.reason}`,
      );
    }
  },
});
