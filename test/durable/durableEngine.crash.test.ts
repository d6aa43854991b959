// Crash safety: 50 orchestrations (activities, a timer, an external event) survive repeated SIGKILLs of the host.
// Activities record every execution, so the test checks at-least-once delivery and the final outputs.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { repoRoot, startTestEnvironment, waitFor, type TestEnvironment } from '../support/testEnvironment';

const appRoot = path.join(repoRoot, 'test', 'fixtures', 'apps', 'durableApp');
const count = 50;
let env: TestEnvironment;
let tempDir: string;

beforeAll(async () => {
  tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-crash-'));
  env = await startTestEnvironment({
    appRoot,
    settings: { DURABLE_FIXTURE_LOG: path.join(tempDir, 'executions.log') },
  });
}, 120_000);

afterAll(async () => {
  await env?.stop();
  fs.rmSync(tempDir, { recursive: true, force: true });
});

/** POSTs to the durable HTTP API's `route` (master key) on the current host. */
async function tryPost(route: string, body?: unknown): Promise<number | undefined> {
  try {
    const res = await env.durableApi(route, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? '' : JSON.stringify(body),
    });
    return res.status;
  } catch {
    return undefined; // the host was killed under us: retried after the restart
  }
}

test('50 orchestrations complete with every step after repeated SIGKILLs of the host', async () => {
  const ids = Array.from({ length: count }, (_, i) => `crash-${i}`);
  for (const id of ids) expect(await tryPost(`orchestrators/CrashWorkflow/${id}`)).toBe(202);

  const approved = new Set<string>();
  for (let round = 0; round < 4; round++) {
    await new Promise((r) => setTimeout(r, 100 + Math.floor(Math.random() * 600)));
    // Raise approvals while the host may be killed any moment; acknowledged ones must never be lost.
    const raising = Promise.all(
      ids
        .filter((id) => !approved.has(id))
        .map(async (id) => {
          const status = await tryPost(`instances/${id}/raiseEvent/Approve`, { ok: id });
          if (status === 202) approved.add(id);
        }),
    );
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 50)));
    expect(await env.killHost('SIGKILL')).toBeNull();
    await raising;
    await env.restartHost();
  }
  for (const id of ids) {
    if (approved.has(id)) continue;
    // 410: the approval was committed but its acknowledgement was lost in a kill, and the instance finished.
    expect([202, 410]).toContain(await tryPost(`instances/${id}/raiseEvent/Approve`, { ok: id }));
  }

  for (const id of ids) {
    const status = await waitFor(
      `${id} to complete`,
      async () => {
        const res = await env.durableApi(`instances/${id}`);
        const body = (await res.json()) as { runtimeStatus: string; output: unknown };
        return body.runtimeStatus === 'Completed' || body.runtimeStatus === 'Failed' ? body : undefined;
      },
      60_000,
    );
    expect(status).toEqual(
      expect.objectContaining({
        runtimeStatus: 'Completed',
        output: {
          results: [0, 1, 2].map((i) => `done ${id}:step${i}`),
          fan: [0, 1].map((j) => `done ${id}:fan${j}`),
          approval: { ok: id },
          last: `done ${id}:final`,
        },
      }),
    );
  }
  const executions = fs
    .readFileSync(path.join(tempDir, 'executions.log'), 'utf8')
    .split('\n')
    .filter(Boolean);
  const seen = new Set(executions);
  for (const id of ids) {
    for (const step of ['step0', 'step1', 'step2', 'fan0', 'fan1', 'final'])
      expect(seen.has(`${id}:${step}`)).toBe(true);
  }
  // At-least-once: re-executions after a kill are allowed, but every recorded step belongs to a real step.
  expect(executions.length).toBeGreaterThanOrEqual(count * 6);
}, 240_000);
