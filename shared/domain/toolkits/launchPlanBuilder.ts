// Builds the launch plan of one job attempt: the toolkit's processes per node, the job preparation command on
// every node, the MPI host file (every job has AZ_BATCHAI_MPI_HOST_FILE), the container to run in, and the secret
// variable names. Deterministic: the same job, attempt and nodes give the same plan.
import { ValidationError } from '../errors';
import { stdOutErrFileNames } from '../jobLayout/jobOutputLayout';
import { toolkitTypes } from '../jobRules';
import type { JsonObject } from '../specValidator';
import { planCaffe2Toolkit } from './caffe2Toolkit';
import { planCaffeToolkit } from './caffeToolkit';
import { planChainerToolkit } from './chainerToolkit';
import { planCntkToolkit } from './cntkToolkit';
import { requiredSetting } from './commandParts';
import { planCustomMpiToolkit } from './customMpiToolkit';
import { planCustomToolkit } from './customToolkit';
import { planHorovodToolkit } from './horovodToolkit';
import { createLaunchContext, gpusOf, makeProcess, type JobLaunchContext } from './jobLaunchContext';
import type { ContainerLaunch, LaunchPlan, LaunchPlanInput, NodeLaunch } from './launchPlan';
import { mpiHostFile } from './mpiLaunch';
import { planPyTorchToolkit } from './pyTorchToolkit';
import { planTensorFlowToolkit } from './tensorFlowToolkit';
import type { ToolkitPlanner } from './toolkitPlanner';

const planners: Record<string, ToolkitPlanner> = {
  customToolkitSettings: planCustomToolkit,
  customMpiSettings: planCustomMpiToolkit,
  horovodSettings: planHorovodToolkit,
  chainerSettings: planChainerToolkit,
  cntkSettings: planCntkToolkit,
  caffeSettings: planCaffeToolkit,
  caffe2Settings: planCaffe2Toolkit,
  pyTorchSettings: planPyTorchToolkit,
  tensorFlowSettings: planTensorFlowToolkit,
};

export function buildLaunchPlan(input: LaunchPlanInput): LaunchPlan {
  if (!Number.isInteger(input.attempt) || input.attempt < 1) {
    throw new ValidationError(
      'attempt',
      `'attempt' must be an integer of at least 1; it is ${input.attempt}.`,
    );
  }
  const context = createLaunchContext(input);
  const toolkit = toolkitOf(context.properties);
  const { perNode, hostSlots } = planners[toolkit](context, context.properties[toolkit] as JsonObject);
  const slots = hostSlots ?? context.nodes.map((node) => Math.max(1, gpusOf(node)));
  const hostFile = mpiHostFile(
    context.nodes.map((node) => node.address),
    slots,
  );
  const nodes: NodeLaunch[] = context.nodes.map((node, nodeIndex) => ({
    nodeId: node.id,
    address: node.address,
    nodeIndex,
    isMaster: nodeIndex === 0,
    files: [{ path: context.paths.mpiHostFile, content: hostFile }],
    jobPreparation: jobPreparation(context, nodeIndex),
    processes: perNode[nodeIndex].length > 0 ? perNode[nodeIndex] : [nodeHost(context, nodeIndex)],
  }));
  return {
    jobName: input.job.name,
    attempt: input.attempt,
    toolType: toolkitTypes[toolkit],
    container: containerOf(context),
    paths: context.paths,
    directories: context.directories,
    secretNames: context.secretNames,
    nodes: nodes.map((node) => (node.jobPreparation ? node : withoutPreparation(node))),
  };
}

function toolkitOf(properties: JsonObject): string {
  const present = Object.keys(planners).filter((name) => properties[name] !== undefined);
  if (present.length !== 1) {
    throw new ValidationError(
      'properties',
      `A job needs exactly one toolkit; it sets ${present.length === 0 ? 'none' : present.join(' and ')}.`,
      'InvalidToolkit',
    );
  }
  return present[0];
}

/**
 * Waits until stopped (SIGTERM ends it at once, with code 0, also as a container's first process, which gets no
 * default signal handling).
 */
export const nodeHostCommandLine = "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait; done";

function nodeHost(context: JobLaunchContext, nodeIndex: number) {
  const files = stdOutErrFileNames.nodeHost(nodeIndex);
  return makeProcess(context, nodeIndex, {
    name: `job_node-${nodeIndex}`,
    role: 'nodeHost',
    commandLine: nodeHostCommandLine,
    stdoutFile: files.stdout,
    stderrFile: files.stderr,
  });
}

function jobPreparation(context: JobLaunchContext, nodeIndex: number) {
  const preparation = context.properties.jobPreparation as JsonObject | undefined;
  if (preparation === undefined) return undefined;
  const files = stdOutErrFileNames.jobPreparation(nodeIndex);
  return makeProcess(context, nodeIndex, {
    name: `job_prep-${nodeIndex}`,
    role: 'jobPreparation',
    commandLine: requiredSetting(preparation, 'commandLine', 'properties.jobPreparation'),
    stdoutFile: files.stdout,
    stderrFile: files.stderr,
  });
}

function withoutPreparation(node: NodeLaunch): NodeLaunch {
  const { jobPreparation: _none, ...rest } = node;
  return rest;
}

function containerOf(context: JobLaunchContext): ContainerLaunch | undefined {
  const settings = context.properties.containerSettings as JsonObject | undefined;
  if (settings === undefined) return undefined;
  const registry = (settings.imageSourceRegistry ?? {}) as JsonObject;
  const image = requiredSetting(registry, 'image', 'properties.containerSettings.imageSourceRegistry');
  const credentials = registry.credentials as JsonObject | undefined;
  const container: ContainerLaunch = { image, useGpus: context.nodes.some((node) => gpusOf(node) > 0) };
  if (typeof registry.serverUrl === 'string') container.registryServerUrl = registry.serverUrl;
  if (typeof credentials?.username === 'string') container.registryUsername = credentials.username;
  if (typeof settings.shmSize === 'string') container.shmSize = settings.shmSize;
  return container;
}
