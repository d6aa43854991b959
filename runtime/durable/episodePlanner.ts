// Pure replay logic of one orchestration episode: orders the new events, allocates the sequence numbers the
// library allocates on its own (retry timers and attempts, long-timer segments), builds the trigger input, then
// diffs the returned actions against history (non-determinism) and plans what the new actions schedule.
import { EventType, historyEvent, type FailureDetailsWire, type HistoryEvent } from './historyEvent';
import {
  ActionType,
  entitySchedulerId,
  flattenActions,
  unwrapProcessedInput,
  type OrchestratorAction,
  type OrchestratorStateWire,
  type SequencedAction,
} from './orchestratorAction';
import { nextRetryDelayMs, noAttemptFailure, validateRetryOptions } from './retryPolicy';
import { formatTimeSpan } from './timeSpan';
import type { EntityMessage, InstanceMeta, RetryTrack, TaskFailure, TaskTrack } from './engineState';

export interface PlannerConfig {
  maximumShortTimerMs: number;
  longRunningTimerIntervalMs: number;
}

export const defaultPlannerConfig: PlannerConfig = {
  maximumShortTimerMs: 6 * 86_400_000,
  longRunningTimerIntervalMs: 3 * 86_400_000,
};

export type ImplicitSchedule =
  | { kind: 'timer'; seq: number; fireAt: string }
  | { kind: 'activity'; seq: number; name: string; input?: string; failWith?: string | TaskFailure }
  | {
      kind: 'orchestrator';
      seq: number;
      name: string;
      instanceId: string;
      input?: string;
      version?: string;
      failWith?: string | TaskFailure;
    };

