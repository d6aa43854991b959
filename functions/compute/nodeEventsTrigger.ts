// Queue trigger: task exits are raised to the orchestration named in the task's replyTo (a start changes nothing
// there, so it is not raised: one orchestration episode less per task) while node agents' events update the node
// records (registration, heartbeats, setup result, tasks, evictions); a node that becomes ready, or that a job
// attempt's last task just handed back, wakes its cluster's job scheduler. Exits that ended together on a node may
// come in one event (`tasksExited`): one update of the node's record and one wake-up for all of them. Malformed
// events are set aside with the reason; they never fail the function (no retry storm, no crash). A task's event is
// handled in its task's trace (the trace context the agent echoes from the run message), so what this emits and
// raises joins the job's trace.
import { app, output, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { computeRejectedMessagesQueue, nodeEventsQueue } from '../../shared/config/resourceNames';
import { parseNodeEvent, type NodeEvent } from '../../shared/contracts/nodeEvent';
import type { NodeRecord } from '../../shared/ports/nodeStore';
import { invocationTelemetry } from '../../shared/telemetry/invocationTracing';
import type { Telemetry } from '../../shared/telemetry/telemetry';
import { childTraceContext, type TraceContext } from '../../shared/telemetry/traceContext';
import { runInTraceContext } from '../../shared/telemetry/traceContextPropagation';
import { getTelemetry, telemetryExported } from '../../shared/telemetry/telemetryFactory';
import { getComputeServices } from '../../orchestrations/compute/computeServices';
import { applyNodeEvent } from '../../orchestrations/compute/nodeEventReducer';
import { jobSchedulerInstanceId, scheduleEvent } from '../../orchestrations/jobs/jobLifecycleContract';
import {
  requestJobScheduling,
  scheduleSignalNow,
} from '../../orchestrations/jobs/requestJobSchedulingActivity';
import { acceptQueueMessage } from './queuePayload';
import { durableClientOf } from '../../orchestrations/durableClientOf';
import { raiseToLifecycle } from '../../orchestrations/jobs/raiseToLifecycle';

const rejected = output.storageQueue({
  queueName: computeRejectedMessagesQueue,
  connection: 'AzureWebJobsStorage',
});

/** The span this invocation handles a task's event in: a child of the task's trace context, if it carries one. */
function eventTraceOf(event: NodeEvent): TraceContext | undefined {
  if ((event.kind !== 'taskStarted' && event.kind !== 'taskExited') || !event.traceParent) return undefined;
  return childTraceContext({ traceParent: event.traceParent, traceState: event.traceState });
}

/** What Application Insights gets about an event: a task's start or exit, and a node's change of state. */
function reportEvent(
  telemetry: Telemetry,
  event: NodeEvent,
  current: NodeRecord | undefined,
  next: NodeRecord | undefined,
): void {
  if (event.kind === 'taskStarted' || event.kind === 'taskExited') {
    telemetry.event(event.kind === 'taskStarted' ? 'NodeTaskStarted' : 'NodeTaskExited', {
      taskId: event.taskId,
      jobId: event.jobId,
      attempt: event.attempt,
      ...(event.kind === 'taskExited'
        ? { exitCode: event.exitCode, signal: event.signal, reason: event.reason }
        : {}),
    });
  }
  // Low cost: only when a node's state changes (not per heartbeat), no query.
  if (next?.state !== current?.state) {
    // From the process telemetry: per-invocation properties would make every item its own series.
    getTelemetry().metric('NodeStateChanges', 1, {
      clusterKey: event.clusterKey,
      state: next?.state ?? 'removed',
      previousState: current?.state ?? 'new',
    });
  }
}

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
    // Several tasks' exits in one event: each is handled as its own taskExited, with one update of the node's record.
    const events = event.kind === 'tasksExited' ? event.exits : [event];
    if (!telemetryExported()) return handleNodeEvents(events, context, () => undefined);
    const telemetryOf = (each: NodeEvent): Telemetry =>
      invocationTelemetry({
        invocationId: context.invocationId,
        functionName: context.functionName,
        traceContext: eventTraceOf(each) ?? context.traceContext,
      }).withProperties({ nodeId: each.nodeId, clusterKey: each.clusterKey, nodeEvent: each.kind });
    // One task's event is handled in its task's trace; several tasks' exits each reach their jobs in theirs (below).
    const trace = events.length === 1 ? eventTraceOf(events[0]) : undefined;
    return runInTraceContext(trace, () => handleNodeEvents(events, context, telemetryOf));
  },
});

