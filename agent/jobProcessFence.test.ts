// The fence between a VM's job processes and the Instance Metadata Service: the slice is started and the iptables
// rule inserted once (checked first, so every agent start keeps one rule); without them the agent says why and runs
// jobs as before. Against stand-in command runners: this machine has neither systemd nor the cgroup match.
import { imdsRejectRule, inJobsSlice, raiseJobProcessFence, type CommandRunner } from './jobProcessFence';

function runner(failing: (command: string) => boolean): { run: CommandRunner; calls: string[] } {
  const calls: string[] = [];
  const run: CommandRunner = async (file, args) => {
    const command = [file, ...args].join(' ');
    calls.push(command);
    if (failing(command)) throw new Error(`${file}: failed`);
  };
  return { run, calls };
}

const rule = imdsRejectRule().join(' ');

test('the slice is started and the rule inserted when it is not there yet', async () => {
  const logs: string[] = [];
  const { run, calls } = runner((command) => command.includes(' -C '));
  expect(await raiseJobProcessFence((level, message) => logs.push(`${level} ${message}`), run)).toBe(true);
  expect(calls).toEqual([
    'systemctl start batchai-jobs.slice',
    `iptables -w -C ${rule}`,
    `iptables -w -I ${rule}`,
  ]);
  expect(rule).toBe('OUTPUT -d 169.254.169.254/32 -m cgroup --path batchai-jobs.slice -j REJECT');
  expect(logs).toEqual([expect.stringMatching(/^info job processes run in batchai-jobs\.slice/)]);
});

test('a rule already there (an agent restart) is not inserted twice', async () => {
  const { run, calls } = runner(() => false);
  expect(await raiseJobProcessFence(() => undefined, run)).toBe(true);
  expect(calls.filter((command) => command.includes(' -I '))).toEqual([]);
});

test('without the cgroup match (or systemd) the fence is down, and the log says what that means', async () => {
  const logs: string[] = [];
  const { run } = runner((command) => command.startsWith('iptables'));
  expect(await raiseJobProcessFence((level, message) => logs.push(`${level} ${message}`), run)).toBe(false);
  expect(logs).toEqual([
    expect.stringMatching(
      /^error jobs on this node can reach the Instance Metadata Service.*iptables: failed/,
    ),
  ]);
});

test('a process started in the slice keeps its argv (systemd-run execs it in a scope there)', () => {
  expect(inJobsSlice(['python3', '-c', 'x'])).toEqual([
    'systemd-run',
    '--scope',
    '--quiet',
    '--collect',
    '--slice=batchai-jobs.slice',
    '--',
    'python3',
    '-c',
    'x',
  ]);
});
