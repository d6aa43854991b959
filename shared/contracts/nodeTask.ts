// Messages the control plane sends to one node's task queue: run a task (a job's process or container on this
// node) or kill one. Defined once here with their validation; the agent and the job lifecycle both use them.
import { ContractError } from './contractError';
import { checkSchemaHeader } from './schemaVersion';
import {
  optionalBoolean,
  optionalEnvironment,
  optionalString,
  requireInteger,
  requireObject,
  requireOneOf,
  requireString,
  type WireObject,
} from './wireFields';

export const nodeTaskSchema = 'batchai.nodeTask';
export const nodeTaskVersion = 1;

/** A blob the agent writes (append blob for stdout/stderr). */
export interface BlobPath {
  container: string;
  name: string;
}

export interface TaskContainer {
  image: string;
  /** Docker's --shm-size, e.g. '8g'. */
  shmSize?: string;
  /** Adds --gpus all. */
  useGpus?: boolean;
}

export interface RunTaskMessage {
  schema: typeof nodeTaskSchema;
  version: 1;
  kind: 'runTask';
  taskId: string;
  jobId: string;
  attempt: number;
  /** Run by `/bin/sh -c` (or as the container's command). */
  commandLine: string;
  /** Relative to the node's work root, or absolute; created if missing. Default: a per-task directory. */
  workingDirectory?: string;
  environment?: Record<string, string>;
  stdout: BlobPath;
  stderr: BlobPath;
  container?: TaskContainer;
  /** Durable orchestration instance that wants the task's events (raised as `task:<taskId>`). */
  replyTo?: string;
}

export interface KillTaskMessage {
  schema: typeof nodeTaskSchema;
  version: 1;
  kind: 'killTask';
  taskId: string;
  signal: 'SIGTERM' | 'SIGKILL';
  reason?: string;
}

export type NodeTaskMessage = RunTaskMessage | KillTaskMessage;

const blobNamePattern = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;

function blobPath(obj: WireObject, key: string, path: string): BlobPath {
  const value = requireObject(obj[key], `${path}.${key}`);
  const container = requireString(value, 'container', `${path}.${key}`, 63);
  if (!blobNamePattern.test(container)) {
    throw new ContractError(`${path}.${key}.container`, `'${container}' is not a valid blob container name.`);
  }
  return { container, name: requireString(value, 'name', `${path}.${key}`, 1024) };
}

function taskContainer(obj: WireObject, path: string): TaskContainer | undefined {
  if (obj.container === undefined) return undefined;
  const value = requireObject(obj.container, `${path}.container`);
  const shmSize = optionalString(value, 'shmSize', `${path}.container`, 32);
  if (shmSize !== undefined && !/^\d+[bkmg]?$/i.test(shmSize)) {
    throw new ContractError(
      `${path}.container.shmSize`,
      `'${shmSize}' is not a size such as '2g' or '512m'.`,
    );
  }
  return {
    image: requireString(value, 'image', `${path}.container`, 1024),
    shmSize,
    useGpus: optionalBoolean(value, 'useGpus', `${path}.container`),
  };
}

export function parseNodeTaskMessage(value: unknown): NodeTaskMessage {
  const obj = checkSchemaHeader(value, nodeTaskSchema, [nodeTaskVersion]);
  const kind = requireOneOf(obj, 'kind', 'message', ['runTask', 'killTask'] as const);
  const taskId = requireString(obj, 'taskId', 'message', 256);
  if (kind === 'killTask') {
    return {
      schema: nodeTaskSchema,
      version: 1,
      kind,
      taskId,
      signal:
        obj.signal === undefined
          ? 'SIGTERM'
          : requireOneOf(obj, 'signal', 'message', ['SIGTERM', 'SIGKILL'] as const),
      reason: optionalString(obj, 'reason', 'message', 1024),
    };
  }
  return {
    schema: nodeTaskSchema,
    version: 1,
    kind,
    taskId,
    jobId: requireString(obj, 'jobId', 'message', 1024),
    attempt: requireInteger(obj, 'attempt', 'message', 1, 10_000),
    commandLine: requireString(obj, 'commandLine', 'message', 32_768),
    workingDirectory: optionalString(obj, 'workingDirectory', 'message', 1024),
    environment: optionalEnvironment(obj, 'environment', 'message'),
    stdout: blobPath(obj, 'stdout', 'message'),
    stderr: blobPath(obj, 'stderr', 'message'),
    container: taskContainer(obj, 'message'),
    replyTo: optionalString(obj, 'replyTo', 'message', 256),
  };
}

/** A task message without its schema header (the sender adds it). */
export type NodeTaskBody = NodeTaskMessage extends infer M
  ? M extends NodeTaskMessage
    ? Omit<M, 'schema' | 'version'>
    : never
  : never;
