// The engine's whole durable state (instances with histories and inboxes, activity work items, timers, entities)
// and the reducer that applies log records to it: the same code runs live and when replaying the log at start.
import type { TraceContext } from '../../shared/telemetry/traceContext';
import type { FailureDetailsWire, HistoryEvent } from './historyEvent';
import type { RetryOptionsWire } from './orchestratorAction';

export type RuntimeStatus =
  'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Canceled' | 'Terminated' | 'Suspended';

export const terminalStatuses: ReadonlySet<RuntimeStatus> = new Set([
  'Completed',
  'Failed',
  'Canceled',
  'Terminated',
]);

/** A message waiting for an instance's next episode; `executionId` set when it belongs to one execution only. */
export interface InboxEntry {
  n: number;
  executionId?: string;
  event: HistoryEvent;
}

/** A task with retry: the chain moves from attempt to timer to attempt, each with its own sequence number. */
export interface RetryTrack {
  kind: 'retry';
  target: 'activity' | 'orchestrator';
  name: string;
  /** Activity input (JSON text) or sub-orchestration input (JSON text). */
  input?: string;
  childInstanceId?: string;
  /** The version a retried sub-orchestration was started with (`callSubOrchestratorWithRetry`'s `version`). */
  childVersion?: string;
  options: RetryOptionsWire;
  firstAttemptAt: number;
  /** Same counting as the library's RetryableTask.attemptNumber. */
  attempt: number;
  waitingOnTimer: boolean;
  /** The last attempt's failure: attempts the retry timeout leaves no time for fail with it. */
  lastFailure?: TaskFailure;
}

/** A failure as its TaskFailed / SubOrchestrationInstanceFailed event carried it. */
export interface TaskFailure {
  reason?: string;
  details?: string;
  failureDetails?: FailureDetailsWire;
}

/** A timer longer than maximumShortTimerDuration, fired as a chain of shorter timers (the library's LongTimerTask). */
export interface LongTimerTrack {
  kind: 'longTimer';
  finalFireAt: string;
}

export type TaskTrack = RetryTrack | LongTimerTrack;

export interface ParentLink {
  instanceId: string;
  executionId: string;
  taskId: number;
}

export interface InstanceMeta {
  instanceId: string;
  name: string;
  executionId: string;
  status: RuntimeStatus;
  /** JSON texts. */
  input?: string;
  output?: string;
  customStatus?: string;
  createdTime: string;
  lastUpdatedTime: string;
  parent?: ParentLink;
  /** Open retry chains and long timers keyed by the sequence number they currently wait on. */
  tracks: Record<string, TaskTrack>;
  /** The library's next task sequence number (mirrors TaskOrchestrationExecutor.sequenceNumber). */
  nextSeq: number;
  /** Timestamp (ms) of the last episode: episodes get strictly increasing timestamps. */
  lastEpisodeAt: number;
  /** The orchestration's span: a child of the starter's trace context (or of the parent orchestration's). */
  traceContext?: TraceContext;
  /** The orchestration version stamped at creation (runtime/durable/orchestrationVersion.ts); kept for life. */
  version?: string;
}

export interface InstanceState extends InstanceMeta {
  history: HistoryEvent[];
  inbox: InboxEntry[];
}

export interface ActivityWorkItem {
  id: string;
  instanceId: string;
  executionId: string;
  taskId: number;
  name: string;
  /** JSON text of the activity input (undefined when none). */
  input?: string;
  /**
   * When set, the attempt is failed without running: with this message (retry options allowing no attempt), or
   * with the last attempt's failure (the retry timeout expired).
   */
  failWith?: string | TaskFailure;
  /** The activity's span (child of its orchestration's), kept so a re-dispatch after a crash reuses it. */
  traceContext?: TraceContext;
}

export interface TimerItem {
  id: string;
  instanceId: string;
  executionId: string;
  timerId: number;
  fireAt: string;
}

export interface EntityMessage {
  id: string;
  kind: 'op' | 'lock' | 'release';
  operation?: string;
  signal: boolean;
  /** JSON text. */
  input?: string;
  /** The orchestration that sent it (for responses and lock ownership). */
  from?: { instanceId: string; executionId: string };
  /** Id the response is raised under (the library's request id / lockRequestId). */
  requestId?: string;
  /** Lock requests: the whole lock set (scheduler ids, sorted) and this entity's position in it. */
  lockSet?: string[];
  lockIndex?: number;
  /** The operation's span: a child of the sender's (client request, orchestration or entity). */
  traceContext?: TraceContext;
}

