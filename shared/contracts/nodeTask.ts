// Messages the control plane sends to one node's task queue: run a task (a job's process or container on this
// node) or kill one. Defined once here with their validation; the agent and the job lifecycle both use them.
import { parseAgentMount, type AgentMount } from './agentConfig';
import { ContractError } from './contractError';
import { checkSchemaHeader } from './schemaVersion';
import {
  optionalBoolean,
  optionalEnvironment,
  optionalSealed,
  optionalString,
  optionalStringArray,
  rejectPlainSecrets,
  requireInteger,
  requireObject,
  requireOneOf,
  requireString,
  type WireObject,
} from './wireFields';

export const nodeTaskSchema = 'batchai.nodeTask';
/**
 * Version 2: secret values travel in `sealedEnvironment` (version 1 readers would drop them silently). Version 3:
 * `prepare` (a version 2 reader would run the command without the job's directories). Version 4: `jobMounts` (a
 * version 3 reader would run the command without the job's mounts); a message without them stays version 3, so
 * agents of the previous release still run it. Version 5: a container's `prepared` (a version 4 reader would run the
 * job's processes without what its preparation installed). Version 6: `gpus` (a version 5 reader would give the
 * task every GPU of a node it shares with other jobs). The trace context (`traceParent`, `traceState`) needs no
 * version: a reader that skips it runs the task the same, only outside the job's trace.
 */
export const nodeTaskVersion = 6;
type NodeTaskVersion = 1 | 2 | 3 | 4 | 5 | 6;

/**
 * The first node agent release that reads version 5 (`container.prepared`): nodes made before an upgrade keep
 * their agent, so a launch sends it only to nodes that registered this release or a later one.
 */
export const preparedContainersSince = '1.1.0';

/** The first node agent release that reads version 6 (`gpus`): older nodes' jobs see all of the node's GPUs. */
export const gpuSharesSince = '1.4.0';

/** Whether an agent of `version` (from its registration; none: a release before versions were compared) is at `since`. */
export function agentAtLeast(version: string | undefined, since: string): boolean {
  if (!version) return false;
  const parts = (text: string): number[] => text.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const [have, want] = [parts(version), parts(since)];
  for (let i = 0; i < Math.max(have.length, want.length); i++) {
    if ((have[i] ?? 0) !== (want[i] ?? 0)) return (have[i] ?? 0) > (want[i] ?? 0);
  }
  return true;
}

/** Kill messages hold nothing newer than version 3: agents of the previous release still take them. */
export const killTaskVersion = 3;

/** The version a run message needs: the lowest that carries everything it holds. */
export function runTaskVersion(message: {
  jobMounts?: TaskJobMounts;
  container?: TaskContainer;
  gpus?: number;
}): NodeTaskVersion {
  if (message.gpus !== undefined) return 6;
  if (message.container?.prepared) return 5;
  return message.jobMounts || message.container?.registry ? 4 : 3;
}

/** Plain-text secret fields a sender might be tempted to add: refused by the reader. */
const plainSecretFields = ['secrets', 'secretEnvironment', 'secretValues'] as const;

/** A blob the agent writes (append blob for stdout/stderr). */
export interface BlobPath {
  container: string;
  name: string;
}

/** A private registry's sign-in for pulling the image (version 4). */
export interface TaskRegistry {
  /** e.g. `myregistry.azurecr.io`; Docker Hub when the job named none. */
  server: string;
  username: string;
  /** `{"password": ...}` sealed with the node data key, bound to `registrySealContext(taskId)`. */
  sealedPassword: string;
}

export interface TaskContainer {
  image: string;
  registry?: TaskRegistry;
  /** Docker's --shm-size, e.g. '8g'. */
  shmSize?: string;
  /** Adds --gpus all (or the task's share of the node's GPUs: `gpus`). */
  useGpus?: boolean;
  /**
   * Version 5. Batch AI ran a job's preparation and its processes in one container per node, so the processes
   * found what the preparation installed. `keep`, on the preparation's task: once its command exited 0, the node
   * keeps its container's file system as a local image of that job attempt. `use`, on the processes after it: they
   * start from that image (`image` still names the job's image); the node removes it once no task uses it.
   */
  prepared?: PreparedContainer;
}

