// An emulator that died is restarted once, however many times a restart is asked for while it runs: `npm start`'s
// watchdog checks every second and a restart takes longer, and a second start on the same data failed with
// "journal ... is in use by process N".
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LocalStack, startLocalStack } from '../../runtime/stack/localStack';
import { isAlive, killProcessesMentioning } from './stackProcesses';

let dataDir = '';
let stack: LocalStack | undefined;

afterAll(async () => {
  await stack?.stop();
  const leaked = dataDir ? killProcessesMentioning(dataDir) : [];
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  expect(leaked).toEqual([]);
});

test('restarts asked for while one runs join it: one new process per emulator, no lock error', async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stack-restart-once-'));
  const logs: string[] = [];
  stack = await startLocalStack({ dataDir, log: (line) => logs.push(line) });
  const before = stack.pids();
  process.kill(before.cosmos, 'SIGKILL');
  process.kill(before.azurite, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 200));

  // As the watchdog did: a check a little later, while the first restart still starts the new process.
  const cosmos = [stack.restartCosmos()];
  const azurite = [stack.restartAzurite()];
  await new Promise((r) => setTimeout(r, 100));
  cosmos.push(stack.restartCosmos());
  azurite.push(stack.restartAzurite());
  const outcomes = await Promise.allSettled([...cosmos, ...azurite]);
  expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);

  const after = stack.pids();
  expect(after.cosmos).not.toBe(before.cosmos);
  expect(after.azurite).not.toBe(before.azurite);
  expect(isAlive(after.cosmos) && isAlive(after.azurite)).toBe(true);
  expect(logs.filter((l) => l.includes('cosmos restarted'))).toHaveLength(1);
  expect(logs.filter((l) => l.includes('azurite restarted'))).toHaveLength(1);

  // Once it is done, a later restart is a new one.
  await stack.restartCosmos();
  expect(stack.pids().cosmos).not.toBe(after.cosmos);
  expect(isAlive(after.cosmos)).toBe(false);
});
