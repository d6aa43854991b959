import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { NodeEventBody } from '../shared/contracts/nodeEvent';
import { readJournal, TaskJournal, type TaskReport } from './taskJournal';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'batchai-journal-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function report(taskId: string): TaskReport {
  return { taskId, jobId: `job-${taskId}`, attempt: 1 };
}

function exitOf(taskId: string, exitCode: number): NodeEventBody {
  return { kind: 'taskExited', ...report(taskId), reason: 'exited', exitCode };
}

test('an agent started again finds the tasks left running, the exits it kept and those not yet reported', () => {
  const first = TaskJournal.open(dir, 10);
  expect(first.contents).toEqual({
    finished: new Map(),
    unfinished: [],
    unreported: [],
    killedBeforeRun: new Map(),
  });
  const journal = first.journal;
  journal.started(report('done'));
  journal.spawned('done', 101);
  journal.exited('done', { exit: exitOf('done', 0), time: '2026-12-06T00:00:01.000Z' });
  journal.reported('done');
  journal.started(report('unreported'));
  journal.exited('unreported', { exit: exitOf('unreported', 3), time: '2026-12-06T00:00:02.000Z' });
  journal.started(report('running'), 'batchai-running');
  journal.spawned('running', 202);
  journal.started(report('never-spawned'));
  // The agent dies here: no close.

  const { contents, journal: second } = TaskJournal.open(dir, 10);
  expect([...contents.finished.keys()]).toEqual(['done', 'unreported']);
  expect(contents.finished.get('unreported')).toEqual({
    exit: exitOf('unreported', 3),
    time: '2026-12-06T00:00:02.000Z',
  });
  expect(contents.unreported).toEqual(['unreported']);
  expect(contents.unfinished).toEqual([
    {
      report: report('running'),
      container: 'batchai-running',
      pid: 202,
      spawnedAt: expect.stringMatching(/^\d{4}-/) as string,
    },
    { report: report('never-spawned'), container: undefined },
  ]);

  // Opening compacts the file and keeps every promise: a third agent reads the same.
  second.close();
  expect(TaskJournal.open(dir, 10).contents).toEqual(contents);
});

test('a line cut short by a crash is skipped, and only the latest exits are kept', () => {
  const lines = [];
  for (let i = 0; i < 5; i++) {
    lines.push(JSON.stringify({ op: 'start', report: report(`t${i}`) }));
    lines.push(
      JSON.stringify({
        op: 'exit',
        taskId: `t${i}`,
        exit: exitOf(`t${i}`, i),
        time: '2026-12-06T00:00:00.000Z',
      }),
    );
    lines.push(JSON.stringify({ op: 'reported', taskId: `t${i}` }));
  }
  lines.push('{"op":"start","report":{"taskId":"cut');
  const contents = readJournal(`${lines.join('\n')}\n`, 3);
  expect([...contents.finished.keys()]).toEqual(['t2', 't3', 't4']);
  expect(contents.unfinished).toEqual([]);
  expect(contents.unreported).toEqual([]);
});

test('a long-running agent rewrites its journal with only what it keeps', () => {
  const { journal } = TaskJournal.open(dir, 2);
  for (let i = 0; i < 20; i++) {
    journal.started(report(`t${i}`));
    journal.spawned(`t${i}`, 1000 + i);
    journal.exited(`t${i}`, { exit: exitOf(`t${i}`, 0), time: '2026-12-06T00:00:00.000Z' });
    journal.reported(`t${i}`);
  }
  journal.started(report('still-running'));
  journal.close();
  const text = fs.readFileSync(path.join(dir, 'tasks.ndjson'), 'utf8');
  expect(text.trim().split('\n').length).toBeLessThanOrEqual(4 * 2 * 2 + 1);
  const contents = readJournal(text, 2);
  expect([...contents.finished.keys()]).toEqual(['t18', 't19']);
  expect(contents.unfinished.map((task) => task.report.taskId)).toEqual(['still-running']);
  expect(fs.statSync(path.join(dir, 'tasks.ndjson')).mode & 0o777).toBe(0o600);
});

test('a kill that came before its run message outlives the agent until that task has an exit, and only the latest are kept', () => {
  const { journal } = TaskJournal.open(dir, 2);
  journal.killedBeforeRun('answered', { signal: 'SIGTERM', reason: 'job terminated' });
  journal.killedBeforeRun('dropped', { signal: 'SIGKILL' });
  journal.killedBeforeRun('waiting', { signal: 'SIGTERM', reason: 'removed', nodeRemoval: 'terminate' });
  journal.killedBeforeRun('waiting-too', { signal: 'SIGKILL' });
  // The run message of 'answered' came: the agent reported it killed (an exit line).
  journal.exited('answered', {
    exit: { kind: 'taskExited', ...report('answered'), reason: 'killed', message: 'job terminated' },
    time: '2026-12-06T00:00:00.000Z',
  });
  // The agent dies here: no close.

  const { contents, journal: second } = TaskJournal.open(dir, 2);
  expect([...contents.killedBeforeRun]).toEqual([
    ['waiting', { signal: 'SIGTERM', reason: 'removed', nodeRemoval: 'terminate' }],
    ['waiting-too', { signal: 'SIGKILL' }],
  ]);
  // Kept through the rewrite on open, and through the one of a long-running agent.
  for (let i = 0; i < 20; i++) {
    second.started(report(`t${i}`));
    second.exited(`t${i}`, { exit: exitOf(`t${i}`, 0), time: '2026-12-06T00:00:00.000Z' });
    second.reported(`t${i}`);
  }
  second.close();
  expect(TaskJournal.open(dir, 2).contents.killedBeforeRun).toEqual(contents.killedBeforeRun);
});
