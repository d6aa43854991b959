import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConsoleTelemetrySink } from '../../shared/telemetry/consoleTelemetrySink';
import { RotatingLogFile } from '../../shared/logging/rotatingLogFile';
import { hostLineOutput, isRoutineInvocationLine } from './hostLogOutput';

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
    const file = new RotatingLogFile(path.join(dir, 'logs', 'host.log'), 250);
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

test("successful requests' and dependencies' telemetry lines are routine too; failed ones and other items are shown", async () => {
  const lines: string[] = [];
  const sink = new ConsoleTelemetrySink('information', (line) => lines.push(line));
  const request = { name: 'GET /api/x', method: 'GET', route: 'x', durationMs: 3, properties: {} };
  sink.emit({ kind: 'request', ...request, resultCode: 200, success: true }, undefined);
  sink.emit({ kind: 'request', ...request, resultCode: 500, success: false }, undefined);
  const dependency = { name: 'GET blob', type: 'HTTP', target: 'azurite', durationMs: 2, properties: {} };
  sink.emit({ kind: 'dependency', ...dependency, resultCode: '200', success: true }, undefined);
  sink.emit({ kind: 'dependency', ...dependency, resultCode: '503', success: false }, undefined);
  sink.emit({ kind: 'trace', message: 'job x queued', severity: 'information', properties: {} }, undefined);
  sink.emit({ kind: 'event', name: 'JobQueued', properties: {}, measurements: {} }, undefined);
  const [okRequest, failedRequest, okDependency, failedDependency, trace, event] = lines;
  expect(okRequest).toContain('"type":"request"');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostlog-'));
  try {
    const file = new RotatingLogFile(path.join(dir, 'host.log'));
    const shown: string[] = [];
    const quiet = hostLineOutput(file, false, (line) => shown.push(line));
    for (const line of lines) quiet(line, 'stdout');
    quiet('{"time": not json, "success":true}', 'stdout');
    expect(shown).toEqual([
      failedRequest,
      failedDependency,
      trace,
      event,
      '{"time": not json, "success":true}',
    ]);
    const verbose = hostLineOutput(file, true, (line) => shown.push(line));
    verbose(okRequest, 'stdout');
    verbose(okDependency, 'stdout');
    expect(shown.slice(-2)).toEqual([okRequest, okDependency]);
    await file.close();
    const inFile = fs.readFileSync(file.file, 'utf8').split('\n');
    for (const line of [okRequest, okDependency, failedRequest]) expect(inFile).toContain(line);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
