// Keeps a VM's job processes away from the Instance Metadata Service. The node identity's tokens come from IMDS
// (169.254.169.254), and that identity serves the agent (its task queue, its node data key, blobfuse2's mounts):
// a job's process that took a token could act for every cluster of the deployment. So every process of a job runs
// in one systemd slice, `batchai-jobs.slice`: the task launcher (and so every task it starts) in a scope there,
// a task the agent starts itself too, and containers with it as their cgroup parent. One firewall rule rejects
// what that slice sends to IMDS; the agent (in its own service) and blobfuse2 (in scopes of its own) keep it.
//
// The rule matches the slice's control group (iptables' cgroup v2 match, by path), so the slice must exist before
// the rule and must not go away: it is a unit of its own, started before the agent (the install script writes it;
// the agent starts it again). Without systemd, iptables or the cgroup match, the fence is not set: the agent says
// so in its log and runs jobs as before, and the node's jobs can reach IMDS.
import { execFile } from 'child_process';
import { jobsSlice } from '../shared/contracts/jobsSlice';

export { jobsSlice };

export const imdsAddress = '169.254.169.254/32';

/** The iptables rule (after `-C`, `-I` or `-D` and the chain): what the jobs' slice sends to IMDS is rejected. */
export function imdsRejectRule(): string[] {
  return ['OUTPUT', '-d', imdsAddress, '-m', 'cgroup', '--path', jobsSlice, '-j', 'REJECT'];
}

/** argv that starts `argv` in a scope of the jobs' slice (systemd-run execs it: same pid, same stdio). */
export function inJobsSlice(argv: string[]): string[] {
  return ['systemd-run', '--scope', '--quiet', '--collect', `--slice=${jobsSlice}`, '--', ...argv];
}

export type CommandRunner = (file: string, args: string[]) => Promise<void>;

const runCommand: CommandRunner = (file, args) =>
  new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 30_000 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')}: ${String(stderr).trim() || error.message}`));
      else resolve();
    });
  });

/**
 * Starts the slice and inserts the rule unless it is there (`-C`): idempotent, for every start of the agent (the
 * rule does not survive a reboot). Resolves whether the fence is up; `log` hears why when it is not.
 */
export async function raiseJobProcessFence(
  log: (level: 'info' | 'error', message: string) => void,
  run: CommandRunner = runCommand,
): Promise<boolean> {
  try {
    await run('systemctl', ['start', jobsSlice]);
    const present = await run('iptables', ['-w', '-C', ...imdsRejectRule()]).then(
      () => true,
      () => false,
    );
    if (!present) await run('iptables', ['-w', '-I', ...imdsRejectRule()]);
    log('info', `job processes run in ${jobsSlice}, which may not reach the Instance Metadata Service`);
    return true;
  } catch (error: unknown) {
    log(
      'error',
      `jobs on this node can reach the Instance Metadata Service, and so the node identity: the fence could not ` +
        `be set (${(error as Error).message})`,
    );
    return false;
  }
}
