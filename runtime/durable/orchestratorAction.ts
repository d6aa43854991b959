// The actions an orchestrator returns (OrchestratorState.actions, out-of-proc schema V2+), validated from the
// library's JSON, and flattened into the order in which the library assigns task sequence numbers.

export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

export interface RetryOptionsWire {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

export interface EntityRef {
  name: string;
  key: string;
}

/** An action as the library serializes it (fields per action type; see durable-functions/lib/src/actions). */
export interface OrchestratorAction {
  actionType: number;
  functionName?: string;
  input?: unknown;
  retryOptions?: RetryOptionsWire;
  instanceId?: string;
  version?: string;
  fireAt?: string;
  isCanceled?: boolean;
  externalEventName?: string;
  reason?: string;
  operation?: string;
  lockRequestId?: string;
  lockSet?: EntityRef[];
  compoundActions?: OrchestratorAction[];
}

export interface OrchestratorStateWire {
  isDone: boolean;
  actions: OrchestratorAction[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
  schemaVersion?: number;
}

/** An action that consumes task sequence numbers (`seqCount` of them; ReleaseEntities takes one per entity). */
export interface SequencedAction {
  action: OrchestratorAction;
  seqCount: number;
  /** For ReleaseEntities: the entities of the lock being released (from the preceding LockEntities). */
  releasedEntities?: EntityRef[];
}

export interface FlattenedActions {
  sequenced: SequencedAction[];
  waits: string[];
  continueAsNew?: OrchestratorAction;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates the orchestrator's return value (a boundary: it comes from user code through the library). */
export function parseOrchestratorState(value: unknown): OrchestratorStateWire {
  if (!isRecord(value)) throw new Error('orchestrator result: expected an OrchestratorState object');
  if (typeof value.isDone !== 'boolean') throw new Error('orchestrator result.isDone: expected a boolean');
  if (!Array.isArray(value.actions)) throw new Error('orchestrator result.actions: expected an array');
  for (const [i, group] of value.actions.entries()) {
    if (!Array.isArray(group)) throw new Error(`orchestrator result.actions[${i}]: expected an array`);
    for (const [j, action] of group.entries()) {
      if (!isRecord(action) || typeof action.actionType !== 'number') {
        throw new Error(`orchestrator result.actions[${i}][${j}].actionType: expected a number`);
      }
    }
  }
  return value as unknown as OrchestratorStateWire;
}

/** Depth-first, in the order trackOpenTask walks compound tasks (which is the order of `compoundActions`). */
export function flattenActions(state: OrchestratorStateWire): FlattenedActions {
  const result: FlattenedActions = { sequenced: [], waits: [] };
  let currentLock: EntityRef[] | undefined;
  const visit = (action: OrchestratorAction): void => {
    switch (action.actionType) {
      case ActionType.WhenAll:
      case ActionType.WhenAny:
        for (const child of action.compoundActions ?? []) visit(child);
        return;
      case ActionType.WaitForExternalEvent:
        result.waits.push(action.externalEventName ?? '');
        return;
      case ActionType.ContinueAsNew:
        result.continueAsNew = action;
        return;
      case ActionType.LockEntities:
        currentLock = action.lockSet ?? [];
        result.sequenced.push({ action, seqCount: 1 });
        return;
      case ActionType.ReleaseEntities: {
        const released = currentLock ?? [];
        currentLock = undefined;
        result.sequenced.push({ action, seqCount: released.length, releasedEntities: released });
        return;
      }
      default:
        result.sequenced.push({ action, seqCount: 1 });
    }
  };
  for (const group of state.actions) for (const action of group) visit(action);
  return result;
}

/** The entity scheduler id the library uses: "@" + lower-cased name + "@" + key. */
export function entitySchedulerId(entity: EntityRef): string {
  return `@${entity.name.toLowerCase()}@${entity.key}`;
}

export function entityRefFromSchedulerId(id: string): EntityRef {
  const at = id.indexOf('@', 1);
  return { name: id.substring(1, at), key: id.substring(at + 1) };
}

/** The library passes string inputs JSON-encoded once more (Utils.processInput); the extension unwraps them. */
export function unwrapProcessedInput(input: unknown): unknown {
  if (typeof input === 'string') {
    try {
      return JSON.parse(input) as unknown;
    } catch {
      return input;
    }
  }
  return input;
}
