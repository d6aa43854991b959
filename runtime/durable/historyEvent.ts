// History events as the Durable Functions extension hands them to the durable-functions library (out-of-proc
// protocol): PascalCase fields, EventType numbers, EventId = the task's sequence number for scheduling events.

export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
  GenericEvent: 17,
  HistoryState: 18,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
} as const;

export type EventTypeNumber = (typeof EventType)[keyof typeof EventType];

export const eventTypeName: Record<number, string> = Object.fromEntries(
  Object.entries(EventType).map(([name, value]) => [value, name]),
);

/** FailureDetails as the library's taskFailedErrorFromWireDto reads them. */
export interface FailureDetailsWire {
  ErrorType: string;
  ErrorMessage: string;
  StackTrace?: string;
  IsNonRetriable?: boolean;
}

/**
 * One history event. Only the fields the library reads are typed; `Implicit` marks events the engine created on
 * its own (retry timers and attempts, long-timer segments): they have no action of their own in the action list.
 */
export interface HistoryEvent {
  EventType: EventTypeNumber;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  Name?: string;
  Input?: string;
  Result?: string;
  Reason?: string;
  Details?: string;
  FailureDetails?: FailureDetailsWire;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: string;
  InstanceId?: string;
  Version?: string;
  Implicit?: boolean;
}

export function historyEvent(
  type: EventTypeNumber,
  timestamp: string,
  fields: Partial<HistoryEvent> = {},
): HistoryEvent {
  return { EventType: type, EventId: -1, IsPlayed: false, Timestamp: timestamp, ...fields };
}
