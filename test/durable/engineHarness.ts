// A DurableEngine in this process, without a Functions host: orchestrators run through the durable-functions
// library's own wrapper (the code the worker runs), activities are plain functions. For tests that need to hold
// or fail the log's file operations, which the real host's child process does not allow.
import type { OrchestrationHandler } from 'durable-functions';
import { DummyOrchestrationContext, createOrchestrator } from 'durable-functions/lib/src/util/testingUtils';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DurableEngine, type Invoke } from '../../runtime/durable/durableEngine';
import { defaultPlannerConfig } from '../../runtime/durable/episodePlanner';

export interface HarnessOptions {
  orchestrators?: Record<string, OrchestrationHandler>;
  activities?: Record<string, (input: unknown) => unknown>;
  compactAfterBytes?: number;
  /** Called with each orchestrator trigger input before the orchestrator runs. */
  beforeOrchestrator?: (name: string, trigger: { history: { EventType: number }[] }) => Promise<void> | void;
  messages?: string[];
}

export function makeEngine(dataDir: string, options: HarnessOptions = {}): DurableEngine {
  const orchestrators = new Map(
    Object.entries(options.orchestrators ?? {}).map(([name, fn]) => [name, createOrchestrator(fn)]),
  );
  const activities = options.activities ?? {};
  const invoke: Invoke = async (name, input) => {
    const json = (input.triggerData as { json: string }).json;
    const orchestrator = orchestrators.get(name);
    if (orchestrator) {
      const trigger = JSON.parse(json) as { history: { EventType: number }[] };
      await options.beforeOrchestrator?.(name, trigger);
      const state = await orchestrator(trigger, new DummyOrchestrationContext(name));
      return { returnValue: { json: JSON.stringify(state) }, outputData: {} };
    }
    const activity = activities[name];
    if (!activity) throw new Error(`no function ${name}`);
    const value = await activity(JSON.parse(json) as unknown);
    return { returnValue: value === undefined ? undefined : { json: JSON.stringify(value) }, outputData: {} };
  };
  return new DurableEngine({
    dataDir,
    hubName: 'test',
    invoke,
    orchestrators: [...orchestrators.keys()],
    activities: Object.keys(activities),
    entities: [],
    maxConcurrentActivityFunctions: 10,
    maxConcurrentOrchestratorFunctions: 10,
    planner: defaultPlannerConfig,
    log: (m) => options.messages?.push(m),
    compactAfterBytes: options.compactAfterBytes,
  });
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits (polling memory) until `predicate` holds; fails after `timeoutMs`. */
export async function until(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
