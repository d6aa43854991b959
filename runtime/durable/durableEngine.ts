// The local Durable Task engine: runs orchestration episodes, activities, timers and entities on top of the
// durable log, event-driven (no polling), with per-instance serialization and host.json concurrency limits.
// Every effect (dispatching an activity, arming a timer, acknowledging a client) waits for its commit's fsync.
import { randomUUID } from 'crypto';
import * as path from 'path';
import { childTraceContext, type TraceContext } from '../../shared/telemetry/traceContext';
import type { InvocationInput, InvocationResult } from '../host/plugin';
import { DurableLog } from './durableLog';
import {
  EngineState,
  terminalStatuses,
  type ActivityWorkItem,
  type EngineSnapshot,
  type EntityMessage,
  type EntityRecord,
  type InstanceMeta,
  type InstanceState,
  type LogRecord,
  type RuntimeStatus,
  type TimerItem,
} from './engineState';
import {
  buildOrchestratorInput,
  planEpisode,
  prepareEpisode,
  type EpisodeOutcome,
  type EpisodePlan,
  type PlannerConfig,
} from './episodePlanner';
import { EventType, historyEvent, type FailureDetailsWire, type HistoryEvent } from './historyEvent';
import { normalizeInvocationError } from './invocationFailure';
import { parseOrchestratorState } from './orchestratorAction';
import { defaultVersioning, versionMismatch, type VersioningConfig } from './orchestrationVersion';
import { rpcToJsonText, rpcToValue } from './rpcTypedData';

export type Invoke = (functionName: string, input: InvocationInput) => Promise<InvocationResult>;

export interface DurableEngineOptions {
  dataDir: string;
  hubName: string;
  invoke: Invoke;
  orchestrators: string[];
  activities: string[];
  entities: string[];
  maxConcurrentActivityFunctions: number;
  maxConcurrentOrchestratorFunctions: number;
  planner: PlannerConfig;
  /** host.json's defaultVersion, versionMatchStrategy and versionFailureStrategy (default: no version). */
  versioning?: VersioningConfig;
  log?: (message: string) => void;
  /** Errors (a failed log write, a damaged log found at replay); `log` when absent. */
  error?: (message: string) => void;
  /** Called once when the engine stops on a log failure (the host exits, so its supervisor restarts it). */
  onHalt?: (error: Error) => void;
  compactAfterBytes?: number;
}

export class ClientError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface StatusOptions {
  showHistory?: boolean;
  showHistoryOutput?: boolean;
  showInput?: boolean;
}

export interface InstanceQuery {
  runtimeStatus?: RuntimeStatus[];
  createdTimeFrom?: Date;
  createdTimeTo?: Date;
  instanceIdPrefix?: string;
}

export interface StatusPayload {
  name: string;
  instanceId: string;
  runtimeStatus: RuntimeStatus;
  input: unknown;
  customStatus: unknown;
  output: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  historyEvents?: unknown[];
  history?: unknown[];
}

const parseJson = (text: string | undefined): unknown =>
  text === undefined ? null : (JSON.parse(text) as unknown);
const historyOpening = '"history":[';
const lower = (names: string[]): Map<string, string> => new Map(names.map((n) => [n.toLowerCase(), n]));

export class DurableEngine {
  readonly state = new EngineState();
  private readonly log: DurableLog<LogRecord, EngineSnapshot>;
  private readonly orchestrators: Map<string, string>;
  private readonly activities: Map<string, string>;
  private readonly entityFunctions: Map<string, string>;
  private readonly readyInstances = new Set<string>();
  private readonly runningInstances = new Set<string>();
  private readonly readyEntities = new Set<string>();
  private readonly runningEntities = new Set<string>();
  private readonly activityQueue: ActivityWorkItem[] = [];
  private readonly queuedWork = new Set<string>();
  private runningActivities = 0;
  private readonly armedTimers = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly completionWaiters = new Map<string, (() => void)[]>();
  /** Instances whose next episode waits for a turn of the event loop, or for a back-off after a crash. */
  private readonly deferredInstances = new Map<
    string,
    { timeout: NodeJS.Timeout; immediate?: undefined } | { immediate: NodeJS.Immediate; timeout?: undefined }
  >();
  private readonly episodeCrashes = new Map<string, number>();
  /**
   * Per instance, the last commit that changed it and is not yet durable (settled, never rejected), and the last
   * commit of all: answers to clients (status, list, 404/409/410/412 refusals) wait for them, so a client never
   * sees a state that a crash would take back.
   */
  private readonly pendingByInstance = new Map<string, Promise<void>>();
  private lastCommit: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Set when the log failed a write: memory no longer matches the log, so the engine does no more work. */
  private failure: Error | undefined;
  /** Instances whose version this worker may not run (versionFailureStrategy Reject): their inbox waits. */
  private readonly versionRejected = new Set<string>();
  private readonly historyJson = new Map<string, { history: HistoryEvent[]; length: number; text: string }>();

  private get versioning(): VersioningConfig {
    return this.options.versioning ?? defaultVersioning;
  }

  constructor(private readonly options: DurableEngineOptions) {
    this.log = new DurableLog({
      directory: options.dataDir,
      compactAfterBytes: options.compactAfterBytes,
      log: (m) => (options.error ?? options.log)?.(m),
      onFailure: (error) => this.halt(error),
    });
    this.orchestrators = lower(options.orchestrators);
    this.activities = lower(options.activities);
    this.entityFunctions = lower(options.entities);
  }

  get syncCount(): number {
    return this.log.syncCount;
  }

  /** Replays the log, compacts it, and resumes all pending work (timers that fired while down fire now). */
  start(): void {
    const contents = this.log.open();
    if (contents.snapshot) this.state.load(contents.snapshot);
    for (const commit of contents.commits) for (const record of commit) this.state.apply(record);
    this.log.setSnapshotProvider(() => this.state.snapshot());
    if (contents.commits.length > 0) this.log.compact();
    for (const item of this.state.work.values()) this.enqueueActivity(item);
    for (const timer of this.state.timers.values()) this.armTimer(timer);
    for (const inst of this.state.instances.values())
      if (inst.inbox.length > 0) this.scheduleInstance(inst.instanceId);
    for (const entity of this.state.entities.values())
      if (entity.queue.length > 0) this.scheduleEntity(entity.id);
    this.options.log?.(
      `durable engine: hub '${this.options.hubName}' resumed ${this.state.instances.size} instances, ` +
        `${this.state.work.size} activities, ${this.state.timers.size} timers from ${path.join(this.options.dataDir)}`,
    );
  }

