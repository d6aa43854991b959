// Events a node agent sends to the control plane's node-events queue: registration, heartbeats, node setup
// result, task start/exit, eviction notices and rejected task messages. Versioned and validated on both sides.
import { ContractError } from './contractError';
import { nodeRemovals, optionalTraceContext, type NodeRemoval, type WireTraceContext } from './nodeTask';
import { checkSchemaHeader } from './schemaVersion';
import {
  optionalInteger,
  optionalString,
  optionalStringArray,
  requireInteger,
  requireObject,
  requireOneOf,
  requireString,
  requireTimestamp,
  type WireObject,
} from './wireFields';

export const nodeEventSchema = 'batchai.nodeEvent';
/**
 * Version 2: `taskExited.reason` is a machine-readable TaskEndReason; the text moved to `message`. Task events may
 * carry their task's trace context (`traceParent`, `traceState`, from its RunTaskMessage) in any version: a reader
 * that skips it handles the event the same, outside the job's trace.
 */
export const nodeEventVersion = 2;

/**
 * Version 3: `tasksExited`, the exits of several tasks of the node in one event (a node running several jobs' tasks
 * at once sees them end together; one event then costs one queue message and one update of the node's record
 * instead of one each). Only that kind is sent as version 3, and only to a control plane that says it reads it
 * (`RunTaskMessage.readsTasksExited`): every other event stays version 2, which readers of the previous release take.
 */
export const tasksExitedVersion = 3;

/** At most this many exits go in one `tasksExited` event (and a reader takes no more). */
export const tasksExitedMax = 32;

/**
 * Why a task ended, for programs: 'exited' (the process ended by itself, exit code or signal), 'killed' (a kill
 * request), 'evicted' (the node's eviction notice: Spot preemption or a platform Terminate), 'nodeLost' (the node
 * agent stopped or the node is going away under it), 'failedToStart' (it never ran: bad sealed environment,
 * no Docker engine, storage error).
 */
export const taskEndReasons = ['exited', 'killed', 'evicted', 'nodeLost', 'failedToStart'] as const;
export type TaskEndReason = (typeof taskEndReasons)[number];

interface NodeEventBase {
  schema: typeof nodeEventSchema;
  version: 1 | 2 | 3;
  nodeId: string;
  clusterKey: string;
  /** When the agent produced the event (ISO 8601); stale events are ignored by time. */
  time: string;
  /**
   * The VM's own id (IMDS compute `vmId`; VM nodes, agents 1.2.0 on; optional, older readers skip it). A scale set
   * reuses instance ids, so a node id can name a later VM: an event of an earlier VM is told apart by it.
   */
  vmId?: string;
}

export interface NodeRegistered extends NodeEventBase {
  kind: 'registered';
  vmSize: string;
  cpuCount: number;
  gpuCount: number;
  agentVersion: string;
  remoteLogin?: { ipAddress: string; port: number };
}

/** The node setup's outcome, as `setupCompleted` reports it. */
export interface NodeSetupOutcome {
  succeeded: boolean;
  exitCode?: number;
  message?: string;
}

export interface NodeHeartbeat extends NodeEventBase {
  kind: 'heartbeat';
  runningTaskIds: string[];
  /**
   * The node setup's outcome once known (agents of release 1.1.1 on; optional, so older readers, which skip fields
   * they do not know, and older agents keep working): lets the control plane repair a node whose `setupCompleted`
   * was lost.
   */
  setup?: NodeSetupOutcome;
  /**
   * The exits of the node's newest tasks (at most `heartbeatExitsMax`, of the last `heartbeatExitsMs`; agents of
   * release 1.2 on; optional, older readers skip it): an exit whose own event is late (taken by a worker that
   * crashed, so hidden until its visibility timeout ends) still reaches the node's record, and the task is never
   * taken for one its node lost.
   */
  exits?: HeartbeatExit[];
}

/** A task's exit as a heartbeat repeats it: the fields the node's record keeps. */
export interface HeartbeatExit {
  taskId: string;
  exitCode?: number;
  signal?: string;
  reason: TaskEndReason;
  message?: string;
  nodeRemoval?: NodeRemoval;
  /** When the task ended (the exit event's time). */
  time: string;
}

/** Heartbeats repeat the exits of tasks ended this recently: longer than a queue message can stay hidden (10 min). */
export const heartbeatExitsMs = 15 * 60_000;
export const heartbeatExitsMax = 16;

export interface NodeSetupCompleted extends NodeEventBase, NodeSetupOutcome {
  kind: 'setupCompleted';
}

export interface TaskStarted extends NodeEventBase, WireTraceContext {
  kind: 'taskStarted';
  taskId: string;
  jobId: string;
  attempt: number;
  replyTo?: string;
}

