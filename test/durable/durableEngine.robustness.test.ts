// Through the real host: recorded values are replayed byte for byte, and actions the engine cannot carry out
// fail the orchestration (as on Azure) instead of re-running its episode forever and freezing the host.
import * as path from 'path';
import { repoRoot, startTestEnvironment, waitFor, type TestEnvironment } from '../support/testEnvironment';

const appRoot = path.join(repoRoot, 'test', 'fixtures', 'apps', 'durableApp');
let env: TestEnvironment;

beforeAll(async () => {
  env = await startTestEnvironment({ appRoot });
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

interface Status {
  runtimeStatus: string;
  output: unknown;
}

async function start(name: string, id: string, input?: unknown): Promise<void> {
  const res = await env.durableApi(`orchestrators/${name}/${id}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: input === undefined ? '' : JSON.stringify(input),
  });
  expect(res.status).toBe(202);
}

function finished(id: string, timeoutMs = 20_000): Promise<Status> {
  return waitFor(
    `${id} to finish`,
    async () => {
      const body = (await (await env.durableApi(`instances/${id}`)).json()) as Status;
      return ['Completed', 'Failed', 'Terminated'].includes(body.runtimeStatus) ? body : undefined;
    },
    timeoutMs,
  );
}

test("values holding $' $& $` $$ replay unchanged in later episodes", async () => {
  const name = "bash: $'\\r': command not found; $& and $` cost $$5";
  await start('Sequence', 'dollar-1', name);
  const done = await finished('dollar-1');
  expect(done).toEqual(
    expect.objectContaining({ runtimeStatus: 'Completed', output: `Hello Hello ${name}!` }),
  );
});

test('retry options allowing no attempt fail the task; the orchestrator catches it', async () => {
  await start('NoAttemptRetry', 'no-attempt-1');
  const done = await finished('no-attempt-1');
  expect(done.runtimeStatus).toBe('Completed');
  expect(done.output).toEqual(expect.stringContaining('caught: '));
  expect(done.output).toEqual(expect.stringContaining('maxNumberOfAttempts is 0'));
  // The host still serves other work.
  await start('Sequence', 'after-no-attempt', 'Ada');
  expect((await finished('after-no-attempt')).output).toBe('Hello Hello Ada!');
});

test('a timer whose fireAt is not a date fails the orchestration with the reason', async () => {
  await start('InvalidTimer', 'invalid-timer-1');
  const done = await finished('invalid-timer-1');
  expect(done.runtimeStatus).toBe('Failed');
  expect(JSON.stringify(done.output)).toContain('fireAt is not a date');
  await start('Sequence', 'after-invalid-timer', 'Bo');
  expect((await finished('after-invalid-timer')).output).toBe('Hello Hello Bo!');
});

test('an action that cannot run after a durable timer fails the orchestration after a restart too', async () => {
  await start('TimerThenNoAttemptRetry', 'timer-then-bad-1');
  // Killed before its 1 s timer fires: the timer fires as the host starts again, and the next episode's action
  // is one the engine cannot run.
  expect(await env.killHost('SIGKILL')).toBeNull();
  await env.restartHost();
  const done = await finished('timer-then-bad-1');
  expect(done.runtimeStatus).toBe('Failed');
  expect(JSON.stringify(done.output)).toContain('maxNumberOfAttempts is 0');
  await start('Sequence', 'after-restart', 'Cy');
  expect((await finished('after-restart')).output).toBe('Hello Hello Cy!');
});