  /**
   * Fail-stop after the log refused a commit: memory already holds commits the log does not, so nothing more is
   * run or answered from it; clients get 503 until the host is restarted and replays the log.
   */
  private halt(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.stopped = true;
    for (const handle of this.armedTimers.values()) clearTimeout(handle);
    this.armedTimers.clear();
    (this.options.error ?? this.options.log)?.(`durable engine: stopped, restart the host: ${error.message}`);
    this.options.onHalt?.(error);
  }

  /** Clients are refused once the engine stopped on a log failure. */
  private refuseIfFailed(): void {
    if (this.failure) throw new ClientError(503, this.failure.message);
  }

  /** Stops dispatching new work, waits for in-flight invocations and pending commits. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const handle of this.armedTimers.values()) clearTimeout(handle);
    this.armedTimers.clear();
    for (const deferred of this.deferredInstances.values()) {
      if (deferred.timeout) clearTimeout(deferred.timeout);
      else clearImmediate(deferred.immediate);
    }
    this.deferredInstances.clear();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await this.log.close();
  }

  // ---------------------------------------------------------------- commits and effects

  private commit(records: LogRecord[]): Promise<void> {
    for (const record of records) this.state.apply(record);
    // Into the log first: work started below may commit at once (an activity that fails without running), and its
    // records must follow these in the log, or a restart replays its result before the work it ends and runs it
    // again.
    const durable = this.log.append(records);
    this.trackPending(records, durable);
    // Running an episode is not an effect (orchestrators are deterministic): start it before the fsync. So are
    // the activities and timers it asked for, which run in this process: a crash before the fsync loses them
    // with the episode that asked for them (the log keeps a prefix of its commits), the episode runs again after
    // the restart and asks for them again, which activities allow (at-least-once, as on Azure). What another
    // party was told (an HTTP acknowledgement, an entity's new state) still waits for the fsync.
    for (const record of records) {
      if (record.k === 'inbox') this.scheduleInstance(record.id);
      else if (this.stopped) continue;
      else if (record.k === 'work') this.enqueueActivity(record.v);
      else if (record.k === 'timer') this.armTimer(record.v);
      else if (record.k === 'timerDone') this.disarmTimer(record.id);
    }
    return durable.then(() => this.dispatchEffects(records));
  }

  private trackPending(records: LogRecord[], durable: Promise<void>): void {
    const settled = durable.then(
      () => undefined,
      () => undefined,
    );
    this.lastCommit = settled;
    const ids = new Set<string>();
    for (const record of records) {
      if (record.k === 'inst') ids.add(record.v.instanceId);
      else if (record.k === 'ent')
        ids.add(record.v.id); // entity ids start with '@', instance ids never do
      else if (
        record.k === 'hist' ||
        record.k === 'histReset' ||
        record.k === 'inbox' ||
        record.k === 'inboxDel' ||
        record.k === 'del'
      )
        ids.add(record.id);
    }
    for (const id of ids) this.pendingByInstance.set(id, settled);
    void settled.then(() => {
      for (const id of ids) if (this.pendingByInstance.get(id) === settled) this.pendingByInstance.delete(id);
    });
  }

  /**
   * The last commit of the instance that is not yet durable. Callers wait in a loop with no other await before
   * acting on what they read: `for (let p = pendingOf(id); p; p = pendingOf(id)) await p;`.
   */
  private pendingOf(instanceId: string): Promise<void> | undefined {
    return this.pendingByInstance.get(instanceId);
  }