export interface TaskExited extends NodeEventBase, WireTraceContext {
  kind: 'taskExited';
  taskId: string;
  jobId: string;
  attempt: number;
  /** Exit code of the process; absent when it was ended by a signal or never started. */
  exitCode?: number;
  signal?: string;
  reason: TaskEndReason;
  /** For people: why the task could not start, or who ended it (kill request, eviction). */
  message?: string;
  /** The kill came with the node's removal (scale down): what the cluster's nodeDeallocationOption wants. */
  nodeRemoval?: NodeRemoval;
  replyTo?: string;
  /** Echoed from the task's RunTaskMessage (`<job GUID>/<attempt>`): its exit ends the node's part in that attempt. */
  releasesNodeOf?: string;
}

/**
 * Version 3: the exits of several tasks of the node, each handled as its own `taskExited` (its time, trace context
 * and reply). On the wire each exit has `taskExited`'s fields without the header, plus its own `time`.
 */
export interface TasksExited extends NodeEventBase {
  kind: 'tasksExited';
  /** The exits as `taskExited` events of this node (its header with each exit's own time, version 2). */
  exits: TaskExited[];
}

/** A `tasksExited` as its sender writes it after the header: each exit's `taskExited` fields and its own time. */
export interface TasksExitedBody {
  kind: 'tasksExited';
  exits: (Omit<TaskExited, keyof NodeEventBase | 'kind'> & { time: string })[];
}

export interface EvictionNotice extends NodeEventBase {
  kind: 'evictionNotice';
  eventId: string;
  eventType: 'Preempt' | 'Terminate';
  notBefore?: string;
}

export interface TaskMessageRejected extends NodeEventBase {
  kind: 'taskMessageRejected';
  reason: string;
}

export type NodeEvent =
  | NodeRegistered
  | NodeHeartbeat
  | NodeSetupCompleted
  | TaskStarted
  | TaskExited
  | TasksExited
  | EvictionNotice
  | TaskMessageRejected;

export type NodeEventKind = NodeEvent['kind'];

/** Distributive Omit: a node event without the header the sender fills in. */
export type NodeEventBody = NodeEvent extends infer E
  ? E extends NodeEvent
    ? Omit<E, keyof NodeEventBase>
    : never
  : never;

const kinds = [
  'registered',
  'heartbeat',
  'setupCompleted',
  'taskStarted',
  'taskExited',
  'tasksExited',
  'evictionNotice',
  'taskMessageRejected',
] as const;

function taskFields(
  obj: WireObject,
  at = 'message',
): { taskId: string; jobId: string; attempt: number; replyTo?: string } & WireTraceContext {
  return {
    taskId: requireString(obj, 'taskId', at, 256),
    jobId: requireString(obj, 'jobId', at, 1024),
    attempt: requireInteger(obj, 'attempt', at, 1, 10_000),
    replyTo: optionalString(obj, 'replyTo', at, 256),
    ...optionalTraceContext(obj),
  };
}

function heartbeatExits(value: unknown): HeartbeatExit[] {
  if (!Array.isArray(value) || value.length > 2 * heartbeatExitsMax)
    throw new ContractError('message.exits', `must be an array of at most ${2 * heartbeatExitsMax} exits.`);
  return value.map((item, index) => {
    const at = `message.exits[${index}]`;
    const obj = requireObject(item, at);
    return {
      taskId: requireString(obj, 'taskId', at, 256),
      exitCode: optionalInteger(obj, 'exitCode', at, -2147483648, 2147483647),
      signal: optionalString(obj, 'signal', at, 32),
      reason: requireOneOf(obj, 'reason', at, taskEndReasons),
      message: optionalString(obj, 'message', at, 4096),
      nodeRemoval:
        obj.nodeRemoval === undefined ? undefined : requireOneOf(obj, 'nodeRemoval', at, nodeRemovals),
      time: requireTimestamp(obj, 'time', at),
    };
  });
}

function setupOutcome(obj: WireObject, at: string): NodeSetupOutcome {
  const succeeded = obj.succeeded;
  if (typeof succeeded !== 'boolean') throw new ContractError(`${at}.succeeded`, 'must be true or false.');
  return {
    succeeded,
    exitCode: optionalInteger(obj, 'exitCode', at, -2147483648, 2147483647),
    message: optionalString(obj, 'message', at, 4096),
  };
}

/**
 * Whether a task's end hands its node back before the attempt is recorded as ended, when it was the node's last
 * task in the attempt (`releasesNodeOf`): only a process that ended by itself does; a kill, an eviction, a lost node
 * or a removal with the node leaves the node to the lifecycle, which ends the attempt once it has decided.
 */
export function endHandsNodeBack(end: { reason?: TaskEndReason; nodeRemoval?: NodeRemoval }): boolean {
  return end.reason === 'exited' && end.nodeRemoval === undefined;
}

