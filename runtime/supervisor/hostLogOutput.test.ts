import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HostLogFile, hostLineOutput, isRoutineInvocationLine } from './hostLogOutput';

const at = '[2026-12-06T18:00:00.000Z]';
const executing = `${at} [information] nodeEvents (0b6f) [system] Executing 'Functions.nodeEvents' (Id=0b6f)`;
const executed = `${at} [information] nodeEvents (0b6f) [system] Executed 'Functions.nodeEvents' (Succeeded, Id=0b6f, Duration=3ms)`;
const failed = `${at} [error] nodeEvents (0b6f) [system] Executed 'Functions.nodeEvents' (Failed, Id=0b6f, Duration=3ms)`;
const user = `${at} [information] jobs (1a2b) Job x queued`;
const warning = `${at} [warning] JobScheduler (1a2b) [system] Executing 'Functions.JobScheduler' (Id=1a2b)`;

test("a successful invocation's start and end lines are routine; failures, warnings and the app's lines are not", () => {
  expect(isRoutineInvocationLine(executing)).toBe(true);
  expect(isRoutineInvocationLine(executed)).toBe(true);
  expect(isRoutineInvocationLine(failed)).toBe(false);
  expect(isRoutineInvocationLine(user)).toBe(false);
  expect(isRoutineInvocationLine(warning)).toBe(false);
  expect(isRoutineInvocationLine(`${at} [information] x (1) Executing 'Functions.x' (Id=1)`)).toBe(false);
});

test('every line goes to the file, the console gets the rest unless verbose; the file rotates', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostlog-'));
  try {
    const file = new HostLogFile(path.join(dir, 'logs', 'host.log'), 250);
    const shown: string[] = [];
    const quiet = hostLineOutput(file, false, (line) => shown.push(line));
    for (const line of [executing, user, executed, failed]) quiet(line, 'stdout');
    expect(shown).toEqual([user, failed]);
    const verbose = hostLineOutput(file, true, (line) => shown.push(line));
    verbose(executing, 'stdout');
    expect(shown.at(-1)).toBe(executing);
    await file.close();
    const all = [fs.readFileSync(`${file.file}.1`, 'utf8'), fs.readFileSync(file.file, 'utf8')].join('');
    expect(all.split('\n').filter(Boolean)).toEqual([executing, user, executed, failed, executing]);
    expect(fs.statSync(file.file).size).toBeLessThan(250);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
