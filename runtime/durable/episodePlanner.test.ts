// Replay tests of the engine core: the real durable-functions orchestrator wrapper runs against histories the
// planner builds, and the planner diffs its actions (event ids, IsPlayed, non-determinism, retry sequence numbers).
import * as df from 'durable-functions';
import type { OrchestrationHandler } from 'durable-functions';
import { DummyOrchestrationContext, createOrchestrator } from 'durable-functions/lib/src/util/testingUtils';
import { EventType, historyEvent, type HistoryEvent } from './historyEvent';
import {
  buildOrchestratorInput,
  planEpisode,
  prepareEpisode,
  type EpisodeOutcome,
  type EpisodePlan,
} from './episodePlanner';
import type { InstanceMeta } from './engineState';
import { parseOrchestratorState } from './orchestratorAction';

const config = { maximumShortTimerMs: 2000, longRunningTimerIntervalMs: 1000 };

/** Drives episodes like the engine does, without I/O: history and meta live in this object. */
class Replayer {
  meta: InstanceMeta = {
    instanceId: 'i1',
    name: 'test',
    executionId: 'e1',
    status: 'Pending',
    input: JSON.stringify('in'),
    createdTime: '',
    lastUpdatedTime: '',
    tracks: {},
    nextSeq: 0,
    lastEpisodeAt: 0,
  };
  history: HistoryEvent[] = [];
  lastInput: Record<string, unknown> | undefined;
  constructor(private handler: OrchestrationHandler) {}
  swap(handler: OrchestrationHandler): void {
    this.handler = handler;
  }
  async episode(events: HistoryEvent[], now: number): Promise<EpisodePlan> {
    const prepared = prepareEpisode(this.meta, events, now, config);
    const input = buildOrchestratorInput(this.meta, this.history, prepared.events, config);
    this.lastInput = JSON.parse(JSON.stringify(input)) as Record<string, unknown>;
    let outcome: EpisodeOutcome;
    try {
      const state = await createOrchestrator(this.handler)(
        JSON.parse(JSON.stringify(input)),
        new DummyOrchestrationContext(),
      );
      outcome = { kind: 'state', state: parseOrchestratorState(JSON.parse(JSON.stringify(state))) };
    } catch (error: unknown) {
      outcome = { kind: 'failed', message: (error as Error).message };
    }
    let n = 0;
    const plan = planEpisode(this.meta, this.history, prepared, outcome, config, () => `req-${n++}`);
    this.history.push(...plan.appended);
    Object.assign(this.meta, {
      tracks: plan.tracks,
      nextSeq: plan.nextSeq,
      status: plan.status,
      output: plan.output,
    });
    return plan;
  }
}

const t0 = Date.parse('2030-01-01T00:00:00.000Z');
const at = (ms: number): string => new Date(t0 + ms).toISOString();
const started = historyEvent(EventType.ExecutionStarted, at(0), { Name: 'test' });
const completed = (id: number, result: unknown, ms: number): HistoryEvent =>
  historyEvent(EventType.TaskCompleted, at(ms), { TaskScheduledId: id, Result: JSON.stringify(result) });
const failed = (id: number, ms: number): HistoryEvent =>
  historyEvent(EventType.TaskFailed, at(ms), {
    TaskScheduledId: id,
    Reason: 'boom',
    Details: '',
    FailureDetails: { ErrorType: 'Error', ErrorMessage: 'boom' },
  });
const fired = (id: number, ms: number): HistoryEvent =>
  historyEvent(EventType.TimerFired, at(ms), { TimerId: id, FireAt: at(ms) });

const twoSteps: OrchestrationHandler = function* (context) {
  const a: string = yield context.df.callActivity('A', context.df.getInput());
  const b: string = yield context.df.callActivity('B', a);
  return b;
};

test('the first episode schedules task 0 with EventId 0 and sends unplayed new events', async () => {
  const r = new Replayer(twoSteps);
  const plan = await r.episode([started], t0);
  expect(plan.activities).toEqual([{ taskId: 0, name: 'A', input: JSON.stringify('in') }]);
  const scheduled = plan.appended.find((e) => e.EventType === EventType.TaskScheduled);
  expect(scheduled).toEqual(expect.objectContaining({ EventId: 0, Name: 'A' }));
  const sent = r.lastInput?.history as HistoryEvent[];
  expect(sent.map((e) => [e.EventType, e.IsPlayed])).toEqual([
    [EventType.OrchestratorStarted, false],
    [EventType.ExecutionStarted, false],
  ]);
  expect(r.lastInput?.upperSchemaVersion).toBe(3);
});

