// Orchestration versioning through the real local host across redeployments (host restarts with a new
// host.json defaultVersion, set by app setting as on Azure): an instance keeps its version for life, a newer
// worker finishes an older worker's instances, an older worker never runs a newer instance (Reject leaves it,
// Fail fails it), and a terminate still reaches a rejected one.
import * as path from 'path';
import { repoRoot, startTestEnvironment, waitFor, type TestEnvironment } from '../support/testEnvironment';

const appRoot = path.join(repoRoot, 'test', 'fixtures', 'apps', 'durableApp');
const setting = 'AzureFunctionsJobHost__extensions__durableTask__';
let env: TestEnvironment;

beforeAll(async () => {
  env = await startTestEnvironment({ appRoot, settings: { [`${setting}defaultVersion`]: '1.0' } });
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

interface Status {
  runtimeStatus: string;
  output: unknown;
}

async function start(instanceId: string, version?: string): Promise<void> {
  const query = `?instanceId=${instanceId}${version ? `&version=${version}` : ''}`;
  const res = await fetch(`${env.baseUrl}/api/start/Versioned${query}`, { method: 'POST', body: '' });
  expect(res.status).toBe(202);
}

async function status(instanceId: string): Promise<Status> {
  return (await (await env.durableApi(`instances/${instanceId}`)).json()) as Status;
}

async function post(pathAndQuery: string, body?: unknown): Promise<number> {
  const res = await env.durableApi(`instances/${pathAndQuery}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? '' : JSON.stringify(body),
  });
  return res.status;
}

function finished(instanceId: string): Promise<Status> {
  return waitFor(
    `${instanceId} to finish`,
    async () => {
      const s = await status(instanceId);
      return ['Completed', 'Failed', 'Terminated'].includes(s.runtimeStatus) ? s : undefined;
    },
    30_000,
  );
}

test('instances keep their version across redeployments; an older worker never runs a newer instance', async () => {
  await start('old'); // stamped 1.0 by the worker's defaultVersion
  await start('future', '3.0'); // a newer version than any worker here runs
  await start('doomed', '3.0');
  await waitFor('old to run', async () =>
    (await status('old')).runtimeStatus === 'Running' ? true : undefined,
  );
  expect(await post('future/raiseEvent/Go', {})).toBe(202);
  await waitFor('the worker to leave future', async () =>
    env.hostOutput().includes("'future' left for another worker") ? true : undefined,
  );
  expect((await status('future')).runtimeStatus).toBe('Pending');

  // Redeploy as 2.0: the 1.0 instance finishes under its own version; its sub-orchestrations get the worker's
  // default version unless the call names one.
  await env.restartHost({ [`${setting}defaultVersion`]: '2.0' });
  expect(await post('old/raiseEvent/Go', {})).toBe(202);
  expect(await finished('old')).toMatchObject({
    runtimeStatus: 'Completed',
    output: { version: '1.0', inherited: '2.0', pinned: '0.9' },
  });
  await start('new');
  expect(await post('new/raiseEvent/Go', {})).toBe(202);
  expect(await finished('new')).toMatchObject({
    runtimeStatus: 'Completed',
    output: { version: '2.0', inherited: '2.0', pinned: '0.9' },
  });
  // The 3.0 instances still wait (with their event) for a worker that may run them; a terminate reaches them.
  expect((await status('future')).runtimeStatus).toBe('Pending');
  expect(await post('future/terminate?reason=retired')).toBe(202);
  expect(await finished('future')).toMatchObject({ runtimeStatus: 'Terminated' });

  // versionFailureStrategy Fail: an instance this worker may not run fails with the reason.
  await env.restartHost({ [`${setting}versionFailureStrategy`]: 'Fail' });
  const failed = await finished('doomed');
  expect(failed.runtimeStatus).toBe('Failed');
  expect(JSON.stringify(failed.output)).toContain(
    "The orchestration's version '3.0' is newer than this worker's version '2.0' (versionMatchStrategy CurrentOrOlder).",
  );
}, 120_000);

test('an invalid versioning setting stops the host with an error naming it', async () => {
  await expect(env.restartHost({ [`${setting}versionMatchStrategy`]: 'Newest' })).rejects.toThrow(
    /extensions\.durableTask\.versionMatchStrategy: expected one of None, Strict, CurrentOrOlder/,
  );
  await env.restartHost({ [`${setting}versionMatchStrategy`]: 'CurrentOrOlder' });
  expect((await env.durableApi('instances/old')).status).toBe(200);
}, 120_000);
