// How a node event changes the node's record: a pure function, so the queue trigger stays thin and the rules
// (state from setup result and running tasks, stale heartbeats ignored, leaving/unusable kept) are unit-tested.
import { endHandsNodeBack, type HeartbeatExit, type NodeEvent } from '../../shared/contracts/nodeEvent';
import type { NodeRecord, NodeTaskExit } from '../../shared/ports/nodeStore';

function settle(record: NodeRecord, time: string): NodeRecord {
  if (record.state === 'leaving' || record.state === 'unusable') return record;
  if (!record.setup) return { ...record, state: 'preparing' };
  if (!record.setup.succeeded)
    return { ...record, state: 'unusable', unusableReason: 'The node setup task failed.' };
  if (record.runningTaskIds.length > 0) return { ...record, state: 'running', idleSince: undefined };
  return {
    ...record,
    state: 'idle',
    idleSince: record.state === 'idle' && record.idleSince ? record.idleSince : time,
  };
}

/**
 * Vanished tasks are kept for a job's node check to find (it runs every JOB_NODE_CHECK_SECONDS), and exited ones for
 * a late `taskStarted` to be recognised: at most this many of each, the newest, for at most this long, so a node's
 * record stays small.
 */
const taskTimesKept = 16;
const taskTimesKeptMs = 60 * 60_000;

/**
 * Exits are kept longer: a lifecycle that lost an exit's event finds it at the first node check of its next
 * execution (at once) or at its next periodic one. As many as the exit times, since every node event writes the
 * record: more would make every write of a busy node larger.
 */
const exitsKept = 16;
const exitsKeptMs = 6 * 60 * 60_000;

/** `exits` with `added`, the newest `exitsKept` of at most `exitsKeptMs` before `now`. */
function keptExits(
  exits: Record<string, NodeTaskExit> | undefined,
  now: string,
  added: Record<string, NodeTaskExit>,
): Record<string, NodeTaskExit> {
  const oldest = Date.parse(now) - exitsKeptMs;
  const entries = Object.entries({ ...exits, ...added })
    .filter(([, exit]) => !(Date.parse(exit.time) < oldest))
    .sort(([, a], [, b]) => b.time.localeCompare(a.time))
    .slice(0, exitsKept);
  return Object.fromEntries(entries);
}

/**
 * Earlier hand-backs a node's record keeps (`NodeRecord.earlierReleases`): enough for every slot of a node of up to
 * 16 job slots whose jobs all ended before any end was recorded. On a larger node an attempt that fell off holds its
 * slot until its end is recorded (later, never wrongly).
 */
export const earlierReleasesKept = 16;

/** `earlier` with `attempt` added last, the newest `earlierReleasesKept`. */
function keptReleases(earlier: string[] | undefined, attempt: string): string[] {
  return [...(earlier ?? []).filter((a) => a !== attempt), attempt].slice(-earlierReleasesKept);
}

/** What a node's record keeps of a task's exit (from its exit event, or repeated by a heartbeat). */
function nodeTaskExit(exit: Omit<HeartbeatExit, 'taskId'>): NodeTaskExit {
  return {
    ...(exit.exitCode === undefined ? {} : { exitCode: exit.exitCode }),
    ...(exit.signal === undefined ? {} : { signal: exit.signal }),
    reason: exit.reason,
    // The message is for people; a long one is cut so the node's record stays small.
    ...(exit.message === undefined ? {} : { message: exit.message.slice(0, 1024) }),
    ...(exit.nodeRemoval === undefined ? {} : { nodeRemoval: exit.nodeRemoval }),
    time: exit.time,
  };
}

