// Retries in the engine: when the retry timeout leaves no time for the attempts left, the task fails with the
// last attempt's real failure, as DurableTask.Core's RetryInterceptor rethrows the last exception.
import * as df from 'durable-functions';
import type { OrchestrationHandler } from 'durable-functions';
import * as fs from 'fs';
import type { DurableEngine } from '../../runtime/durable/durableEngine';
import { makeEngine, tempDir } from './engineHarness';

let dir: string;
let engine: DurableEngine | undefined;

beforeEach(() => {
  dir = tempDir('durable-retry-');
});

afterEach(async () => {
  await engine?.stop();
  engine = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

test('attempts the retry timeout cuts off fail with the last real failure', async () => {
  let runs = 0;
  const retried: OrchestrationHandler = function* (context) {
    const options = new df.RetryOptions(100, 5);
    options.retryTimeoutInMilliseconds = 150;
    try {
      yield context.df.callActivityWithRetry('Boom', options, 1);
      return 'unexpected';
    } catch (error: unknown) {
      return (error as Error).message;
    }
  };
  engine = makeEngine(dir, {
    orchestrators: { Retried: retried },
    activities: {
      Boom: () => {
        runs++;
        throw new Error(`real failure #${runs}`);
      },
    },
  });
  engine.start();
  await engine.startNew('Retried', 'r1', undefined);
  await engine.waitForCompletion('r1');
  const output = (await engine.statusOf('r1'))?.output;
  expect(runs).toBeLessThan(5); // the timeout cut the attempts short
  expect(output).toEqual(expect.stringContaining(`real failure #${runs}`));
  expect(output).not.toEqual(expect.stringMatching(/timeout/i));
});