  private dispatchEffects(records: LogRecord[]): void {
    if (this.stopped) return;
    for (const record of records) {
      if (record.k === 'entMsg') this.scheduleEntity(record.id);
      else if (record.k === 'inst' && terminalStatuses.has(record.v.status)) {
        this.historyJson.delete(record.v.instanceId);
        this.notifyCompletion(record.v.instanceId);
      } else if (record.k === 'del') this.historyJson.delete(record.id);
    }
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise)).catch(() => undefined);
    return promise;
  }

  private notifyCompletion(instanceId: string): void {
    const waiters = this.completionWaiters.get(instanceId);
    if (!waiters) return;
    this.completionWaiters.delete(instanceId);
    for (const w of waiters) w();
  }

  /** Resolves when the instance reaches a terminal status (durably). */
  waitForCompletion(instanceId: string): Promise<void> {
    const inst = this.state.instances.get(instanceId);
    if (inst && terminalStatuses.has(inst.status)) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.completionWaiters.get(instanceId) ?? [];
      list.push(resolve);
      this.completionWaiters.set(instanceId, list);
    });
  }

  private inboxRecord(instanceId: string, event: HistoryEvent, executionId?: string): LogRecord {
    return { k: 'inbox', id: instanceId, e: { n: this.state.newInboxNumber(), executionId, event } };
  }

  // ---------------------------------------------------------------- orchestrations

  private scheduleInstance(instanceId: string): void {
    if (this.stopped) return;
    this.readyInstances.add(instanceId);
    this.pumpInstances();
  }

  private pumpInstances(): void {
    if (this.stopped) return;
    for (const id of this.readyInstances) {
      if (this.runningInstances.size >= this.options.maxConcurrentOrchestratorFunctions) return;
      if (this.runningInstances.has(id)) continue; // one episode per instance at a time; it re-checks its inbox
      this.readyInstances.delete(id);
      this.runningInstances.add(id);
      void this.track(
        this.runEpisode(id)
          .then(
            () => {
              this.episodeCrashes.delete(id);
              return 0;
            },
            (error: unknown) => {
              // Not a planning error (those fail the orchestration): the log refused a commit, or a bug. Run it
              // again later, never at once: a crash that repeats must not spin the event loop.
              const crashes = (this.episodeCrashes.get(id) ?? 0) + 1;
              this.episodeCrashes.set(id, crashes);
              const delay = Math.min(60_000, 250 * 2 ** Math.min(crashes - 1, 8));
              this.options.log?.(
                `durable engine: episode of '${id}' crashed (${crashes} time(s), next try in ${delay} ms): ${String(error)}`,
              );
              return delay;
            },
          )
          .then((delay) => {
            this.runningInstances.delete(id);
            // Messages that arrived meanwhile run in a next episode, after a turn of the event loop.
            this.readyInstances.delete(id);
            const inst = this.state.instances.get(id);
            if (inst && this.hasProcessableInbox(inst)) this.scheduleLater(id, delay);
            this.pumpInstances();
          }),
      );
    }
  }

  private scheduleLater(instanceId: string, delay: number): void {
    if (this.stopped || this.deferredInstances.has(instanceId)) return;
    const run = (): void => {
      this.deferredInstances.delete(instanceId);
      this.scheduleInstance(instanceId);
    };
    this.deferredInstances.set(
      instanceId,
      delay > 0 ? { timeout: setTimeout(run, delay) } : { immediate: setImmediate(run) },
    );
  }

  private hasProcessableInbox(inst: InstanceState): boolean {
    if (inst.inbox.length === 0 || this.versionRejected.has(inst.instanceId)) return false;
    if (inst.status !== 'Suspended') return true;
    return inst.inbox.some(
      (e) =>
        e.event.EventType === EventType.ExecutionResumed ||
        e.event.EventType === EventType.ExecutionTerminated,
    );
  }

  private metaOf(inst: InstanceState, changes: Partial<InstanceMeta>): InstanceMeta {
    const { history: _h, inbox: _i, ...meta } = inst;
    return { ...meta, ...changes };
  }

  private async runEpisode(instanceId: string): Promise<void> {
    const inst = this.state.instances.get(instanceId);
    if (!inst || inst.inbox.length === 0) return;
    const entries = [...inst.inbox];
    const taken = entries.map((e) => e.n);
    const now = Math.max(Date.now(), inst.lastEpisodeAt + 1);
    const ts = new Date(now).toISOString();

    if (terminalStatuses.has(inst.status)) {
      await this.commit([{ k: 'inboxDel', id: instanceId, ns: taken }]);
      return;
    }
    const terminate = entries.find((e) => e.event.EventType === EventType.ExecutionTerminated);
    if (terminate) {
      const reason = terminate.event.Input;
      await this.commit([
        {
          k: 'hist',
          id: instanceId,
          ev: [
            historyEvent(EventType.OrchestratorStarted, ts, { IsPlayed: true }),
            { ...terminate.event, IsPlayed: true },
          ],
        },
        { k: 'inboxDel', id: instanceId, ns: taken },
        ...this.completionRecords(inst, 'Terminated', reason, {
          ErrorType: 'Terminated',
          ErrorMessage: parseReason(reason),
        }),
        {
          k: 'inst',
          v: this.metaOf(inst, {
            status: 'Terminated',
            output: reason,
            lastUpdatedTime: ts,
            lastEpisodeAt: now,
          }),
        },
      ]);
      return;
    }
    const mismatch = versionMismatch(inst.version, this.versioning);
    if (mismatch && this.versioning.failureStrategy === 'Reject') {
      // Left for a worker whose version may run it: its inbox waits (a terminate still ends it, above).
      if (!this.versionRejected.has(instanceId)) {
        this.versionRejected.add(instanceId);
        this.options.log?.(`durable engine: '${instanceId}' left for another worker: ${mismatch}`);
      }
      return;
    }
    const records: LogRecord[] = [];
    let status = inst.status;
    const controlEvents: HistoryEvent[] = [];
    for (const e of entries) {
      if (e.event.EventType === EventType.ExecutionSuspended && status !== 'Suspended') status = 'Suspended';
      else if (e.event.EventType === EventType.ExecutionResumed && status === 'Suspended') status = 'Running';
      else continue;
      controlEvents.push({ ...e.event, IsPlayed: true });
    }
    const isControl = (e: { event: HistoryEvent }): boolean =>
      e.event.EventType === EventType.ExecutionSuspended || e.event.EventType === EventType.ExecutionResumed;
    if (controlEvents.length > 0) records.push({ k: 'hist', id: instanceId, ev: controlEvents });
    if (status === 'Suspended') {
      records.push({ k: 'inboxDel', id: instanceId, ns: entries.filter(isControl).map((e) => e.n) });
      records.push({ k: 'inst', v: this.metaOf(inst, { status, lastUpdatedTime: ts }) });
      await this.commit(records);
      return;
    }
    // ExecutionStarted first, as in Azure's history: after continueAsNew it is queued behind events raised while
    // the previous episode ran.
    const isStart = (e: { event: HistoryEvent }): number =>
      e.event.EventType === EventType.ExecutionStarted ? 0 : 1;
    const relevant = entries
      .filter((e) => !isControl(e) && (!e.executionId || e.executionId === inst.executionId))
      .sort((a, b) => isStart(a) - isStart(b));
    if (relevant.length === 0) {
      records.push({ k: 'inboxDel', id: instanceId, ns: taken });
      records.push({ k: 'inst', v: this.metaOf(inst, { status, lastUpdatedTime: ts }) });
      await this.commit(records);
      return;
    }

    const config = this.options.planner;
    let plan: EpisodePlan;
    try {
      const prepared = prepareEpisode(
        inst,
        relevant.map((e) => e.event),
        now,
        config,
      );
      const outcome: EpisodeOutcome = mismatch
        ? {
            kind: 'failed',
            message: mismatch,
            failure: { ErrorType: 'VersionMismatch', ErrorMessage: mismatch },
          }
        : await this.invokeOrchestrator(inst, prepared.events);
      plan = planEpisode(inst, inst.history, prepared, outcome, config, randomUUID);
    } catch (error: unknown) {
      // An episode that cannot be prepared or planned would fail the same way each time it runs again: the
      // orchestration fails, as the Durable Task runtime fails an orchestration it cannot process.
      const message = `The local Durable Task engine could not run an episode of '${inst.name}': ${
        error instanceof Error ? error.message : String(error)
      }`;
      this.options.log?.(`durable engine: '${instanceId}' failed: ${message}`);
      const started = historyEvent(EventType.OrchestratorStarted, ts);
      plan = planEpisode(
        inst,
        inst.history,
        { events: [started], implicit: [], tracks: inst.tracks, nextSeq: inst.nextSeq, now },
        { kind: 'failed', message, failure: { ErrorType: 'EpisodeFailed', ErrorMessage: message } },
        config,
        randomUUID,
      );
    }

    records.push({ k: 'inboxDel', id: instanceId, ns: taken });
    if (!plan.continueAsNew) records.push({ k: 'hist', id: instanceId, ev: plan.appended });
    const exec = { instanceId, executionId: inst.executionId };
    for (const a of plan.activities) {
      records.push({
        k: 'work',
        v: {
          id: randomUUID(),
          ...exec,
          taskId: a.taskId,
          name: a.name,
          input: a.input,
          failWith: a.failWith,
          traceContext: childTraceContext(inst.traceContext),
        },
      });
    }
    for (const t of plan.timers)
      records.push({ k: 'timer', v: { id: randomUUID(), ...exec, timerId: t.timerId, fireAt: t.fireAt } });
    for (const sub of plan.subOrchestrations) records.push(...this.createSubOrchestration(inst, sub, ts));
    for (const m of plan.entityMessages)
      records.push({
        k: 'entMsg',
        id: m.target,
        m: { id: randomUUID(), ...m.message, traceContext: childTraceContext(inst.traceContext) },
      });

    const meta: Partial<InstanceMeta> = {
      status: plan.status === 'ContinuedAsNew' ? 'Running' : plan.status,
      output: plan.output,
      customStatus: plan.customStatus,
      tracks: plan.tracks,
      nextSeq: plan.nextSeq,
      lastEpisodeAt: now,
      lastUpdatedTime: ts,
    };
    if (plan.status === 'Completed' || plan.status === 'Failed') {
      records.push(...this.completionRecords(inst, plan.status, plan.output, plan.failure));
    }
    if (plan.continueAsNew) {
      const executionId = randomUUID();
      // The old execution's timers would fire into nothing (their execution id no longer matches): dropped.
      records.push(...this.timerDropRecords(inst));
      records.push({ k: 'histReset', id: instanceId });
      Object.assign(meta, {
        executionId,
        input: plan.continueAsNew.input,
        tracks: {},
        nextSeq: 0,
        output: undefined,
      });
      records.push({ k: 'inst', v: this.metaOf(inst, meta) });
      records.push(
        this.inboxRecord(
          instanceId,
          historyEvent(EventType.ExecutionStarted, ts, {
            Name: inst.name,
            Input: plan.continueAsNew.input,
            Version: inst.version,
          }),
          executionId,
        ),
      );
    } else {
      records.push({ k: 'inst', v: this.metaOf(inst, meta) });
    }
    await this.commit(records);
  }

  private async invokeOrchestrator(inst: InstanceState, events: HistoryEvent[]): Promise<EpisodeOutcome> {
    const functionName = this.orchestrators.get(inst.name.toLowerCase());
    if (!functionName) {
      const message = `The function '${inst.name}' doesn't exist, is disabled, or is not an orchestrator function.`;
      return { kind: 'failed', message };
    }
    const input = buildOrchestratorInput(inst, [], events, this.options.planner);
    input.isReplaying = inst.history.length > 0;
    // Spliced by slicing, not String.replace: a replacement string would expand $', $&, $` and $$ found in
    // recorded values (inputs, results, event data).
    const text = JSON.stringify(input);
    const at = text.indexOf(historyOpening) + historyOpening.length;
    const json = text.slice(0, at) + this.playedHistoryJson(inst) + text.slice(at);
    try {
      const result = await this.options.invoke(functionName, {
        triggerData: { json },
        traceContext: inst.traceContext,
      });
      return { kind: 'state', state: parseOrchestratorState(rpcToValue(result.returnValue)) };
    } catch (error: unknown) {
      const failure = normalizeInvocationError(error);
      const message = `Orchestrator function '${functionName}' failed: ${failure.message}`;
      return { kind: 'failed', message, failure: failure.details };
    }
  }

  /**
   * The committed history as JSON with IsPlayed true, extended incrementally: histories only grow between
   * resets, so each episode serializes only its new events (a trailing comma joins the new events' JSON).
   */
  private playedHistoryJson(inst: InstanceState): string {
    let cache = this.historyJson.get(inst.instanceId);
    if (!cache || cache.history !== inst.history || cache.length > inst.history.length) {
      cache = { history: inst.history, length: 0, text: '' };
      this.historyJson.set(inst.instanceId, cache);
    }
    for (let i = cache.length; i < inst.history.length; i++)
      cache.text += JSON.stringify({ ...inst.history[i], IsPlayed: true }) + ',';
    cache.length = inst.history.length;
    return cache.text;
  }

  /** Records that drop the instance's pending timers (its execution ended or continued as new). */
  private timerDropRecords(inst: InstanceState): LogRecord[] {
    const records: LogRecord[] = [];
    for (const timer of this.state.timers.values()) {
      if (timer.instanceId === inst.instanceId) records.push({ k: 'timerDone', id: timer.id });
    }
    return records;
  }

  /** Records that notify a parent orchestration and drop this execution's pending timers. */
  private completionRecords(
    inst: InstanceState,
    status: 'Completed' | 'Failed' | 'Terminated',
    output: string | undefined,
    failure: FailureDetailsWire | undefined,
  ): LogRecord[] {
    const records = this.timerDropRecords(inst);
    const parent = inst.parent;
    if (!parent) return records;
    const ts = new Date().toISOString();
    const event =
      status === 'Completed'
        ? historyEvent(EventType.SubOrchestrationInstanceCompleted, ts, {
            TaskScheduledId: parent.taskId,
            Result: output ?? 'null',
          })
        : historyEvent(EventType.SubOrchestrationInstanceFailed, ts, {
            TaskScheduledId: parent.taskId,
            Reason: `Sub-orchestration '${inst.name}' (${inst.instanceId}) ${status.toLowerCase()}`,
            Details: failure?.ErrorMessage ?? '',
            FailureDetails: failure ?? {
              ErrorType: status,
              ErrorMessage: `Sub-orchestration ${status.toLowerCase()}`,
            },
          });
    records.push(this.inboxRecord(parent.instanceId, event, parent.executionId));
    return records;
  }

  private createSubOrchestration(
    parent: InstanceState,
    sub: EpisodePlan['subOrchestrations'][number],
    ts: string,
  ): LogRecord[] {
    const failParent = (message: string): LogRecord =>
      this.inboxRecord(
        parent.instanceId,
        historyEvent(EventType.SubOrchestrationInstanceFailed, ts, {
          TaskScheduledId: sub.taskId,
          Reason: message,
          Details: '',
          FailureDetails: { ErrorType: 'SubOrchestrationFailed', ErrorMessage: message },
        }),
        parent.executionId,
      );
    if (typeof sub.failWith === 'object') {
      // The retry timeout expired: this attempt fails with the last attempt's failure, unchanged.
      return [
        this.inboxRecord(
          parent.instanceId,
          historyEvent(EventType.SubOrchestrationInstanceFailed, ts, {
            TaskScheduledId: sub.taskId,
            Reason: sub.failWith.reason ?? `Sub-orchestration '${sub.name}' failed`,
            Details: sub.failWith.details ?? '',
            FailureDetails: sub.failWith.failureDetails,
          }),
          parent.executionId,
        ),
      ];
    }
    if (sub.failWith) return [failParent(sub.failWith)];
    const existing = this.state.instances.get(sub.instanceId);
    if (existing && !terminalStatuses.has(existing.status)) {
      return [
        failParent(
          `An orchestration with the instance ID '${sub.instanceId}' already exists and is ${existing.status}.`,
        ),
      ];
    }
    const link = { instanceId: parent.instanceId, executionId: parent.executionId, taskId: sub.taskId };
    return this.creationRecords(
      sub.name,
      sub.instanceId,
      sub.input,
      ts,
      link,
      parent.traceContext,
      sub.version,
    );
  }

  private creationRecords(
    name: string,
    instanceId: string,
    input: string | undefined,
    ts: string,
    parent?: InstanceMeta['parent'],
    callerTrace?: TraceContext,
    version = this.versioning.defaultVersion,
  ): LogRecord[] {
    const executionId = randomUUID();
    const meta: InstanceMeta = {
      instanceId,
      name,
      executionId,
      status: 'Pending',
      input,
      createdTime: ts,
      lastUpdatedTime: ts,
      parent,
      tracks: {},
      nextSeq: 0,
      lastEpisodeAt: 0,
      traceContext: childTraceContext(callerTrace),
      version,
    };
    const records: LogRecord[] = [];
    if (this.state.instances.has(instanceId)) records.push({ k: 'del', id: instanceId });
    records.push({ k: 'inst', v: meta });
    records.push(
      this.inboxRecord(
        instanceId,
        historyEvent(EventType.ExecutionStarted, ts, { Name: name, Input: input, Version: version }),
        executionId,
      ),
    );
    return records;
  }

  // ---------------------------------------------------------------- activities

  private enqueueActivity(item: ActivityWorkItem): void {
    if (this.stopped || this.queuedWork.has(item.id)) return;
    this.queuedWork.add(item.id);
    this.activityQueue.push(item);
    this.pumpActivities();
  }

  private pumpActivities(): void {
    while (
      !this.stopped &&
      this.runningActivities < this.options.maxConcurrentActivityFunctions &&
      this.activityQueue.length > 0
    ) {
      const item = this.activityQueue.shift() as ActivityWorkItem;
      this.runningActivities++;
      void this.track(
        this.runActivity(item)
          .catch((error: unknown) =>
            this.options.log?.(`durable engine: activity '${item.name}' crashed: ${String(error)}`),
          )
          .finally(() => {
            this.runningActivities--;
            this.queuedWork.delete(item.id);
            this.pumpActivities();
          }),
      );
    }
  }

  private async runActivity(item: ActivityWorkItem): Promise<void> {
    const ts = (): string => new Date().toISOString();
    let event: HistoryEvent;
    const functionName = this.activities.get(item.name.toLowerCase());
    const failed = (message: string, details: FailureDetailsWire): HistoryEvent =>
      historyEvent(EventType.TaskFailed, ts(), {
        TaskScheduledId: item.taskId,
        Reason: `Activity function '${item.name}' failed: ${message}`,
        Details: details.StackTrace ?? '',
        FailureDetails: details,
      });
    if (typeof item.failWith === 'object') {
      // The retry timeout expired: this attempt fails with the last attempt's failure, unchanged.
      event = historyEvent(EventType.TaskFailed, ts(), {
        TaskScheduledId: item.taskId,
        Reason: item.failWith.reason ?? `Activity function '${item.name}' failed`,
        Details: item.failWith.details ?? '',
        FailureDetails: item.failWith.failureDetails,
      });
    } else if (item.failWith) {
      event = failed(item.failWith, { ErrorType: 'TaskNotRun', ErrorMessage: item.failWith });
    } else if (!functionName) {
      const message = `The function '${item.name}' doesn't exist, is disabled, or is not an activity function.`;
      event = failed(message, { ErrorType: 'FunctionNotFound', ErrorMessage: message });
    } else {
      try {
        const result = await this.options.invoke(functionName, {
          triggerData: { json: item.input ?? 'null' },
          triggerMetadata: { instanceId: { string: item.instanceId } },
          traceContext: item.traceContext,
        });
        event = historyEvent(EventType.TaskCompleted, ts(), {
          TaskScheduledId: item.taskId,
          Result: rpcToJsonText(result.returnValue),
        });
      } catch (error: unknown) {
        const failure = normalizeInvocationError(error);
        event = failed(failure.message, failure.details);
      }
    }
    await this.commit([
      { k: 'workDone', id: item.id },
      this.inboxRecord(item.instanceId, event, item.executionId),
    ]);
  }

  // ---------------------------------------------------------------- timers

  private disarmTimer(timerId: string): void {
    const handle = this.armedTimers.get(timerId);
    if (handle === undefined) return;
    clearTimeout(handle);
    this.armedTimers.delete(timerId);
  }

  private armTimer(timer: TimerItem): void {
    if (this.stopped || this.armedTimers.has(timer.id)) return;
    const delay = Math.max(0, Date.parse(timer.fireAt) - Date.now());
    const handle = setTimeout(
      () => {
        this.armedTimers.delete(timer.id);
        if (!this.state.timers.has(timer.id)) return;
        if (Date.parse(timer.fireAt) > Date.now()) return this.armTimer(timer); // long delays are re-armed in steps
        const fired = historyEvent(EventType.TimerFired, new Date().toISOString(), {
          TimerId: timer.timerId,
          FireAt: timer.fireAt,
        });
        void this.track(
          this.commit([
            { k: 'timerDone', id: timer.id },
            this.inboxRecord(timer.instanceId, fired, timer.executionId),
          ]),
        );
      },
      Math.min(delay, 2 ** 31 - 1),
    );
    this.armedTimers.set(timer.id, handle);
  }

  // ---------------------------------------------------------------- entities

  private scheduleEntity(entityId: string): void {
    if (this.stopped) return;
    this.readyEntities.add(entityId);
    this.pumpEntities();
  }

  private pumpEntities(): void {
    for (const id of this.readyEntities) {
      if (this.stopped || this.runningEntities.size >= this.options.maxConcurrentOrchestratorFunctions)
        return;
      if (this.runningEntities.has(id)) continue;
      this.readyEntities.delete(id);
      this.runningEntities.add(id);
      void this.track(
        this.runEntityBatch(id)
          .catch((error: unknown) =>
            this.options.log?.(`durable engine: entity '${id}' crashed: ${String(error)}`),
          )
          .then((more) => {
            this.runningEntities.delete(id);
            if (more) this.readyEntities.add(id);
            this.pumpEntities();
          }),
      );
    }
  }

  /** Processes lock/release messages and one batch of operations; returns whether more can run now. */
  private async runEntityBatch(entityId: string): Promise<boolean> {
    const entity = this.state.entities.get(entityId);
    if (!entity) return false;
    const ts = new Date().toISOString();
    let lockedBy = entity.lockedBy;
    const processed: string[] = [];
    const records: LogRecord[] = [];
    const ops: EntityMessage[] = [];
    const canRun = (m: EntityMessage): boolean => !lockedBy || m.from?.instanceId === lockedBy;
    for (const m of entity.queue) {
      if (!canRun(m)) continue;
      if (m.kind === 'op') {
        ops.push(m);
        if (ops.length >= 100) break;
        continue;
      }
      if (ops.length > 0) break; // keep order: run the operations before this lock message
      processed.push(m.id);
      if (m.kind === 'release') {
        if (lockedBy === m.from?.instanceId) lockedBy = undefined;
        continue;
      }
      if (lockedBy) continue; // a second lock request from the owner: already held
      lockedBy = m.from?.instanceId;
      const next = (m.lockIndex ?? 0) + 1;
      if (m.lockSet && next < m.lockSet.length) {
        records.push({ k: 'entMsg', id: m.lockSet[next], m: { ...m, id: randomUUID(), lockIndex: next } });
      } else if (m.from && m.requestId) {
        const granted = historyEvent(EventType.EventRaised, ts, {
          Name: m.requestId,
          Input: JSON.stringify({ result: 'null' }),
        });
        records.push(this.inboxRecord(m.from.instanceId, granted, m.from.executionId));
      }
    }
    let exists = entity.exists;
    let state = entity.state;
    if (ops.length > 0) {
      const outcome = await this.invokeEntity(entity, ops);
      exists = outcome.exists;
      state = outcome.state;
      ops.forEach((m, i) => {
        processed.push(m.id);
        if (m.signal || !m.from || !m.requestId) return;
        const result = outcome.results[i];
        const response = result?.isError
          ? { result: JSON.stringify(result.error ?? 'entity operation failed'), exceptionType: 'Error' }
          : { result: result?.result ?? 'null' };
        const event = historyEvent(EventType.EventRaised, ts, {
          Name: m.requestId,
          Input: JSON.stringify(response),
        });
        records.push(this.inboxRecord(m.from.instanceId, event, m.from.executionId));
      });
      for (const s of outcome.signals)
        records.push({
          k: 'entMsg',
          id: s.target,
          m: {
            id: randomUUID(),
            kind: 'op',
            operation: s.name,
            signal: true,
            input: s.input,
            traceContext: childTraceContext(outcome.traceContext),
          },
        });
    }
    if (processed.length === 0) return false;
    const updated: Omit<EntityRecord, 'queue'> = {
      id: entity.id,
      name: entity.name,
      key: entity.key,
      exists,
      state: exists ? state : undefined,
      lockedBy,
      lastModified: ts,
    };
    await this.commit([{ k: 'ent', v: updated, drop: processed }, ...records]);
    const after = this.state.entities.get(entityId);
    return !!after && after.queue.some((m) => !after.lockedBy || m.from?.instanceId === after.lockedBy);
  }

  private async invokeEntity(
    entity: EntityRecord,
    ops: EntityMessage[],
  ): Promise<{
    exists: boolean;
    state?: string;
    results: { isError: boolean; result?: string; error?: string }[];
    signals: { target: string; name: string; input?: string }[];
    traceContext?: TraceContext;
  }> {
    const functionName = this.entityFunctions.get(entity.name.toLowerCase());
    const failAll = (message: string) => ({
      exists: entity.exists,
      state: entity.state,
      results: ops.map(() => ({ isError: true, error: message })),
      signals: [],
    });
    if (!functionName)
      return failAll(
        `The function '${entity.name}' doesn't exist, is disabled, or is not an entity function.`,
      );
    const triggerInput = {
      self: { name: entity.name, key: entity.key },
      exists: entity.exists,
      state: entity.state,
      batch: ops.map((m) => ({
        id: m.requestId ?? m.id,
        name: m.operation,
        signal: m.signal,
        input: m.input,
      })),
    };
    // A batch may hold operations from several callers: it runs in the first one's trace.
    const traceContext = ops.find((m) => m.traceContext)?.traceContext;
    try {
      const result = await this.options.invoke(functionName, {
        triggerData: { json: JSON.stringify(triggerInput) },
        traceContext,
      });
      const value = rpcToValue(result.returnValue) as {
        entityExists?: boolean;
        entityState?: string;
        results?: { isError: boolean; result?: string }[];
        signals?: { target: { name: string; key: string }; name: string; input?: string }[];
      };
      return {
        exists: value.entityExists === true,
        state: value.entityState,
        results: (value.results ?? []).map((r) => ({
          isError: r.isError,
          result: r.result,
          error: r.isError ? r.result : undefined,
        })),
        signals: (value.signals ?? []).map((s) => ({
          target: `@${s.target.name.toLowerCase()}@${s.target.key}`,
          name: s.name,
          input: s.input ? s.input : undefined,
        })),
        traceContext,
      };
    } catch (error: unknown) {
      return failAll(normalizeInvocationError(error).message);
    }
  }

  // ---------------------------------------------------------------- client operations

  /** `callerTrace`: the starter's trace context (the request's `traceparent`); the orchestration is its child. */
  async startNew(
    name: string,
    instanceId: string | undefined,
    input: string | undefined,
    callerTrace?: TraceContext,
    version?: string,
  ): Promise<string> {
    this.refuseIfFailed();
    const functionName = this.orchestrators.get(name.toLowerCase());
    if (!functionName)
      throw new ClientError(
        400,
        `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`,
      );
    const id = instanceId ?? randomUUID().replace(/-/g, '');
    if (
      id.length === 0 ||
      id.startsWith('@') ||
      /[/\\#?]/.test(id) ||
      [...id].some((ch) => ch.charCodeAt(0) < 32)
    ) {
      throw new ClientError(
        400,
        `instanceId: '${id}' is not valid (no '@' prefix, '/', '\\', '#', '?' or control characters)`,
      );
    }
    for (let p = this.pendingOf(id); p; p = this.pendingOf(id)) await p;
    this.refuseIfFailed();
    const existing = this.state.instances.get(id);
    if (existing && !terminalStatuses.has(existing.status)) {
      throw new ClientError(
        409,
        `An Orchestration instance with the ID '${id}' already exists and is ${existing.status}.`,
      );
    }
    await this.commit(
      this.creationRecords(
        functionName,
        id,
        input,
        new Date().toISOString(),
        undefined,
        callerTrace,
        version || this.versioning.defaultVersion,
      ),
    );
    return id;
  }

  private requireInstance(instanceId: string): InstanceState {
    const inst = this.state.instances.get(instanceId);
    if (!inst) throw new ClientError(404, `No instance with ID '${instanceId}' found.`);
    return inst;
  }

  /** Queues a control or external event; 410 when the instance already finished. */
  private async sendToInstance(instanceId: string, event: HistoryEvent): Promise<void> {
    this.refuseIfFailed();
    // Only a refusal waits for the instance's commits: an event taken goes into the log after them (a crash keeps a
    // prefix of the log, and the caller is answered once the event's own commit is durable), so a busy instance
    // (a cluster's scheduler, signalled by every job) does not hold every sender for its fsync.
    if (this.refusesEvents(instanceId))
      for (let p = this.pendingOf(instanceId); p; p = this.pendingOf(instanceId)) await p;
    this.refuseIfFailed();
    const inst = this.requireInstance(instanceId);
    if (terminalStatuses.has(inst.status))
      throw new ClientError(410, `Instance '${instanceId}' is ${inst.status}.`);
    await this.commit([this.inboxRecord(instanceId, event)]);
  }

  raiseEvent(instanceId: string, eventName: string, data: string | undefined): Promise<void> {
    return this.sendToInstance(
      instanceId,
      historyEvent(EventType.EventRaised, new Date().toISOString(), { Name: eventName, Input: data }),
    );
  }

  terminate(instanceId: string, reason: string | undefined): Promise<void> {
    const ts = new Date().toISOString();
    return this.sendToInstance(
      instanceId,
      historyEvent(EventType.ExecutionTerminated, ts, { Input: JSON.stringify(reason ?? '') }),
    );
  }

  suspend(instanceId: string, reason: string | undefined): Promise<void> {
    return this.sendToInstance(
      instanceId,
      historyEvent(EventType.ExecutionSuspended, new Date().toISOString(), { Reason: reason }),
    );
  }

  resume(instanceId: string, reason: string | undefined): Promise<void> {
    return this.sendToInstance(
      instanceId,
      historyEvent(EventType.ExecutionResumed, new Date().toISOString(), { Reason: reason }),
    );
  }

  /**
   * Rewind of a Failed instance: the failed activity results are removed from history and those activities run
   * again; the orchestrator then replays as if they were still pending.
   */
  async rewind(instanceId: string, reason: string | undefined): Promise<void> {
    this.refuseIfFailed();
    for (let p = this.pendingOf(instanceId); p; p = this.pendingOf(instanceId)) await p;
    this.refuseIfFailed();
    const inst = this.requireInstance(instanceId);
    if (inst.status !== 'Failed') {
      throw new ClientError(
        412,
        `This orchestration has status ${inst.status}, but only orchestrations in the "Failed" state can be rewound.`,
      );
    }
    const failedIds = new Set(
      inst.history.filter((e) => e.EventType === EventType.TaskFailed).map((e) => e.TaskScheduledId),
    );
    if (failedIds.size === 0)
      throw new ClientError(412, `Instance '${instanceId}' has no failed activity to rewind.`);
    const kept = inst.history.filter(
      (e) => e.EventType !== EventType.TaskFailed && e.EventType !== EventType.ExecutionCompleted,
    );
    const records: LogRecord[] = [
      { k: 'histReset', id: instanceId },
      { k: 'hist', id: instanceId, ev: kept },
    ];
    for (const e of kept) {
      if (e.EventType === EventType.TaskScheduled && failedIds.has(e.EventId)) {
        records.push({
          k: 'work',
          v: {
            id: randomUUID(),
            instanceId,
            executionId: inst.executionId,
            taskId: e.EventId,
            name: e.Name ?? '',
            input: e.Input,
            traceContext: childTraceContext(inst.traceContext),
          },
        });
      }
    }
    records.push({
      k: 'inst',
      v: this.metaOf(inst, {
        status: 'Running',
        output: undefined,
        lastUpdatedTime: new Date().toISOString(),
        customStatus: inst.customStatus,
      }),
    });
    records.push({
      k: 'hist',
      id: instanceId,
      ev: [
        historyEvent(EventType.GenericEvent, new Date().toISOString(), {
          Input: `Rewound: ${reason ?? ''}`,
          IsPlayed: true,
        }),
      ],
    });
    await this.commit(records);
  }

  /**
   * The instance's status as a client may be told it: once every change made to it so far is durable (a crash
   * cannot take back what this answers).
   */
  async statusOf(instanceId: string, options: StatusOptions = {}): Promise<StatusPayload | undefined> {
    this.refuseIfFailed();
    // An instance running in memory is answered at once (its start was answered once durable): what a crash could
    // take back is an end (Completed, Failed, Terminated) or a removal, so only those wait for durability.
    if (this.refusesEvents(instanceId))
      for (let p = this.pendingOf(instanceId); p; p = this.pendingOf(instanceId)) await p;
    this.refuseIfFailed();
    return this.getStatus(instanceId, options);
  }

  /** The instance is missing or finished in memory (events to it would be refused). */
  private refusesEvents(instanceId: string): boolean {
    const inst = this.state.instances.get(instanceId);
    return !inst || terminalStatuses.has(inst.status);
  }

  /**
   * The instance's status in memory, which may include commits not yet durable: for the engine's own callers that
   * already waited (waitForCompletion); answers to clients use statusOf.
   */
  getStatus(instanceId: string, options: StatusOptions = {}): StatusPayload | undefined {
    const inst = this.state.instances.get(instanceId);
    if (!inst) return undefined;
    const payload = this.toStatus(inst, options.showInput !== false);
    if (options.showHistory) {
      const history = statusHistory(inst.history, options.showHistoryOutput === true);
      payload.historyEvents = history;
      payload.history = history;
    }
    return payload;
  }

  private toStatus(inst: InstanceState, showInput: boolean): StatusPayload {
    return {
      name: inst.name,
      instanceId: inst.instanceId,
      runtimeStatus: inst.status,
      input: showInput ? parseJson(inst.input) : null,
      customStatus: parseJson(inst.customStatus),
      output: parseJson(inst.output),
      createdTime: inst.createdTime,
      lastUpdatedTime: inst.lastUpdatedTime,
    };
  }

  private matching(query: InstanceQuery): InstanceState[] {
    const from = query.createdTimeFrom?.getTime();
    const to = query.createdTimeTo?.getTime();
    return [...this.state.instances.values()]
      .filter((inst) => {
        const created = Date.parse(inst.createdTime);
        if (from !== undefined && created < from) return false;
        if (to !== undefined && created > to) return false;
        if (
          query.runtimeStatus &&
          query.runtimeStatus.length > 0 &&
          !query.runtimeStatus.includes(inst.status)
        )
          return false;
        if (query.instanceIdPrefix && !inst.instanceId.startsWith(query.instanceIdPrefix)) return false;
        return true;
      })
      .sort((a, b) => a.createdTime.localeCompare(b.createdTime) || a.instanceId.localeCompare(b.instanceId));
  }

  /**
   * One page of matching instances; the continuation token is the position after the page. Answers once the
   * commits made before the call are durable, and each listed instance's later ones too.
   */
  async list(
    query: InstanceQuery,
    pageSize: number,
    continuation: string | undefined,
    showInput: boolean,
  ): Promise<{ items: StatusPayload[]; next?: string }> {
    this.refuseIfFailed();
    await this.lastCommit;
    this.refuseIfFailed();
    let start = 0;
    if (continuation) {
      const decoded = Number(Buffer.from(continuation, 'base64').toString('utf8'));
      if (!Number.isInteger(decoded) || decoded < 0)
        throw new ClientError(400, 'x-ms-continuation-token: not a token this API issued');
      start = decoded;
    }
    const all = this.matching(query);
    const page = all.slice(start, start + pageSize);
    const end = start + page.length;
    for (const inst of page)
      for (let p = this.pendingOf(inst.instanceId); p; p = this.pendingOf(inst.instanceId)) await p;
    this.refuseIfFailed();
    return {
      items: page.map((inst) => this.toStatus(inst, showInput)),
      next: end < all.length ? Buffer.from(String(end), 'utf8').toString('base64') : undefined,
    };
  }

  async purge(instanceId: string): Promise<number> {
    this.refuseIfFailed();
    for (let p = this.pendingOf(instanceId); p; p = this.pendingOf(instanceId)) await p;
    this.refuseIfFailed();
    const inst = this.requireInstance(instanceId);
    if (!terminalStatuses.has(inst.status)) {
      throw new ClientError(
        412,
        `Only orchestrations in a terminal state can be purged, but the orchestration with instance ID ${instanceId} has status ${inst.status}`,
      );
    }
    await this.commit([{ k: 'del', id: instanceId }]);
    return 1;
  }

  async purgeBy(query: InstanceQuery): Promise<number> {
    this.refuseIfFailed();
    await this.lastCommit;
    this.refuseIfFailed();
    const targets = this.matching(query).filter((inst) => terminalStatuses.has(inst.status));
    if (targets.length === 0) return 0;
    await this.commit(targets.map((inst): LogRecord => ({ k: 'del', id: inst.instanceId })));
    return targets.length;
  }

  async signalEntity(
    name: string,
    key: string,
    operation: string,
    input: string | undefined,
    callerTrace?: TraceContext,
  ): Promise<void> {
    this.refuseIfFailed();
    if (!this.entityFunctions.has(name.toLowerCase())) {
      throw new ClientError(
        400,
        `The function '${name}' doesn't exist, is disabled, or is not an entity function.`,
      );
    }
    const id = `@${name.toLowerCase()}@${key}`;
    await this.commit([
      {
        k: 'entMsg',
        id,
        m: {
          id: randomUUID(),
          kind: 'op',
          operation,
          signal: true,
          input,
          traceContext: childTraceContext(callerTrace),
        },
      },
    ]);
  }

  async readEntity(name: string, key: string): Promise<{ exists: boolean; state: unknown }> {
    this.refuseIfFailed();
    const id = `@${name.toLowerCase()}@${key}`;
    for (let p = this.pendingOf(id); p; p = this.pendingOf(id)) await p;
    this.refuseIfFailed();
    const entity = this.state.entities.get(id);
    if (!entity || !entity.exists) return { exists: false, state: undefined };
    return { exists: true, state: parseJson(entity.state) };
  }
}