/** The events of one node (one event, or the exits of a `tasksExited`), applied to its record in turn. */
async function handleNodeEvents(
  events: NodeEvent[],
  context: InvocationContext,
  telemetryOf: (event: NodeEvent) => Telemetry | undefined,
): Promise<void> {
  const { clusterKey, nodeId } = events[0];
  // An exit to the job's lifecycle (its attempt ends on this) and the node's record (the next job may wait for the
  // node) at once; a redelivered event is raised again, which the lifecycle ignores once the exit is in.
  // An exit caused by the node's eviction goes out only once the record says `leaving`: the job it requeues must
  // not be granted this node again, whatever order the host applies this exit and the eviction notice in.
  // A lifecycle not there yet (started by its grant just after the launch) gets the exit again shortly.
  const raise = (event: NodeEvent): Promise<void> | undefined =>
    event.kind === 'taskExited' && event.replyTo
      ? runInTraceContext(eventTraceOf(event), () =>
          raiseToLifecycle(durableClientOf(context), event.replyTo!, `task:${event.taskId}`, event),
        ).catch((error: unknown) =>
          context.warn(
            `Could not raise ${event.kind} of task ${event.taskId} to ${event.replyTo}: ${(error as Error).message}`,
          ),
        )
      : undefined;
  const evicted = (event: NodeEvent): boolean => event.kind === 'taskExited' && event.reason === 'evicted';
  const raised = events.filter((event) => !evicted(event)).map(raise);
  const { nodes } = getComputeServices();
  let freed = false;
  let readied = false;
  let changes: { event: NodeEvent; before: NodeRecord | undefined; after: NodeRecord | undefined }[] = [];
  await nodes.update(clusterKey, nodeId, (current) => {
    freed = readied = false;
    changes = [];
    let record = current;
    for (const event of events) {
      // undefined: the event changes nothing (or the node has no record).
      const next = applyNodeEvent(record, event) ?? record;
      const becameIdle = next?.state === 'idle' && record?.state !== 'idle' && record?.state !== 'running';
      readied ||= becameIdle && (record === undefined || record.state === 'preparing');
      freed ||= becameIdle || (next?.releasedBy !== undefined && next.releasedBy !== record?.releasedBy);
      changes.push({ event, before: record, after: next });
      record = next;
    }
    return record === current ? undefined : record;
  });
  for (const { event, before, after } of changes) {
    const telemetry = telemetryOf(event);
    if (telemetry) reportEvent(telemetry, event, before, after);
  }
  if (
    changes.length > 0 &&
    changes[0].before === undefined &&
    changes[changes.length - 1].after === undefined
  ) {
    // Only a registration makes a node's record: this node's was removed (or it never registered), and its events
    // must not bring it back (a task's exit still reaches its job above).
    context.log(
      `Node ${nodeId} of ${clusterKey} has no record (removed by the cluster monitor): its ${events.map((e) => e.kind).join(', ')} ${events.length === 1 ? 'is' : 'are'} dropped.`,
    );
  }
  if (freed) {
    // A node that just became ready (setup done) or was handed back by a finished attempt may be what a queued
    // job waits for: tell the cluster's job scheduler now rather than at its next periodic pass. For a node that
    // became ready, a scheduler that is not running is started (one status read more, on a rare path): before
    // orchestration version 1.4 an idle scheduler ended, jobs too large for the cluster leave it idle, and this node
    // may be one a resize added for them. A node handed back (every job's end) only signals: a scheduler that
    // ended has no job this node could take.
    if (readied) {
      await requestJobScheduling(clusterKey, context).catch((error: unknown) =>
        context.warn(
          `Could not ask the job scheduler of ${clusterKey} for a pass: ${(error as Error).message}`,
        ),
      );
    } else {
      await durableClientOf(context)
        .raiseEvent(jobSchedulerInstanceId(clusterKey), scheduleEvent, scheduleSignalNow())
        .catch(() => undefined); // none was ever started: no job waits
    }
  }
  await Promise.all([...raised, ...events.filter(evicted).map(raise)]);
  for (const event of events) {
    if (event.kind === 'evictionNotice' || event.kind === 'taskMessageRejected') {
      context.warn(
        `Node ${event.nodeId}: ${event.kind === 'evictionNotice' ? `${event.eventType} notice` : event.reason}`,
      );
    }
  }
}