/** `times` (task id -> time) without `exited` and what is too old at `now`; undefined when none is left. */
function keptTaskTimes(
  times: Record<string, string> | undefined,
  now: string,
  exited?: string,
): Record<string, string> | undefined {
  const oldest = Date.parse(now) - taskTimesKeptMs;
  const entries = Object.entries(times ?? {})
    .filter(([taskId, since]) => taskId !== exited && !(Date.parse(since) < oldest))
    .sort(([, a], [, b]) => b.localeCompare(a))
    .slice(0, taskTimesKept);
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

/**
 * The node's record after `event`; undefined when the event changes nothing (the record is not written). Only a
 * registration makes a record for a node that has none: any other event of an unknown node is one that came after
 * the cluster monitor removed the node (a heartbeat, a task's exit, sent just before the VM went), and a record made
 * from it would bring back as idle a node the pool no longer has, which the scheduler could grant. A live node
 * always has a record: its agent registers first (an event it sends just after, applied before the registration,
 * is only early: its heartbeats carry the setup outcome again), and a node the pool has without a record is the
 * monitor's (lost once its registration time is over, then replaced).
 */
export function applyNodeEvent(current: NodeRecord | undefined, event: NodeEvent): NodeRecord | undefined {
  if (!current && event.kind !== 'registered') return undefined;
  // A scale set reuses instance ids, so one node id can name two VMs in turn: an event of the VM before the
  // record's (late: left on the queue) is not this node's, and a new VM's registration starts a record of its own.
  const anotherVm = current?.vmId !== undefined && event.vmId !== undefined && event.vmId !== current.vmId;
  if (anotherVm && event.kind !== 'registered') return undefined;
  if (anotherVm && Date.parse(event.time) < Date.parse(current!.createdTime)) return undefined;
  const record: NodeRecord =
    current && !anotherVm
      ? current
      : {
          nodeId: event.nodeId,
          clusterKey: event.clusterKey,
          state: 'preparing',
          createdTime: event.time,
          runningTaskIds: [],
          runningJobIds: [],
        };
  const fresher = !record.lastHeartbeatTime || Date.parse(event.time) >= Date.parse(record.lastHeartbeatTime);
  const seen = fresher ? { lastHeartbeatTime: event.time } : {};
  switch (event.kind) {
    case 'registered':
      return settle(
        {
          ...record,
          ...seen,
          ...(event.vmId !== undefined ? { vmId: event.vmId } : {}),
          vmSize: event.vmSize,
          cpuCount: event.cpuCount,
          gpuCount: event.gpuCount,
          remoteLogin: event.remoteLogin,
          agentVersion: event.agentVersion,
          registeredTime: event.time,
        },
        event.time,
      );
    case 'heartbeat': {
      if (!fresher) return undefined; // an old heartbeat must not undo newer task events
      const listed = new Set(event.runningTaskIds);
      // The exits it repeats (agents 1.2 on): an exit whose event is late is known here all the same, so its task
      // is not taken for one the node lost; an exit its event recorded already is kept as it is.
      const repeated = (event.exits ?? []).filter((exit) => !listed.has(exit.taskId));
      const ended = new Set(repeated.map((exit) => exit.taskId));
      const vanished = { ...record.vanishedTasks };
      for (const taskId of record.runningTaskIds)
        if (!listed.has(taskId) && !ended.has(taskId)) vanished[taskId] ??= event.time;
      for (const taskId of [...listed, ...ended]) delete vanished[taskId];
      const learnt = repeated.filter((exit) => record.taskExits?.[exit.taskId] === undefined);
      const exitFields =
        learnt.length === 0
          ? {}
          : {
              exitedTasks: keptTaskTimes(
                {
                  ...record.exitedTasks,
                  ...Object.fromEntries(learnt.map((exit) => [exit.taskId, exit.time])),
                },
                event.time,
              ),
              taskExits: keptExits(
                record.taskExits,
                event.time,
                Object.fromEntries(learnt.map(({ taskId, ...exit }) => [taskId, nodeTaskExit(exit)])),
              ),
            };
      return settle(
        {
          ...record,
          ...seen,
          ...exitFields,
          runningTaskIds: event.runningTaskIds,
          vanishedTasks: keptTaskTimes(vanished, event.time),
          // The setup outcome every heartbeat carries (agents 1.1.1 on): a lost setupCompleted cannot leave the
          // node preparing for ever.
          setup: record.setup ?? event.setup,
        },
        event.time,
      );
    }
    case 'setupCompleted':
      return settle(
        {
          ...record,
          ...seen,
          setup: { succeeded: event.succeeded, exitCode: event.exitCode, message: event.message },
        },
        event.time,
      );
    case 'taskStarted':
      if (record.exitedTasks?.[event.taskId] !== undefined)
        return fresher ? { ...record, ...seen } : undefined;
      return settle(
        {
          ...record,
          ...seen,
          runningTaskIds: [...new Set([...record.runningTaskIds, event.taskId])],
          runningJobIds: [...new Set([...record.runningJobIds, event.jobId])],
        },
        event.time,
      );
    case 'taskExited':
      return settle(
        {
          ...record,
          ...seen,
          // A task ended by the node's eviction tells what the notice tells, whichever of the two events is applied
          // first: the node is leaving, so the job this exit requeues cannot be granted it again.
          ...(event.reason === 'evicted' && record.state !== 'leaving'
            ? {
                state: 'leaving' as const,
                leaving: { since: event.time, reason: 'Evicted (reported with a task exit)' },
              }
            : {}),
          runningTaskIds: record.runningTaskIds.filter((t) => t !== event.taskId),
          runningJobIds: record.runningJobIds.filter((j) => j !== event.jobId),
          vanishedTasks: keptTaskTimes(record.vanishedTasks, event.time, event.taskId),
          exitedTasks: keptTaskTimes({ ...record.exitedTasks, [event.taskId]: event.time }, event.time),
          taskExits: keptExits(record.taskExits, event.time, { [event.taskId]: nodeTaskExit(event) }),
          ...(event.releasesNodeOf && endHandsNodeBack(event)
            ? {
                releasedBy: { attempt: event.releasesNodeOf, time: event.time },
                ...(record.releasedBy && record.releasedBy.attempt !== event.releasesNodeOf
                  ? { earlierReleases: keptReleases(record.earlierReleases, record.releasedBy.attempt) }
                  : {}),
              }
            : {}),
        },
        event.time,
      );
    case 'evictionNotice':
      return {
        ...record,
        ...seen,
        state: 'leaving',
        leaving: record.leaving ?? {
          since: event.time,
          reason: `${event.eventType} scheduled (${event.eventId})`,
        },
      };
    case 'taskMessageRejected':
      return fresher ? { ...record, ...seen } : undefined;
    case 'tasksExited': {
      // Its exits in turn, as their own events.
      let next = record;
      for (const exit of event.exits) next = applyNodeEvent(next, exit) ?? next;
      return next === record ? undefined : next;
    }
  }
}