export type PreparedContainer = 'keep' | 'use';
const preparedContainers: readonly PreparedContainer[] = ['keep', 'use'];

/** The job's own mount volumes (`job.mountVolumes`), mounted before the command runs (version 4). */
export interface TaskJobMounts {
  /** AZ_BATCHAI_JOB_MOUNT_ROOT on this node (absolute): each volume is mounted at `<root>/<relativeMountPath>`. */
  root: string;
  /** Credentials sealed with the node data key, bound to `jobMountSealContext(taskId, relativeMountPath)`. */
  volumes: AgentMount[];
}

export interface RunTaskMessage {
  schema: typeof nodeTaskSchema;
  version: NodeTaskVersion;
  kind: 'runTask';
  taskId: string;
  jobId: string;
  attempt: number;
  /** Run by `/bin/sh -c` (or as the container's command). */
  commandLine: string;
  /** Relative to the node's work root, or absolute; created if missing. Default: a per-task directory. */
  workingDirectory?: string;
  /** Variables without secrets (visible to anyone who can read the queue). */
  environment?: Record<string, string>;
  /**
   * Secret variables: JSON of name -> value sealed with the cluster's node data key, bound to `task:<taskId>`
   * (`shared/crypto/nodeSecretSealing.ts`). The agent opens it in memory only, into the process environment.
   */
  sealedEnvironment?: string;
  stdout: BlobPath;
  stderr: BlobPath;
  container?: TaskContainer;
  /** Durable orchestration instance that wants the task's events (raised as `task:<taskId>`). */
  replyTo?: string;
  /**
   * `<job GUID>/<attempt>` when this task is the node's only part in the last phase of that job attempt: once it
   * exits by itself, the node can be granted to the next job before the attempt is recorded as ended. The agent
   * echoes it in `taskExited`.
   */
  releasesNodeOf?: string;
  /**
   * What the node needs before the command runs (the job's directories, which Batch AI created, and the plan's
   * files such as the MPI host file): made by the agent itself on the node, or by the container's shell first.
   */
  prepare?: TaskPreparation;
  /** Version 4: the job's mount volumes, mounted on VMs (directories standing for them on local nodes). */
  jobMounts?: TaskJobMounts;
  /**
   * Version 6: how many of the node's GPUs the task's job attempt may use, when the node runs other jobs beside it
   * (`jobSlotsPerNode`). The agent gives the attempt that many of its GPUs, those held by the fewest jobs first
   * (`CUDA_VISIBLE_DEVICES`; a container gets only those devices); the attempt's tasks on the node share them.
   * Absent: every GPU of the node.
   */
  gpus?: number;
  /**
   * The control plane that sent this reads node events of version 3 (`tasksExited`: several tasks' exits in one
   * event). Any version: an agent that skips it sends each exit alone, and an agent that has it sends exits together
   * only while the newest run message it got says so (a control plane rolled back to a release without it does not).
   */
  readsTasksExited?: boolean;
  /**
   * W3C trace context of the invocation that sent the task (any version; older agents skip it): the agent's
   * telemetry for the task and the node events about it carry it, so they join the job's distributed trace.
   */
  traceParent?: string;
  traceState?: string;
}

/** The W3C trace context a task message or a node event carries (both fields optional on the wire). */
export interface WireTraceContext {
  traceParent?: string;
  traceState?: string;
}

const traceParentShape = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-[0-9a-f-]*)?$/;

/**
 * The trace context of a message: a malformed one is dropped, never refused (W3C Trace Context: a bad header is
 * ignored), so telemetry can never stop a task or an event.
 */
export function optionalTraceContext(obj: WireObject): WireTraceContext {
  const parent = obj.traceParent;
  if (typeof parent !== 'string' || parent.length > 256 || !traceParentShape.test(parent)) return {};
  const state = obj.traceState;
  return typeof state === 'string' && state.length > 0 && state.length <= 512
    ? { traceParent: parent, traceState: state }
    : { traceParent: parent };
}

export interface TaskPreparation {
  /** Created with their parents when missing. */
  directories: string[];
  /** Written (replaced) after the directories exist. */
  files: { path: string; content: string }[];
}

