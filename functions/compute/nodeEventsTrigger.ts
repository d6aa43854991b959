// Queue trigger: task exits are raised to the orchestration named in the task's replyTo, before anything else (a
// start changes nothing there, so it is not raised: one orchestration episode less per task); then node agents'
// events update the node records (registration, heartbeats, setup result, tasks, evictions); a node that becomes
// ready wakes its cluster's job scheduler. Malformed events are set aside with the reason; they never fail the function
// (no retry storm, no crash).
import { app, output, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { computeRejectedMessagesQueue, nodeEventsQueue } from '../../shared/config/resourceNames';
import { parseNodeEvent } from '../../shared/contracts/nodeEvent';
import { getComputeServices } from '../../orchestrations/compute/computeServices';
import { applyNodeEvent } from '../../orchestrations/compute/nodeEventReducer';
import { jobSchedulerInstanceId, scheduleEvent } from '../../orchestrations/jobs/jobLifecycleContract';
import { acceptQueueMessage } from './queuePayload';

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
    if (event.kind === 'taskExited' && event.replyTo) {
      // The job's lifecycle first (its attempt ends on this, and so does the wait of the next job for the node);
      // a redelivered event is raised again, which the lifecycle ignores once the task's exit is in.
      await df
        .getClient(context)
        .raiseEvent(event.replyTo, `task:${event.taskId}`, event)
        .catch((error: unknown) =>
          context.warn(
            `Could not raise ${event.kind} of task ${event.taskId} to ${event.replyTo}: ${(error as Error).message}`,
          ),
        );
    }
    const { nodes } = getComputeServices();
    let becameIdle = false;
    await nodes.update(event.clusterKey, event.nodeId, (current) => {
      const next = applyNodeEvent(current, event);
      becameIdle = next?.state === 'idle' && current?.state !== 'idle' && current?.state !== 'running';
      return next;
    });
    if (becameIdle) {
      // A node that just became ready (setup done) may be what a queued job waits for: tell the cluster's job
      // scheduler now rather than at its next periodic pass. No scheduler running means no job is waiting.
      await df
        .getClient(context)
        .raiseEvent(jobSchedulerInstanceId(event.clusterKey), scheduleEvent, {})
        .catch(() => undefined);
    }
    if (event.kind === 'evictionNotice' || event.kind === 'taskMessageRejected') {
      context.warn(
        `Node ${event.nodeId}: ${event.kind === 'evictionNotice' ? `${event.eventType} notice` : event.reason}`,
      );
    }
  },
});
