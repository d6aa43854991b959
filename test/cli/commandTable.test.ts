// Unit tests of command lookup: the longest command path wins, groups are recognised, typos get a suggestion.
import { COMMANDS, resolveCommand } from '../../cli/commandTable';
import { UsageError } from '../../cli/usageError';
import { jobExitCode } from '../../cli/commands/jobCommands';

test('every command path is unique and every command runs something', () => {
  const paths = COMMANDS.map((c) => c.path.join(' '));
  expect(new Set(paths).size).toBe(paths.length);
  expect(paths).toEqual(
    expect.arrayContaining([
      'workspace create',
      'cluster auto-scale',
      'cluster node list',
      'file-server create',
      'job file stream',
      'job node list',
      'job wait',
    ]),
  );
});

test('resolves a three-word command and leaves the flags', () => {
  const resolution = resolveCommand(['job', 'file', 'list', '-j', 'x']);
  expect(resolution.kind).toBe('command');
  if (resolution.kind === 'command') {
    expect(resolution.command.path).toEqual(['job', 'file', 'list']);
    expect(resolution.rest).toEqual(['-j', 'x']);
  }
});

test('a group without a command resolves to the group', () => {
  expect(resolveCommand(['cluster', 'node'])).toEqual({
    kind: 'group',
    words: ['cluster', 'node'],
    rest: [],
  });
  expect(resolveCommand(['-h'])).toEqual({ kind: 'group', words: [], rest: ['-h'] });
});

test('a misspelt command suggests the closest one in its group', () => {
  expect(() => resolveCommand(['cluster', 'lst'])).toThrow(UsageError);
  expect(() => resolveCommand(['cluster', 'lst'])).toThrow("Did you mean 'list'?");
  expect(() => resolveCommand(['fileserver', 'list'])).toThrow("Did you mean 'file-server'?");
});

test("job wait's exit code is the job's when a process can exit with it, else 1 for a failure", () => {
  const job = (executionState: string, exitCode?: number) =>
    ({ properties: { executionState, executionInfo: { exitCode } } }) as Parameters<typeof jobExitCode>[0];
  expect(jobExitCode(job('succeeded', 0))).toBe(0);
  expect(jobExitCode(job('failed', 3))).toBe(3);
  expect(jobExitCode(job('failed'))).toBe(1);
  expect(jobExitCode(job('failed', 256))).toBe(1); // a shell would read 256 as 0
  expect(jobExitCode(job('failed', -9))).toBe(1);
});
