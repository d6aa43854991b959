// The shape every toolkit planner has: from the job's context and its toolkit settings, the processes per node
// (by node index) and, for MPI toolkits, how many ranks each node's host file line gives it.
import { stdOutErrFileNames } from '../jobLayout/jobOutputLayout';
import type { JsonObject } from '../specValidator';
import { makeProcess, type JobLaunchContext } from './jobLaunchContext';
import type { PlannedProcess } from './launchPlan';

export interface ToolkitProcesses {
  perNode: PlannedProcess[][];
  /** MPI slots per node (host file); default: one per GPU, at least one. */
  hostSlots?: number[];
}

export type ToolkitPlanner = (context: JobLaunchContext, settings: JsonObject) => ToolkitProcesses;

/** Processes on the master only. */
export function onMaster(context: JobLaunchContext, processes: PlannedProcess[]): PlannedProcess[][] {
  return context.nodes.map((_, index) => (index === 0 ? processes : []));
}

/** One process on the master with Batch AI's plain stdout.txt / stderr.txt (task index 0). */
export function masterOnly(context: JobLaunchContext, command: string): ToolkitProcesses {
  const master = makeProcess(context, 0, {
    name: 'master',
    role: 'master',
    taskIndex: 0,
    commandLine: command,
    stdoutFile: stdOutErrFileNames.stdout,
    stderrFile: stdOutErrFileNames.stderr,
  });
  return { perNode: onMaster(context, [master]) };
}