/** A task's exit (`obj` at path `at`: the message, or one of a `tasksExited`'s exits) under `base`. */
function taskExited(obj: WireObject, base: NodeEventBase, at: string): TaskExited {
  const exitCode = optionalInteger(obj, 'exitCode', at, -2147483648, 2147483647);
  const signal = optionalString(obj, 'signal', at, 32);
  const common = { ...base, kind: 'taskExited' as const, ...taskFields(obj, at), exitCode, signal };
  if (base.version === 1) {
    // A version-1 agent sent its reason as text: keep the text for people, and take the machine-readable reason
    // from the facts alone (an eviction then shows as the node leaving, which the lifecycle checks).
    const reason: TaskEndReason =
      exitCode !== undefined ? 'exited' : signal !== undefined ? 'killed' : 'failedToStart';
    return { ...common, reason, message: optionalString(obj, 'reason', at, 4096) };
  }
  return {
    ...common,
    reason: requireOneOf(obj, 'reason', at, taskEndReasons),
    message: optionalString(obj, 'message', at, 4096),
    nodeRemoval:
      obj.nodeRemoval === undefined ? undefined : requireOneOf(obj, 'nodeRemoval', at, nodeRemovals),
    releasesNodeOf: optionalString(obj, 'releasesNodeOf', at, 256),
  };
}

export function parseNodeEvent(value: unknown): NodeEvent {
  const obj = checkSchemaHeader(value, nodeEventSchema, [1, nodeEventVersion, tasksExitedVersion]);
  const kind = requireOneOf(obj, 'kind', 'message', kinds);
  if ((kind === 'tasksExited') !== (obj.version === tasksExitedVersion)) {
    throw new ContractError(
      'message.version',
      kind === 'tasksExited'
        ? `must be ${tasksExitedVersion} for tasksExited.`
        : `${tasksExitedVersion} is only for tasksExited.`,
    );
  }
  const base: NodeEventBase = {
    schema: nodeEventSchema,
    version: obj.version as 1 | 2 | 3,
    nodeId: requireString(obj, 'nodeId', 'message', 256),
    clusterKey: requireString(obj, 'clusterKey', 'message', 1024),
    time: requireTimestamp(obj, 'time', 'message'),
    ...(obj.vmId === undefined ? {} : { vmId: requireString(obj, 'vmId', 'message', 64) }),
  };
  switch (kind) {
    case 'registered': {
      let remoteLogin: NodeRegistered['remoteLogin'];
      if (obj.remoteLogin !== undefined) {
        const login = requireObject(obj.remoteLogin, 'message.remoteLogin');
        remoteLogin = {
          ipAddress: requireString(login, 'ipAddress', 'message.remoteLogin', 64),
          port: requireInteger(login, 'port', 'message.remoteLogin', 1, 65535),
        };
      }
      return {
        ...base,
        kind,
        vmSize: requireString(obj, 'vmSize', 'message', 64),
        cpuCount: requireInteger(obj, 'cpuCount', 'message', 1, 4096),
        gpuCount: requireInteger(obj, 'gpuCount', 'message', 0, 64),
        agentVersion: requireString(obj, 'agentVersion', 'message', 64),
        remoteLogin,
      };
    }
    case 'heartbeat':
      return {
        ...base,
        kind,
        runningTaskIds: optionalStringArray(obj, 'runningTaskIds', 'message') ?? [],
        setup:
          obj.setup === undefined
            ? undefined
            : setupOutcome(requireObject(obj.setup, 'message.setup'), 'message.setup'),
        exits: obj.exits === undefined ? undefined : heartbeatExits(obj.exits),
      };
    case 'setupCompleted':
      return { ...base, kind, ...setupOutcome(obj, 'message') };
    case 'taskStarted':
      return { ...base, kind, ...taskFields(obj) };
    case 'taskExited':
      return taskExited(obj, base, 'message');
    case 'tasksExited': {
      const list = obj.exits;
      if (!Array.isArray(list) || list.length === 0 || list.length > tasksExitedMax)
        throw new ContractError('message.exits', `must be an array of 1 to ${tasksExitedMax} exits.`);
      return {
        ...base,
        kind,
        exits: list.map((item, index) => {
          const at = `message.exits[${index}]`;
          const exit = requireObject(item, at);
          return taskExited(
            exit,
            { ...base, version: nodeEventVersion, time: requireTimestamp(exit, 'time', at) },
            at,
          );
        }),
      };
    }
    case 'evictionNotice':
      return {
        ...base,
        kind,
        eventId: requireString(obj, 'eventId', 'message', 256),
        eventType: requireOneOf(obj, 'eventType', 'message', ['Preempt', 'Terminate'] as const),
        notBefore: optionalString(obj, 'notBefore', 'message', 64),
      };
    case 'taskMessageRejected':
      return { ...base, kind, reason: requireString(obj, 'reason', 'message', 4096) };
  }
}
