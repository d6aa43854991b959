// Replays an orchestrator through the real durable-functions wrapper against a synthetic history, as the Durable
// extension would feed it, and returns the state it answers (actions, output). History events are built with the
// helpers below; times are seconds after a fixed t0.
import type { OrchestrationHandler } from 'durable-functions';
import { DummyOrchestrationContext, createOrchestrator } from 'durable-functions/lib/src/util/testingUtils';

const t0 = Date.parse('2030-01-01T00:00:00.000Z');
export const at = (seconds: number): string => new Date(t0 + seconds * 1000).toISOString();

export type HistoryEvent = Record<string, unknown>;

/** OrchestratorStarted + ExecutionStarted of orchestration `name` with `input` (and `version`), at t0. */
export const started = (name: string, input: unknown, version?: string): HistoryEvent[] => [
  { EventType: 12, EventId: -1, IsPlayed: false, Timestamp: at(0) },
  {
    EventType: 0,
    EventId: -1,
    IsPlayed: false,
    Timestamp: at(0),
    Name: name,
    Input: JSON.stringify(input),
    ...(version === undefined ? {} : { Version: version }),
  },
];
/** An episode boundary: the orchestrator's clock moves to `s`. */
export const episode = (s: number): HistoryEvent => ({
  EventType: 12,
  EventId: -1,
  IsPlayed: false,
  Timestamp: at(s),
});
/** TaskCompleted for the task scheduled as number `id`. */
export const completed = (id: number, result: unknown, s = 1): HistoryEvent => ({
  EventType: 5,
  EventId: -1,
  IsPlayed: false,
  Timestamp: at(s),
  TaskScheduledId: id,
  Result: JSON.stringify(result ?? null),
});
/** EventRaised `name` with `input`. */
export const raised = (name: string, input: unknown, s = 1): HistoryEvent => ({
  EventType: 15,
  EventId: -1,
  IsPlayed: false,
  Timestamp: at(s),
  Name: name,
  Input: JSON.stringify(input),
});
/** TimerFired for the timer created as task number `id`. */
export const fired = (id: number, s: number): HistoryEvent => ({
  EventType: 11,
  EventId: -1,
  IsPlayed: false,
  Timestamp: at(s),
  TimerId: id,
  FireAt: at(s),
});

export interface ReplayAction {
  actionType: number;
  functionName?: string;
  input?: unknown;
  externalEventName?: string;
  fireAt?: string;
}
export interface ReplayState {
  isDone: boolean;
  actions: ReplayAction[][];
  output?: unknown;
}

/** The sequenced actions (activities, timers, continue-as-new) in order, compound ones flattened. */
export function sequencedActions(state: ReplayState): ReplayAction[] {
  const out: ReplayAction[] = [];
  const visit = (action: ReplayAction & { compoundActions?: ReplayAction[] }): void => {
    if (action.compoundActions) action.compoundActions.forEach(visit);
    else if (action.actionType !== 6) out.push(action); // external-event waits take no sequence number
  };
  state.actions.flat().forEach(visit);
  return out;
}

export async function replay(
  handler: OrchestrationHandler,
  name: string,
  instanceId: string,
  input: unknown,
  events: HistoryEvent[],
  /** The instance's orchestration version (`context.df.version`); none: an instance from before versions. */
  version?: string,
): Promise<ReplayState> {
  const trigger = {
    history: [...started(name, input, version), ...events],
    input,
    instanceId,
    isReplaying: false,
    upperSchemaVersion: 3,
    maximumShortTimerDuration: '6.00:00:00',
    longRunningTimerIntervalDuration: '3.00:00:00',
    defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
  };
  return JSON.parse(
    JSON.stringify(await createOrchestrator(handler)(trigger, new DummyOrchestrationContext())),
  ) as ReplayState;
}