export interface PreparedEpisode {
  /** OrchestratorStarted followed by the new events in the order the library will process them. */
  events: HistoryEvent[];
  implicit: ImplicitSchedule[];
  tracks: Record<string, TaskTrack>;
  nextSeq: number;
  now: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function subOrchestrationId(parentId: string, seq: number): string {
  return `${parentId}:${seq.toString(16).padStart(4, '0')}`;
}

/**
 * Puts first the events that make the library allocate a sequence number without a new action (a failed attempt
 * of a retried task, a retry timer with attempts left, a long-timer segment before the final one): processing
 * them cannot resume user code, so every sequence number the user's new actions get comes after them.
 */
export function prepareEpisode(
  meta: Pick<InstanceMeta, 'instanceId' | 'tracks' | 'nextSeq'>,
  newEvents: HistoryEvent[],
  now: number,
  config: PlannerConfig,
): PreparedEpisode {
  const tracks: Record<string, TaskTrack> = { ...meta.tracks };
  let nextSeq = meta.nextSeq;
  const implicitEvents: HistoryEvent[] = [];
  const normalEvents: HistoryEvent[] = [];
  const implicit: ImplicitSchedule[] = [];
  for (const event of newEvents) {
    const isFailure =
      event.EventType === EventType.TaskFailed ||
      event.EventType === EventType.SubOrchestrationInstanceFailed;
    const key = String(
      isFailure ? event.TaskScheduledId : event.EventType === EventType.TimerFired ? event.TimerId : '',
    );
    const track = key === '' ? undefined : tracks[key];
    if (!track) {
      const completedKey = String(event.TaskScheduledId);
      if (event.TaskScheduledId !== undefined && tracks[completedKey]?.kind === 'retry')
        delete tracks[completedKey];
      normalEvents.push(event);
      continue;
    }
    if (track.kind === 'retry' && isFailure && !track.waitingOnTimer) {
      const delay = nextRetryDelayMs(track.options, track.attempt, track.firstAttemptAt, now);
      const seq = nextSeq++;
      delete tracks[key];
      const lastFailure: TaskFailure = {
        reason: event.Reason,
        details: event.Details,
        failureDetails: event.FailureDetails,
      };
      tracks[String(seq)] = { ...track, waitingOnTimer: true, attempt: track.attempt + 1, lastFailure };
      implicit.push({ kind: 'timer', seq, fireAt: iso(now + (delay ?? 0)) });
      implicitEvents.push(event);
    } else if (track.kind === 'retry' && event.EventType === EventType.TimerFired && track.waitingOnTimer) {
      delete tracks[key];
      if (track.attempt > track.options.maxNumberOfAttempts) {
        normalEvents.push(event); // the library now fails the task with the last error
        continue;
      }
      const seq = nextSeq++;
      tracks[String(seq)] = { ...track, waitingOnTimer: false };
      const timedOut = nextRetryDelayMs(track.options, 0, track.firstAttemptAt, now) === undefined;
      // As DurableTask.Core's RetryInterceptor, which then rethrows the last attempt's exception.
      const failWith = timedOut ? (track.lastFailure ?? {}) : undefined;
      implicit.push(
        track.target === 'activity'
          ? { kind: 'activity', seq, name: track.name, input: track.input, failWith }
          : {
              kind: 'orchestrator',
              seq,
              name: track.name,
              instanceId: track.childInstanceId ?? subOrchestrationId(meta.instanceId, seq),
              input: track.input,
              version: track.childVersion,
              failWith,
            },
      );
      implicitEvents.push(event);
    } else if (track.kind === 'longTimer' && event.EventType === EventType.TimerFired) {
      delete tracks[key];
      const finalAt = Date.parse(track.finalFireAt);
      if (finalAt <= now) {
        normalEvents.push(event);
        continue;
      }
      const seq = nextSeq++;
      tracks[String(seq)] = track;
      const fireAt =
        finalAt - now > config.maximumShortTimerMs ? now + config.longRunningTimerIntervalMs : finalAt;
      implicit.push({ kind: 'timer', seq, fireAt: iso(fireAt) });
      implicitEvents.push(event);
    } else {
      normalEvents.push(event);
    }
  }
  const started = historyEvent(EventType.OrchestratorStarted, iso(now));
  return { events: [started, ...implicitEvents, ...normalEvents], implicit, tracks, nextSeq, now };
}

/** The orchestrationTrigger payload (DurableOrchestrationBindingInfo) with replayed events marked IsPlayed. */
export function buildOrchestratorInput(
  meta: Pick<InstanceMeta, 'instanceId' | 'input' | 'parent'>,
  history: HistoryEvent[],
  events: HistoryEvent[],
  config: PlannerConfig,
): Record<string, unknown> {
  return {
    history: [
      ...history.map((e) => ({ ...e, IsPlayed: true })),
      ...events.map((e) => ({ ...e, IsPlayed: false })),
    ],
    input: meta.input === undefined ? undefined : (JSON.parse(meta.input) as unknown),
    instanceId: meta.instanceId,
    isReplaying: history.length > 0,
    parentInstanceId: meta.parent?.instanceId,
    upperSchemaVersion: 3,
    upperSchemaVersionNew: 3,
    maximumShortTimerDuration: formatTimeSpan(config.maximumShortTimerMs),
    longRunningTimerIntervalDuration: formatTimeSpan(config.longRunningTimerIntervalMs),
    defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
  };
}

export type EpisodeOutcome =
  | { kind: 'state'; state: OrchestratorStateWire }
  | { kind: 'failed'; message: string; failure?: FailureDetailsWire };

export interface PlannedEntityMessage {
  target: string;
  message: Omit<EntityMessage, 'id'>;
}

export interface EpisodePlan {
  /** Events to append to history (already marked IsPlayed for later replays). */
  appended: HistoryEvent[];
  status: 'Running' | 'Completed' | 'Failed' | 'ContinuedAsNew';
  output?: string;
  customStatus?: string;
  failure?: FailureDetailsWire;
  tracks: Record<string, TaskTrack>;
  nextSeq: number;
  activities: { taskId: number; name: string; input?: string; failWith?: string | TaskFailure }[];
  timers: { timerId: number; fireAt: string }[];
  subOrchestrations: {
    taskId: number;
    name: string;
    instanceId: string;
    input?: string;
    /** As the action asked; the engine stamps the worker's defaultVersion when absent. */
    version?: string;
    failWith?: string | TaskFailure;
  }[];
  entityMessages: PlannedEntityMessage[];
  continueAsNew?: { input?: string };
}

const toJson = (value: unknown): string | undefined =>
  value === undefined ? undefined : JSON.stringify(value);

function describeScheduled(event: HistoryEvent): string {
  switch (event.EventType) {
    case EventType.TaskScheduled:
      return `activity '${event.Name}'`;
    case EventType.SubOrchestrationInstanceCreated:
      return `sub-orchestration '${event.Name}'`;
    case EventType.TimerCreated:
      return 'a timer';
    default:
      return `entity operation '${event.Name}' on '${event.InstanceId}'`;
  }
}

function expectedEvent(
  seqAction: SequencedAction,
  index: number,
): { type: number; name?: string; instanceId?: string } {
  const a = seqAction.action;
  switch (a.actionType) {
    case ActionType.CallActivity:
    case ActionType.CallActivityWithRetry:
      return { type: EventType.TaskScheduled, name: a.functionName };
    case ActionType.CallSubOrchestrator:
    case ActionType.CallSubOrchestratorWithRetry:
      return { type: EventType.SubOrchestrationInstanceCreated, name: a.functionName };
    case ActionType.CreateTimer:
      return { type: EventType.TimerCreated };
    case ActionType.LockEntities:
      return {
        type: EventType.EventSent,
        name: 'lock',
        instanceId: entitySchedulerId(a.lockSet?.[0] ?? { name: '', key: '' }),
      };
    case ActionType.ReleaseEntities:
      return {
        type: EventType.EventSent,
        name: 'release',
        instanceId: entitySchedulerId(seqAction.releasedEntities?.[index] ?? { name: '', key: '' }),
      };
    default:
      return { type: EventType.EventSent, name: a.operation, instanceId: a.instanceId };
  }
}

function describeAction(seqAction: SequencedAction): string {
  const expected = expectedEvent(seqAction, 0);
  return describeScheduled(
    historyEvent(expected.type as HistoryEvent['EventType'], '', {
      Name: expected.name,
      InstanceId: expected.instanceId,
    }),
  );
}

export class NonDeterminismError extends Error {
  constructor(message: string) {
    super(`Non-Deterministic workflow detected: ${message}`);
    this.name = 'NonDeterministicOrchestrationException';
  }
}

const schedulingTypes: ReadonlySet<number> = new Set([
  EventType.TaskScheduled,
  EventType.SubOrchestrationInstanceCreated,
  EventType.TimerCreated,
  EventType.EventSent,
]);

/**
 * Checks the returned actions against history and plans the effects of the new ones. Actions the engine cannot
 * carry out (an unsupported action type, a timer without a date, invalid retry options) fail the orchestration,
 * as the Durable Task runtime fails an orchestration whose actions it cannot process.
 */
export function planEpisode(
  meta: Pick<InstanceMeta, 'instanceId' | 'executionId' | 'customStatus'>,
  history: HistoryEvent[],
  prepared: PreparedEpisode,
  outcome: EpisodeOutcome,
  config: PlannerConfig,
  newId: () => string,
): EpisodePlan {
  try {
    return planActions(meta, history, prepared, outcome, config, newId);
  } catch (error: unknown) {
    if (outcome.kind === 'failed') throw error; // planning a failure schedules nothing new: cannot throw
    const message = `Invalid orchestrator action: ${error instanceof Error ? error.message : String(error)}`;
    const failure = { ErrorType: 'InvalidOrchestratorAction', ErrorMessage: message };
    return planActions(meta, history, prepared, { kind: 'failed', message, failure }, config, newId);
  }
}

function planActions(
  meta: Pick<InstanceMeta, 'instanceId' | 'executionId' | 'customStatus'>,
  history: HistoryEvent[],
  prepared: PreparedEpisode,
  outcome: EpisodeOutcome,
  config: PlannerConfig,
  newId: () => string,
): EpisodePlan {
  const now = prepared.now;
  const ts = iso(now);
  const plan: EpisodePlan = {
    appended: prepared.events.map((e) => ({ ...e, IsPlayed: true })),
    status: 'Running',
    customStatus: meta.customStatus,
    tracks: prepared.tracks,
    nextSeq: prepared.nextSeq,
    activities: [],
    timers: [],
    subOrchestrations: [],
    entityMessages: [],
  };
  const fail = (message: string, failure?: FailureDetailsWire): EpisodePlan => {
    const details = failure ?? { ErrorType: 'Error', ErrorMessage: message };
    return {
      ...plan,
      appended: [
        ...plan.appended,
        historyEvent(EventType.ExecutionCompleted, ts, {
          Result: JSON.stringify(message),
          FailureDetails: details,
          IsPlayed: true,
        }),
      ],
      status: 'Failed',
      output: JSON.stringify(message),
      failure: details,
      activities: [],
      timers: [],
      subOrchestrations: [],
      entityMessages: [],
    };
  };

  // Sequence numbers of implicit allocations come first (see prepareEpisode).
  for (const item of prepared.implicit) {
    if (item.kind === 'timer') {
      plan.appended.push(
        historyEvent(EventType.TimerCreated, ts, {
          EventId: item.seq,
          FireAt: item.fireAt,
          Implicit: true,
          IsPlayed: true,
        }),
      );
      plan.timers.push({ timerId: item.seq, fireAt: item.fireAt });
    } else if (item.kind === 'activity') {
      plan.appended.push(
        historyEvent(EventType.TaskScheduled, ts, {
          EventId: item.seq,
          Name: item.name,
          Input: item.input,
          Implicit: true,
          IsPlayed: true,
        }),
      );
      plan.activities.push({ taskId: item.seq, name: item.name, input: item.input, failWith: item.failWith });
    } else {
      plan.appended.push(
        historyEvent(EventType.SubOrchestrationInstanceCreated, ts, {
          EventId: item.seq,
          Name: item.name,
          InstanceId: item.instanceId,
          Input: item.input,
          Implicit: true,
          IsPlayed: true,
        }),
      );
      plan.subOrchestrations.push({
        taskId: item.seq,
        name: item.name,
        instanceId: item.instanceId,
        input: item.input,
        version: item.version,
        failWith: item.failWith,
      });
    }
  }

  if (outcome.kind === 'failed') return fail(outcome.message, outcome.failure);
  const state = outcome.state;
  if (state.customStatus !== undefined) plan.customStatus = toJson(state.customStatus);

  const flat = flattenActions(state);
  const scheduled = history.filter((e) => schedulingTypes.has(e.EventType) && !e.Implicit);
  let cursor = 0;
  for (const seqAction of flat.sequenced) {
    const { action } = seqAction;
    if (action.actionType === ActionType.CallHttp) {
      return fail('callHttp is not supported by the local Durable Task engine (see docs/durable-engine.md)');
    }
    if (cursor < scheduled.length) {
      // Replayed action: it must match what history says was scheduled at this step.
      for (let i = 0; i < seqAction.seqCount; i++) {
        const event = scheduled[cursor + i];
        const expected = expectedEvent(seqAction, i);
        const mismatch =
          !event ||
          event.EventType !== expected.type ||
          (expected.name !== undefined && event.Name !== expected.name) ||
          (expected.instanceId !== undefined && event.InstanceId !== expected.instanceId);
        if (mismatch) {
          const what = event ? describeScheduled(event) : 'nothing';
          const message = new NonDeterminismError(
            `history says task ${event?.EventId ?? cursor + i} scheduled ${what}, but the orchestrator code now schedules ` +
              `${describeAction(seqAction)} at that step. Was the orchestrator code changed after this instance started?`,
          ).message;
          return fail(message, {
            ErrorType: 'NonDeterministicOrchestrationException',
            ErrorMessage: message,
          });
        }
      }
      cursor += seqAction.seqCount;
      continue;
    }
    scheduleNewAction(seqAction, plan, meta, now, config, newId);
  }
  if (cursor < scheduled.length) {
    // The code now schedules fewer steps than history recorded (a step was removed, or moved behind a wait): the
    // Durable Task runtime fails such an instance, and so does this engine, so the change shows up locally too.
    const event = scheduled[cursor];
    const message = new NonDeterminismError(
      `history says task ${event.EventId ?? cursor} scheduled ${describeScheduled(event)}, but the orchestrator ` +
        `code now schedules nothing at that step. Was the orchestrator code changed after this instance started?`,
    ).message;
    return fail(message, { ErrorType: 'NonDeterministicOrchestrationException', ErrorMessage: message });
  }
  if (state.isDone) {
    if (flat.continueAsNew) {
      const input = toJson(unwrapProcessedInput(flat.continueAsNew.input));
      plan.status = 'ContinuedAsNew';
      // External events this execution received and no wait consumed are dropped, as the extension drops them for
      // JavaScript (its `ContinueAsNew(input)` keeps `preserveUnprocessedEvents` false; the library has no flag).
      // Events not yet delivered to this execution stay in the inbox for the next one.
      plan.continueAsNew = { input };
      plan.appended.push(historyEvent(EventType.ContinueAsNew, ts, { Input: input, IsPlayed: true }));
    } else {
      plan.status = 'Completed';
      plan.output = toJson(state.output);
      plan.appended.push(
        historyEvent(EventType.ExecutionCompleted, ts, { Result: plan.output, IsPlayed: true }),
      );
    }
  }
  return plan;
}

function scheduleNewAction(
  seqAction: SequencedAction,
  plan: EpisodePlan,
  meta: Pick<InstanceMeta, 'instanceId' | 'executionId'>,
  now: number,
  config: PlannerConfig,
  newId: () => string,
): void {
  const { action } = seqAction;
  const ts = iso(now);
  const seq = plan.nextSeq;
  plan.nextSeq += seqAction.seqCount;
  const from = { instanceId: meta.instanceId, executionId: meta.executionId };
  const push = (fields: Partial<HistoryEvent> & { EventType: HistoryEvent['EventType'] }): void => {
    plan.appended.push(historyEvent(fields.EventType, ts, { ...fields, IsPlayed: true }));
  };
  switch (action.actionType) {
    case ActionType.CallActivity:
    case ActionType.CallActivityWithRetry: {
      const name = action.functionName ?? '';
      const input = toJson(unwrapProcessedInput(action.input));
      push({ EventType: EventType.TaskScheduled, EventId: seq, Name: name, Input: input });
      let failWith: string | undefined;
      if (action.actionType === ActionType.CallActivityWithRetry) {
        const track = retryTrack('activity', name, input, undefined, action, now);
        plan.tracks[String(seq)] = track;
        failWith = noAttemptFailure(`Activity '${name}'`, track.options);
      }
      plan.activities.push({ taskId: seq, name, input, failWith });
      return;
    }
    case ActionType.CallSubOrchestrator:
    case ActionType.CallSubOrchestratorWithRetry: {
      const name = action.functionName ?? '';
      const input = toJson(action.input);
      const instanceId = action.instanceId || subOrchestrationId(meta.instanceId, seq);
      push({
        EventType: EventType.SubOrchestrationInstanceCreated,
        EventId: seq,
        Name: name,
        InstanceId: instanceId,
        Input: input,
      });
      const version = action.version || undefined;
      let failWith: string | TaskFailure | undefined;
      if (action.actionType === ActionType.CallSubOrchestratorWithRetry) {
        const track = retryTrack('orchestrator', name, input, action.instanceId || undefined, action, now);
        plan.tracks[String(seq)] = { ...track, childVersion: version };
        failWith = noAttemptFailure(`Sub-orchestration '${name}'`, track.options);
      }
      plan.subOrchestrations.push({ taskId: seq, name, instanceId, input, version, failWith });
      return;
    }
    case ActionType.CreateTimer: {
      const finalAt = Date.parse(action.fireAt ?? '');
      if (Number.isNaN(finalAt)) throw new Error(`CreateTimer action at task ${seq}: fireAt is not a date`);
      let fireAt = finalAt;
      if (finalAt - now > config.maximumShortTimerMs) {
        fireAt = now + config.longRunningTimerIntervalMs;
        plan.tracks[String(seq)] = { kind: 'longTimer', finalFireAt: iso(finalAt) };
      }
      push({ EventType: EventType.TimerCreated, EventId: seq, FireAt: iso(fireAt) });
      plan.timers.push({ timerId: seq, fireAt: iso(fireAt) });
      return;
    }
    case ActionType.CallEntity:
    case ActionType.SignalEntity: {
      const target = action.instanceId ?? '';
      const signal = action.actionType === ActionType.SignalEntity;
      const requestId = newId();
      const input = toJson(action.input);
      const request = { id: requestId, op: action.operation, signal, input, parent: meta.instanceId };
      push({
        EventType: EventType.EventSent,
        EventId: seq,
        Name: action.operation,
        InstanceId: target,
        Input: JSON.stringify(request),
      });
      plan.entityMessages.push({
        target,
        message: {
          kind: 'op',
          operation: action.operation,
          signal,
          input,
          from,
          requestId: signal ? undefined : requestId,
        },
      });
      return;
    }
    case ActionType.LockEntities: {
      const lockSet = (action.lockSet ?? []).map(entitySchedulerId);
      const requestId = action.lockRequestId ?? newId();
      push({
        EventType: EventType.EventSent,
        EventId: seq,
        Name: 'lock',
        InstanceId: lockSet[0],
        Input: JSON.stringify({ id: requestId, lockset: lockSet, parent: meta.instanceId }),
      });
      if (lockSet.length > 0) {
        plan.entityMessages.push({
          target: lockSet[0],
          message: { kind: 'lock', signal: false, from, requestId, lockSet, lockIndex: 0 },
        });
      }
      return;
    }
    case ActionType.ReleaseEntities: {
      (seqAction.releasedEntities ?? []).forEach((entity, i) => {
        const target = entitySchedulerId(entity);
        push({
          EventType: EventType.EventSent,
          EventId: seq + i,
          Name: 'release',
          InstanceId: target,
          Input: JSON.stringify({ parent: meta.instanceId }),
        });
        plan.entityMessages.push({ target, message: { kind: 'release', signal: true, from } });
      });
      return;
    }
    default:
      throw new Error(`orchestrator action type ${action.actionType} at task ${seq} is not supported`);
  }
}

function retryTrack(
  target: 'activity' | 'orchestrator',
  name: string,
  input: string | undefined,
  childInstanceId: string | undefined,
  action: OrchestratorAction,
  now: number,
): RetryTrack {
  const options = validateRetryOptions(action.retryOptions, `${name}.retryOptions`);
  return {
    kind: 'retry',
    target,
    name,
    input,
    childInstanceId,
    options,
    firstAttemptAt: now,
    attempt: 1,
    waitingOnTimer: false,
  };
}
