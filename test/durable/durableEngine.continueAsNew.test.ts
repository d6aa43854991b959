// continueAsNew in the engine: an eternal orchestration keeps no timers of its past executions, and a new
// execution's history starts with ExecutionStarted even when events arrived while the previous episode ran.
import type { OrchestrationHandler } from 'durable-functions';
import * as fs from 'fs';
import type { DurableEngine } from '../../runtime/durable/durableEngine';
import { EventType } from '../../runtime/durable/historyEvent';
import { makeEngine, tempDir, until } from './engineHarness';

let dir: string;
let engine: DurableEngine | undefined;

beforeEach(() => {
  dir = tempDir('durable-can-');
});

afterEach(async () => {
  await engine?.stop();
  engine = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Waits an hour or for a 'tick'; continues as new on each tick until the input reaches `last`. */
const eternal: OrchestrationHandler = function* (context) {
  const n = context.df.getInput<number>();
  const hourLater = new Date(context.df.currentUtcDateTime.getTime() + 3_600_000);
  const timer = context.df.createTimer(hourLater);
  const tick = context.df.waitForExternalEvent('tick');
  yield context.df.Task.any([timer, tick]);
  if (n < 5) {
    context.df.continueAsNew(n + 1);
    return undefined;
  }
  timer.cancel();
  return n;
};

/** The engine's armed timer handles (private: read for this test). */
const armed = (e: DurableEngine): number => (e['armedTimers'] as Map<string, unknown>).size;

async function execution(e: DurableEngine, id: string, input: number): Promise<void> {
  await until(`execution ${input} waiting`, () => {
    const inst = e.state.instances.get(id);
    return inst?.input === String(input) && inst.inbox.length === 0 && inst.history.length > 0;
  });
  await e.statusOf(id);
}

test('an eternal orchestration keeps only its current execution’s timer', async () => {
  engine = makeEngine(dir, { orchestrators: { Eternal: eternal } });
  engine.start();
  await engine.startNew('Eternal', 'e1', '0');
  for (let n = 0; n < 5; n++) {
    await execution(engine, 'e1', n);
    expect([engine.state.timers.size, armed(engine)]).toEqual([1, 1]);
    await engine.raiseEvent('e1', 'tick', 'null');
  }
  await execution(engine, 'e1', 5);
  expect([engine.state.timers.size, armed(engine)]).toEqual([1, 1]);
  await engine.raiseEvent('e1', 'tick', 'null');
  await engine.waitForCompletion('e1');
  expect((await engine.statusOf('e1'))?.output).toBe(5);
  expect([engine.state.timers.size, armed(engine)]).toEqual([0, 0]);
});

test('after continueAsNew, ExecutionStarted comes before events raised during the last episode', async () => {
  let raisedDuringEpisode = false;
  const triggers: { EventType: number; Input?: string; IsPlayed?: boolean }[][] = [];
  engine = makeEngine(dir, {
    orchestrators: { Eternal: eternal },
    beforeOrchestrator: async (_name, trigger) => {
      const history = trigger.history as { EventType: number; Input?: string; IsPlayed?: boolean }[];
      triggers.push(history);
      const last = history.at(-1);
      // The episode that handles the first tick (and continues as new): a second tick arrives meanwhile.
      if (!raisedDuringEpisode && last?.EventType === EventType.EventRaised && !last.IsPlayed) {
        raisedDuringEpisode = true;
        await engine?.raiseEvent('e2', 'tick', '"during"');
      }
    },
  });
  engine.start();
  await engine.startNew('Eternal', 'e2', '0');
  await execution(engine, 'e2', 0);
  await engine.raiseEvent('e2', 'tick', '"first"');
  // The second tick ends execution 1 at once: execution 2 then waits.
  await execution(engine, 'e2', 2);
  expect(raisedDuringEpisode).toBe(true);
  const firstOfExecution1 = triggers.find((h) =>
    h.some((e) => e.EventType === EventType.ExecutionStarted && e.Input === '1'),
  );
  expect(firstOfExecution1?.map((e) => e.EventType)).toEqual([
    EventType.OrchestratorStarted,
    EventType.ExecutionStarted,
    EventType.EventRaised,
  ]);
});