export interface EntityRecord {
  id: string;
  name: string;
  key: string;
  exists: boolean;
  /** JSON text. */
  state?: string;
  queue: EntityMessage[];
  lockedBy?: string;
  lastModified: string;
}

export type LogRecord =
  | { k: 'inst'; v: InstanceMeta }
  | { k: 'hist'; id: string; ev: HistoryEvent[] }
  | { k: 'histReset'; id: string }
  | { k: 'inbox'; id: string; e: InboxEntry }
  | { k: 'inboxDel'; id: string; ns: number[] }
  | { k: 'del'; id: string }
  | { k: 'work'; v: ActivityWorkItem }
  | { k: 'workDone'; id: string }
  | { k: 'timer'; v: TimerItem }
  | { k: 'timerDone'; id: string }
  | { k: 'entMsg'; id: string; m: EntityMessage }
  | { k: 'ent'; v: Omit<EntityRecord, 'queue'>; drop: string[] };

export interface EngineSnapshot {
  instances: InstanceState[];
  work: ActivityWorkItem[];
  timers: TimerItem[];
  entities: EntityRecord[];
}

export class EngineState {
  readonly instances = new Map<string, InstanceState>();
  readonly work = new Map<string, ActivityWorkItem>();
  readonly timers = new Map<string, TimerItem>();
  readonly entities = new Map<string, EntityRecord>();
  private nextInboxN = 1;

  newInboxNumber(): number {
    return this.nextInboxN++;
  }

  load(snapshot: EngineSnapshot): void {
    for (const inst of snapshot.instances) {
      this.instances.set(inst.instanceId, inst);
      for (const e of inst.inbox) this.nextInboxN = Math.max(this.nextInboxN, e.n + 1);
    }
    for (const w of snapshot.work) this.work.set(w.id, w);
    for (const t of snapshot.timers) this.timers.set(t.id, t);
    for (const e of snapshot.entities) this.entities.set(e.id, e);
  }

  /**
   * The state as of now, which later records do not change (compaction serializes it over many turns of the event
   * loop): the arrays records push to are copied; the objects records replace (metadata, events, items) are
   * shared.
   */
  snapshot(): EngineSnapshot {
    return {
      instances: [...this.instances.values()].map((inst) => ({
        ...inst,
        history: inst.history.slice(),
        inbox: inst.inbox.slice(),
      })),
      work: [...this.work.values()],
      timers: [...this.timers.values()],
      entities: [...this.entities.values()].map((entity) => ({ ...entity, queue: entity.queue.slice() })),
    };
  }

  apply(record: LogRecord): void {
    switch (record.k) {
      case 'inst': {
        const existing = this.instances.get(record.v.instanceId);
        if (existing) Object.assign(existing, record.v);
        else this.instances.set(record.v.instanceId, { ...record.v, history: [], inbox: [] });
        return;
      }
      case 'hist': {
        const inst = this.instances.get(record.id);
        if (inst) for (const ev of record.ev) inst.history.push(ev);
        return;
      }
      case 'histReset': {
        const inst = this.instances.get(record.id);
        if (inst) inst.history = [];
        return;
      }
      case 'inbox': {
        const inst = this.instances.get(record.id);
        if (inst) inst.inbox.push(record.e);
        this.nextInboxN = Math.max(this.nextInboxN, record.e.n + 1);
        return;
      }
      case 'inboxDel': {
        const inst = this.instances.get(record.id);
        if (inst) {
          const drop = new Set(record.ns);
          inst.inbox = inst.inbox.filter((e) => !drop.has(e.n));
        }
        return;
      }
      case 'del':
        this.instances.delete(record.id);
        return;
      case 'work':
        this.work.set(record.v.id, record.v);
        return;
      case 'workDone':
        this.work.delete(record.id);
        return;
      case 'timer':
        this.timers.set(record.v.id, record.v);
        return;
      case 'timerDone':
        this.timers.delete(record.id);
        return;
      case 'entMsg': {
        let entity = this.entities.get(record.id);
        if (!entity) {
          const at = record.id.indexOf('@', 1);
          entity = {
            id: record.id,
            name: record.id.substring(1, at),
            key: record.id.substring(at + 1),
            exists: false,
            queue: [],
            lastModified: new Date(0).toISOString(),
          };
          this.entities.set(record.id, entity);
        }
        entity.queue.push(record.m);
        return;
      }
      case 'ent': {
        const entity = this.entities.get(record.v.id);
        const drop = new Set(record.drop);
        const queue = entity ? entity.queue.filter((m) => !drop.has(m.id)) : [];
        this.entities.set(record.v.id, { ...record.v, queue });
        return;
      }
    }
  }
}
