// Launches a command under Open MPI as Batch AI did for MPI toolkits: mpirun on the master with the job's host file
// and `-np processCount`; the other nodes run nothing themselves (mpirun starts their ranks). Variables are
// exported to remote ranks by name (`-x NAME`), so secret values never appear on the command line.
import { stdOutErrFileNames } from '../jobLayout/jobOutputLayout';
import { makeProcess, type JobLaunchContext } from './jobLaunchContext';
import { spreadProcesses } from './processCount';
import { onMaster, type ToolkitProcesses } from './toolkitPlanner';

/** The Open MPI host file: one `<address> slots=<n>` line per node that runs ranks. */
export function mpiHostFile(addresses: string[], slots: number[]): string {
  return addresses
    .map((address, index) => ({ address, slots: slots[index] }))
    .filter((line) => line.slots > 0)
    .map((line) => `${line.address} slots=${line.slots}\n`)
    .join('');
}

export function mpiLaunch(
  context: JobLaunchContext,
  processCount: number,
  command: string,
): ToolkitProcesses {
  const exported = Object.keys(context.nodeEnvironments[0])
    .sort()
    .map((name) => `-x ${name}`)
    .join(' ');
  const launcher = makeProcess(context, 0, {
    name: 'mpirun',
    role: 'mpiLauncher',
    commandLine: `mpirun --hostfile $AZ_BATCHAI_MPI_HOST_FILE -np ${processCount} ${exported} ${command}`,
    stdoutFile: stdOutErrFileNames.stdout,
    stderrFile: stdOutErrFileNames.stderr,
  });
  return {
    perNode: onMaster(context, [launcher]),
    hostSlots: spreadProcesses(processCount, context.nodes.length),
  };
}