function parseReason(reason: string | undefined): string {
  const value = parseJson(reason);
  return typeof value === 'string' ? value : String(value ?? '');
}

const statusHistoryTypes: ReadonlySet<number> = new Set([
  EventType.ExecutionStarted,
  EventType.ExecutionCompleted,
  EventType.ExecutionTerminated,
  EventType.TaskCompleted,
  EventType.TaskFailed,
  EventType.SubOrchestrationInstanceCompleted,
  EventType.SubOrchestrationInstanceFailed,
  EventType.TimerFired,
  EventType.EventRaised,
  EventType.ContinueAsNew,
  EventType.ExecutionSuspended,
  EventType.ExecutionResumed,
]);

/** History in the shape of the extension's status API: names instead of numbers, scheduling merged in. */
function statusHistory(history: HistoryEvent[], showOutput: boolean): unknown[] {
  const scheduled = new Map<number, HistoryEvent>();
  for (const e of history) {
    if (e.EventType === EventType.TaskScheduled || e.EventType === EventType.SubOrchestrationInstanceCreated)
      scheduled.set(e.EventId, e);
  }
  return history
    .filter((e) => statusHistoryTypes.has(e.EventType))
    .map((e) => {
      const source = e.TaskScheduledId !== undefined ? scheduled.get(e.TaskScheduledId) : undefined;
      const entry: Record<string, unknown> = {
        EventType: Object.keys(EventType).find((k) => EventType[k as keyof typeof EventType] === e.EventType),
        EventId: e.EventId,
        Timestamp: e.Timestamp,
      };
      if (source) {
        entry.FunctionName = source.Name;
        entry.ScheduledTime = source.Timestamp;
      }
      if (e.Name) entry[e.EventType === EventType.EventRaised ? 'Name' : 'FunctionName'] = e.Name;
      if (e.TimerId !== undefined) entry.TimerId = e.TimerId;
      if (e.FireAt) entry.FireAt = e.FireAt;
      if (e.FailureDetails) entry.FailureDetails = e.FailureDetails;
      if (e.Reason) entry.Reason = e.Reason;
      if (showOutput && e.Result !== undefined) entry.Result = parseJson(e.Result);
      if (showOutput && e.EventType === EventType.EventRaised && e.Input !== undefined)
        entry.Input = parseJson(e.Input);
      return entry;
    });
}