test('replayed events are IsPlayed and only new actions are scheduled', async () => {
  const r = new Replayer(twoSteps);
  await r.episode([started], t0);
  const plan = await r.episode([completed(0, 'a-out', 10)], t0 + 10);
  expect(plan.activities).toEqual([{ taskId: 1, name: 'B', input: JSON.stringify('a-out') }]);
  const sent = r.lastInput?.history as HistoryEvent[];
  expect(sent.filter((e) => e.IsPlayed).map((e) => e.EventType)).toEqual([
    EventType.OrchestratorStarted,
    EventType.ExecutionStarted,
    EventType.TaskScheduled,
  ]);
  const done = await r.episode([completed(1, 'b-out', 20)], t0 + 20);
  expect(done.status).toBe('Completed');
  expect(done.output).toBe(JSON.stringify('b-out'));
  expect(done.activities).toEqual([]);
});

test('a changed orchestrator fails with a non-determinism error naming the differing step', async () => {
  const r = new Replayer(twoSteps);
  await r.episode([started], t0);
  r.swap(function* (context) {
    const a: string = yield context.df.callActivity('Other', 1);
    return a;
  });
  const plan = await r.episode([completed(0, 'x', 10)], t0 + 10);
  expect(plan.status).toBe('Failed');
  expect(plan.output).toContain('Non-Deterministic workflow detected');
  expect(plan.output).toContain("task 0 scheduled activity 'A'");
  expect(plan.output).toContain("activity 'Other'");
});

test('an orchestrator that now schedules fewer steps than history recorded fails as non-deterministic too', async () => {
  const r = new Replayer(twoSteps);
  await r.episode([started], t0);
  await r.episode([completed(0, 'a-out', 10)], t0 + 10); // B scheduled as task 1
  r.swap(function* (context) {
    yield context.df.callActivity('A', 1);
    yield context.df.waitForExternalEvent('go'); // B removed: it now waits where B was
  });
  const plan = await r.episode([completed(1, 'b-out', 20)], t0 + 20);
  expect(plan.status).toBe('Failed');
  expect(plan.output).toContain(
    "history says task 1 scheduled activity 'B', but the orchestrator code now schedules nothing",
  );
});

test('retry: a failed attempt allocates a timer, then the retry attempt, before the next user task', async () => {
  const r = new Replayer(function* (context) {
    const options = new df.RetryOptions(100, 3);
    options.backoffCoefficient = 2;
    const v: string = yield context.df.callActivityWithRetry('Flaky', options, 'k');
    const w: string = yield context.df.callActivity('After', v);
    return w;
  });
  expect((await r.episode([started], t0)).activities.map((a) => a.taskId)).toEqual([0]);
  const afterFailure = await r.episode([failed(0, 5)], t0 + 5);
  expect(afterFailure.timers).toEqual([{ timerId: 1, fireAt: at(105) }]);
  const retried = await r.episode([fired(1, 105)], t0 + 105);
  expect(retried.activities).toEqual([expect.objectContaining({ taskId: 2, name: 'Flaky' })]);
  const secondFailure = await r.episode([failed(2, 110)], t0 + 110);
  expect(secondFailure.timers).toEqual([{ timerId: 3, fireAt: at(310) }]); // 100 * 2^1
  await r.episode([fired(3, 310)], t0 + 310);
  const next = await r.episode([completed(4, 'ok', 320)], t0 + 320);
  expect(next.activities).toEqual([expect.objectContaining({ taskId: 5, name: 'After' })]);
});

test('a long timer is split into segments and completes on the final one', async () => {
  const r = new Replayer(function* (context) {
    yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 3500));
    return 'done';
  });
  expect((await r.episode([started], t0)).timers).toEqual([{ timerId: 0, fireAt: at(1000) }]);
  expect((await r.episode([fired(0, 1000)], t0 + 1000)).timers).toEqual([{ timerId: 1, fireAt: at(2000) }]);
  expect((await r.episode([fired(1, 2000)], t0 + 2000)).timers).toEqual([{ timerId: 2, fireAt: at(3500) }]);
  const done = await r.episode([fired(2, 3500)], t0 + 3500);
  expect(done.status).toBe('Completed');
});

test('an external event raised before the wait is kept, and unconsumed ones are dropped at continueAsNew', async () => {
  const r = new Replayer(function* (context) {
    const v: unknown = yield context.df.waitForExternalEvent('E');
    context.df.continueAsNew(v);
    return undefined;
  });
  const raised = (v: number, ms: number): HistoryEvent =>
    historyEvent(EventType.EventRaised, at(ms), { Name: 'E', Input: JSON.stringify(v) });
  const plan = await r.episode([started, raised(1, 1), raised(2, 2)], t0 + 3);
  expect(plan.status).toBe('ContinuedAsNew');
  expect(plan.continueAsNew?.input).toBe('1');
  // As the extension does for JavaScript orchestrations: the second event goes with the old execution.
  expect(plan.continueAsNew).toEqual({ input: '1' });
});
