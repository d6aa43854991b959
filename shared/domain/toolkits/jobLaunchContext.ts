// What every toolkit planner needs for one attempt: the node paths, the job's directories, the Batch AI environment
// of each node (AZ_BATCHAI_*, AZ_BATCH_HOST_LIST, input/output directories, user variables, secrets) and a way
// to make a process with its task variables and Batch AI's `$AZ_BATCHAI_*` substitution in its command line.
import { ValidationError } from '../errors';
import { jobDirectories, type JobDirectories } from '../jobLayout/jobOutputLayout';
import {
  batchAiNodeFileSystem,
  jobNodePaths,
  jobPathVariables,
  type JobNodePaths,
} from '../jobLayout/nodeFileSystem';
import { expandVariables } from '../jobLayout/variableExpansion';
import { serviceVariableConflict } from '../jobLayout/serviceVariables';
import type { JsonObject } from '../specValidator';
import type { AllocatedNode, LaunchPlanInput, PlannedProcess, ProcessRole } from './launchPlan';

export interface JobLaunchContext {
  input: LaunchPlanInput;
  properties: JsonObject;
  nodes: AllocatedNode[];
  paths: JobNodePaths;
  directories: JobDirectories;
  secretNames: string[];
  /** Environment of each node, by node index (before task variables). */
  nodeEnvironments: Record<string, string>[];
}

export interface ProcessSpec {
  name: string;
  role: ProcessRole;
  taskIndex?: number;
  commandLine: string;
  /** Task variables added to the node's environment (TF_CONFIG, RANK, ...). */
  variables?: Record<string, string>;
  stdoutFile: string;
  stderrFile: string;
}

const variableName = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function createLaunchContext(input: LaunchPlanInput): JobLaunchContext {
  const { job, nodes } = input;
  const properties = job.properties;
  const nodeCount = properties.nodeCount;
  if (!Array.isArray(nodes) || nodes.length !== nodeCount) {
    throw new ValidationError(
      'nodes',
      `The job needs ${String(nodeCount)} node(s) (properties.nodeCount); ${Array.isArray(nodes) ? nodes.length : 0} were allocated.`,
    );
  }
  nodes.forEach((node, index) => {
    if (!node.id) throw new ValidationError(`nodes[${index}].id`, `'nodes[${index}].id' must be set.`);
    if (!node.address)
      throw new ValidationError(`nodes[${index}].address`, `'nodes[${index}].address' must be set.`);
  });
  const paths = jobNodePaths(input.fileSystem ?? batchAiNodeFileSystem, job.uuid);
  const pathVariables = jobPathVariables(paths);
  const directories = jobDirectories(
    properties,
    job.outputDirectoryPathSegment,
    input.attempt,
    pathVariables,
  );
  // Environments are maps without a prototype: a name is a key whatever it is (submissions refuse '__proto__').
  const shared: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, {
    ...pathVariables,
    AZ_BATCHAI_JOB_NAME: job.name,
    AZ_BATCHAI_STDOUTERR_DIR: directories.stdOutErr,
    AZ_BATCH_HOST_LIST: nodes.map((node) => node.address).join(','),
    AZ_BATCHAI_NUM_GPUS_PER_NODE: String(gpusOf(nodes[0])),
  });
  for (const [id, path] of Object.entries(directories.inputs)) shared[`AZ_BATCHAI_INPUT_${id}`] = path;
  for (const [id, path] of Object.entries(directories.outputs)) shared[`AZ_BATCHAI_OUTPUT_${id}`] = path;
  for (const [id, path] of Object.entries(directories.previousOutputs))
    shared[`AZ_BATCHAI_PREV_OUTPUT_${id}`] = path;

  const user: Record<string, string> = Object.create(null) as Record<string, string>;
  objects(properties.environmentVariables).forEach((variable, index) => {
    const field = `properties.environmentVariables[${index}]`;
    const name = checkUserName(`${field}.name`, variable.name, Object.keys(directories.inputs));
    // Batch AI let user variables refer to its own ($AZ_BATCHAI_INPUT_DATA/...): environment values are not shell-expanded.
    user[name] = expandVariables(String(variable.value ?? ''), shared);
  });
  const secrets: Record<string, string> = Object.create(null) as Record<string, string>;
  objects(properties.secrets).forEach((secret, index) => {
    const field = `properties.secrets[${index}]`;
    const name = checkUserName(`${field}.name`, secret.name, Object.keys(directories.inputs));
    const value = input.secrets && Object.hasOwn(input.secrets, name) ? input.secrets[name] : undefined;
    if (value === undefined)
      throw new ValidationError(`${field}.value`, `No value was given for the secret variable '${name}'.`);
    secrets[name] = value;
  });
  const nodeEnvironments = nodes.map((node) => ({
    ...shared,
    AZ_BATCHAI_NUM_GPUS: String(gpusOf(node)),
    ...user,
    ...secrets,
  }));
  return {
    input,
    properties,
    nodes,
    paths,
    directories,
    secretNames: Object.keys(secrets).sort(),
    nodeEnvironments,
  };
}

/** A process on node `nodeIndex`: its environment and its command line with known, non-secret references expanded. */
export function makeProcess(context: JobLaunchContext, nodeIndex: number, spec: ProcessSpec): PlannedProcess {
  const environment = { ...context.nodeEnvironments[nodeIndex], ...spec.variables };
  if (spec.taskIndex !== undefined) environment.AZ_BATCHAI_TASK_INDEX = String(spec.taskIndex);
  // Secret values never go into a command line (it is shown in process lists and logs): the shell expands those.
  const visible = Object.fromEntries(
    Object.entries(environment).filter(([name]) => !context.secretNames.includes(name)),
  );
  return {
    name: spec.name,
    role: spec.role,
    ...(spec.taskIndex === undefined ? {} : { taskIndex: spec.taskIndex }),
    commandLine: expandVariables(spec.commandLine, visible, { shellSafeOnly: true }),
    workingDirectory: context.paths.jobTemp,
    environment,
    stdoutFile: spec.stdoutFile,
    stderrFile: spec.stderrFile,
  };
}

export function gpusOf(node: AllocatedNode): number {
  return typeof node.gpus === 'number' && node.gpus > 0 ? Math.floor(node.gpus) : 0;
}

function checkUserName(field: string, name: unknown, inputDirectoryIds: Iterable<string>): string {
  if (typeof name !== 'string' || !variableName.test(name)) {
    throw new ValidationError(field, `'${field}' must be a valid environment variable name.`);
  }
  const conflict = serviceVariableConflict(name, inputDirectoryIds);
  if (conflict) throw new ValidationError(field, conflict);
  return name;
}

function objects(value: unknown): JsonObject[] {
  return Array.isArray(value)
    ? (value.filter((v) => typeof v === 'object' && v !== null) as JsonObject[])
    : [];
}
