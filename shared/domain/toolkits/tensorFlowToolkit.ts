// tensorFlowSettings: a single worker (stdout-wk-0.txt) or, distributed, parameter servers and workers placed
// round-robin over the gang (ps i and worker i on node i mod nodeCount), each address's ports counted up from 2222
// (ps first), with TF_CONFIG, AZ_BATCHAI_PS_HOSTS, AZ_BATCHAI_WORKER_HOSTS and AZ_BATCHAI_TASK_INDEX as Batch AI set
// them: worker 0 is the master (masterCommandLineArgs, TF_CONFIG task type "master").
import { ValidationError } from '../errors';
import { stdOutErrFileNames } from '../jobLayout/jobOutputLayout';
import type { JsonObject } from '../specValidator';
import { optionalSetting, pythonCommand } from './commandParts';
import { gpusOf, makeProcess, type JobLaunchContext } from './jobLaunchContext';
import type { PlannedProcess } from './launchPlan';
import type { ToolkitPlanner } from './toolkitPlanner';

const field = 'properties.tensorFlowSettings';

interface Task {
  kind: 'worker' | 'parameterServer';
  index: number;
  nodeIndex: number;
  hostPort: string;
}

export const planTensorFlowToolkit: ToolkitPlanner = (context, settings) => {
  const nodeCount = context.nodes.length;
  const workerCount = countSetting(settings, 'workerCount', 1) ?? nodeCount;
  const givenPs = countSetting(settings, 'parameterServerCount', 0);
  const distributed = nodeCount > 1 || workerCount > 1 || (givenPs ?? 0) > 0;
  const master = optionalSetting(settings, 'masterCommandLineArgs');
  if (!distributed) {
    const files = stdOutErrFileNames.task('worker', 0);
    const process = makeProcess(context, 0, {
      name: 'wk-0',
      role: 'worker',
      taskIndex: 0,
      commandLine: pythonCommand(settings, field, master),
      stdoutFile: files.stdout,
      stderrFile: files.stderr,
    });
    return { perNode: context.nodes.map((_, index) => (index === 0 ? [process] : [])) };
  }
  const parameterServerCount = givenPs ?? 1;
  checkCounts(context, workerCount, parameterServerCount);
  const tasks = placeTasks(context, parameterServerCount, workerCount);
  const psHosts = tasks.filter((t) => t.kind === 'parameterServer').map((t) => t.hostPort);
  const workerHosts = tasks.filter((t) => t.kind === 'worker').map((t) => t.hostPort);
  const cluster = psHosts.length > 0 ? { ps: psHosts, worker: workerHosts } : { worker: workerHosts };
  const perNode: PlannedProcess[][] = context.nodes.map(() => []);
  for (const task of tasks) {
    const isPs = task.kind === 'parameterServer';
    const args = isPs
      ? optionalSetting(settings, 'parameterServerCommandLineArgs')
      : task.index === 0
        ? master
        : (optionalSetting(settings, 'workerCommandLineArgs') ?? master);
    const type = isPs ? 'ps' : task.index === 0 ? 'master' : 'worker';
    const files = stdOutErrFileNames.task(task.kind, task.index);
    perNode[task.nodeIndex].push(
      makeProcess(context, task.nodeIndex, {
        name: `${isPs ? 'ps' : 'wk'}-${task.index}`,
        role: task.kind,
        taskIndex: task.index,
        commandLine: pythonCommand(settings, field, args),
        variables: {
          AZ_BATCHAI_PS_HOSTS: psHosts.join(','),
          AZ_BATCHAI_WORKER_HOSTS: workerHosts.join(','),
          TF_CONFIG: JSON.stringify({ cluster, task: { type, index: task.index }, environment: 'cloud' }),
        },
        stdoutFile: files.stdout,
        stderrFile: files.stderr,
      }),
    );
  }
  return { perNode };
};

function countSetting(settings: JsonObject, name: string, minimum: number): number | undefined {
  const value = settings[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
    throw new ValidationError(
      `${field}.${name}`,
      `'${field}.${name}' must be an integer of at least ${minimum}.`,
    );
  }
  return value;
}

function checkCounts(context: JobLaunchContext, workerCount: number, parameterServerCount: number): void {
  const nodeCount = context.nodes.length;
  const gpus = Math.max(1, gpusOf(context.nodes[0]));
  if (workerCount > nodeCount * gpus) {
    throw new ValidationError(
      `${field}.workerCount`,
      `'${field}.workerCount' (${workerCount}) must not exceed nodeCount x GPUs per node (${nodeCount} x ${gpus}).`,
    );
  }
  if (parameterServerCount > nodeCount) {
    throw new ValidationError(
      `${field}.parameterServerCount`,
      `'${field}.parameterServerCount' (${parameterServerCount}) must not exceed nodeCount (${nodeCount}).`,
    );
  }
}

function placeTasks(context: JobLaunchContext, parameterServerCount: number, workerCount: number): Task[] {
  const base = context.input.ports?.tensorFlowBasePort ?? 2222;
  // Ports are counted per address, not per node: local nodes on one machine share 127.0.0.1.
  const nextPort = new Map<string, number>();
  const place = (kind: Task['kind'], index: number): Task => {
    const nodeIndex = index % context.nodes.length;
    const address = context.nodes[nodeIndex].address;
    const port = nextPort.get(address) ?? base;
    nextPort.set(address, port + 1);
    return { kind, index, nodeIndex, hostPort: `${address}:${port}` };
  };
  return [
    ...Array.from({ length: parameterServerCount }, (_, i) => place('parameterServer', i)),
    ...Array.from({ length: workerCount }, (_, i) => place('worker', i)),
  ];
}