/** Why a task is killed with its node: the node is removed by a scale down with this nodeDeallocationOption. */
export type NodeRemoval = 'requeue' | 'terminate';
export const nodeRemovals: readonly NodeRemoval[] = ['requeue', 'terminate'];

export interface KillTaskMessage {
  schema: typeof nodeTaskSchema;
  version: NodeTaskVersion;
  kind: 'killTask';
  taskId: string;
  signal: 'SIGTERM' | 'SIGKILL';
  reason?: string;
  /** Set by the cluster monitor when the node leaves the cluster: reported back with the exit (TaskExited). */
  nodeRemoval?: NodeRemoval;
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

function taskPreparation(obj: WireObject, path: string): TaskPreparation | undefined {
  if (obj.prepare === undefined) return undefined;
  const value = requireObject(obj.prepare, `${path}.prepare`);
  const directories = optionalStringArray(value, 'directories', `${path}.prepare`) ?? [];
  const files = value.files === undefined ? [] : value.files;
  if (!Array.isArray(files) || files.length > 100) {
    throw new ContractError(`${path}.prepare.files`, 'must be an array of at most 100 files.');
  }
  return {
    directories,
    files: files.map((file: unknown, i) => {
      const entry = requireObject(file, `${path}.prepare.files[${i}]`);
      const content = entry.content;
      if (typeof content !== 'string' || content.length > 1024 * 1024) {
        throw new ContractError(`${path}.prepare.files[${i}].content`, 'must be a string of at most 1 MiB.');
      }
      return { path: requireString(entry, 'path', `${path}.prepare.files[${i}]`, 1024), content };
    }),
  };
}

function taskJobMounts(obj: WireObject, path: string): TaskJobMounts | undefined {
  if (obj.jobMounts === undefined) return undefined;
  if ((obj.version as number) < 4) {
    throw new ContractError(`${path}.jobMounts`, 'needs message version 4.');
  }
  const value = requireObject(obj.jobMounts, `${path}.jobMounts`);
  const root = requireString(value, 'root', `${path}.jobMounts`, 1024);
  if (!root.startsWith('/') || root.split('/').includes('..')) {
    throw new ContractError(`${path}.jobMounts.root`, `'${root}' must be an absolute path without '..'.`);
  }
  const volumes = value.volumes;
  if (!Array.isArray(volumes) || volumes.length === 0 || volumes.length > 64) {
    throw new ContractError(`${path}.jobMounts.volumes`, 'must be an array of 1 to 64 mounts.');
  }
  const parsed = volumes.map((volume: unknown, i) =>
    parseAgentMount(volume, `${path}.jobMounts.volumes[${i}]`),
  );
  const paths = new Set(parsed.map((volume) => volume.relativeMountPath));
  if (paths.size !== parsed.length) {
    throw new ContractError(
      `${path}.jobMounts.volumes`,
      'must not mount two volumes at one relativeMountPath.',
    );
  }
  return { root, volumes: parsed };
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
  rejectPlainSecrets(value, `${path}.container`, ['password', 'registryPassword']);
  let registry: TaskRegistry | undefined;
  if (value.registry !== undefined) {
    if ((obj.version as number) < 4) {
      throw new ContractError(`${path}.container.registry`, 'needs message version 4.');
    }
    const entry = requireObject(value.registry, `${path}.container.registry`);
    rejectPlainSecrets(entry, `${path}.container.registry`, ['password']);
    const sealedPassword = optionalSealed(entry, 'sealedPassword', `${path}.container.registry`);
    if (!sealedPassword) throw new ContractError(`${path}.container.registry.sealedPassword`, 'is required.');
    registry = {
      server: requireString(entry, 'server', `${path}.container.registry`, 1024),
      username: requireString(entry, 'username', `${path}.container.registry`, 1024),
      sealedPassword,
    };
  }
  let prepared: PreparedContainer | undefined;
  if (value.prepared !== undefined) {
    if ((obj.version as number) < 5)
      throw new ContractError(`${path}.container.prepared`, 'needs message version 5.');
    prepared = requireOneOf(value, 'prepared', `${path}.container`, preparedContainers);
  }
  return {
    image: requireString(value, 'image', `${path}.container`, 1024),
    ...(registry ? { registry } : {}),
    shmSize,
    useGpus: optionalBoolean(value, 'useGpus', `${path}.container`),
    ...(prepared ? { prepared } : {}),
  };
}

export function parseNodeTaskMessage(value: unknown): NodeTaskMessage {
  const obj = checkSchemaHeader(value, nodeTaskSchema, [1, 2, 3, 4, 5, nodeTaskVersion]);
  rejectPlainSecrets(obj, 'message', plainSecretFields);
  const kind = requireOneOf(obj, 'kind', 'message', ['runTask', 'killTask'] as const);
  const taskId = requireString(obj, 'taskId', 'message', 256);
  if (kind === 'killTask') {
    return {
      schema: nodeTaskSchema,
      version: obj.version as NodeTaskVersion,
      kind,
      taskId,
      signal:
        obj.signal === undefined
          ? 'SIGTERM'
          : requireOneOf(obj, 'signal', 'message', ['SIGTERM', 'SIGKILL'] as const),
      reason: optionalString(obj, 'reason', 'message', 1024),
      nodeRemoval:
        obj.nodeRemoval === undefined ? undefined : requireOneOf(obj, 'nodeRemoval', 'message', nodeRemovals),
    };
  }
  return {
    schema: nodeTaskSchema,
    version: obj.version as NodeTaskVersion,
    kind,
    taskId,
    jobId: requireString(obj, 'jobId', 'message', 1024),
    attempt: requireInteger(obj, 'attempt', 'message', 1, 10_000),
    commandLine: requireString(obj, 'commandLine', 'message', 32_768),
    workingDirectory: optionalString(obj, 'workingDirectory', 'message', 1024),
    environment: optionalEnvironment(obj, 'environment', 'message'),
    sealedEnvironment: optionalSealed(obj, 'sealedEnvironment', 'message'),
    stdout: blobPath(obj, 'stdout', 'message'),
    stderr: blobPath(obj, 'stderr', 'message'),
    container: taskContainer(obj, 'message'),
    replyTo: optionalString(obj, 'replyTo', 'message', 256),
    releasesNodeOf: optionalString(obj, 'releasesNodeOf', 'message', 256),
    prepare: taskPreparation(obj, 'message'),
    jobMounts: taskJobMounts(obj, 'message'),
    ...taskGpus(obj, 'message'),
    ...(obj.readsTasksExited === undefined
      ? {}
      : { readsTasksExited: optionalBoolean(obj, 'readsTasksExited', 'message') }),
    ...optionalTraceContext(obj),
  };
}

function taskGpus(obj: WireObject, path: string): { gpus?: number } {
  if (obj.gpus === undefined) return {};
  if ((obj.version as number) < 6) throw new ContractError(`${path}.gpus`, 'needs message version 6.');
  return { gpus: requireInteger(obj, 'gpus', path, 1, 64) };
}

/** A task message without its schema header (the sender adds it). */
export type NodeTaskBody = NodeTaskMessage extends infer M
  ? M extends NodeTaskMessage
    ? Omit<M, 'schema' | 'version'>
    : never
  : never;

/**
 * What a reader needs to answer a run message it refused (a newer version, a field it does not know): the task and
 * where its exit goes. Best effort on an unvalidated value; undefined unless it names a run task plainly.
 */
export function refusedRunTaskOf(
  value: unknown,
): { taskId: string; jobId: string; attempt: number; replyTo?: string } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const o = value as Record<string, unknown>;
  const text = (v: unknown, max: number): string | undefined =>
    typeof v === 'string' && v.length > 0 && v.length <= max ? v : undefined;
  const taskId = text(o.taskId, 256);
  const jobId = text(o.jobId, 1024);
  const attempt =
    typeof o.attempt === 'number' && Number.isInteger(o.attempt) && o.attempt >= 1 ? o.attempt : 0;
  if (o.schema !== nodeTaskSchema || o.kind !== 'runTask' || !taskId || !jobId || !attempt) return undefined;
  return { taskId, jobId, attempt, replyTo: text(o.replyTo, 256) };
}
