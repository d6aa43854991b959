// Launches one phase of a job attempt (job preparation, then the toolkit's processes) on the granted nodes: builds
// the launch plan (toolkit environment, MPI host file, directories), and sends each node its RunTaskMessages with
// stdout/stderr streamed to the job-files container and task events raised back to the lifecycle. Idempotent: task
// ids derive from job, attempt and process, and agents ignore a task id they already ran. The job's secrets
// travel only sealed with the cluster's node data key, bound to the task id (`sealedEnvironment`), and so do the
// account keys of the job's own mount volumes (`jobMounts`, which the agent mounts before the command runs).
import * as df from 'durable-functions';
import type { QueueClient } from '@azure/storage-queue';
import { jobFilesContainer } from '../../shared/config/resourceNames';
import { nodeTaskQueueName } from '../../shared/contracts/nodeQueueNames';
import {
  agentAtLeast,
  gpuSharesSince,
  nodeTaskSchema,
  preparedContainersSince,
  runTaskVersion,
  type RunTaskMessage,
  type TaskJobMounts,
  type TaskPreparation,
  type TaskRegistry,
} from '../../shared/contracts/nodeTask';
import { shellQuote } from '../../shared/domain/shellQuote';
import {
  jobMountSealContext,
  nodeDataKeyContext,
  registrySealContext,
  sealValues,
  taskSealContext,
} from '../../shared/crypto/nodeSecretSealing';
import { encodeQueueMessage } from '../../shared/contracts/wireEncoding';
import { activeTraceContext } from '../../shared/telemetry/traceContextPropagation';
import { jobDirectoryBlobFolder } from '../../shared/adapters/storage/jobFileLocation';
import { gpuShareOf, jobSlotsPerNode } from '../../shared/domain/clusterRules';
import { parseDurationSeconds } from '../../shared/domain/duration';
import { isApiError } from '../../shared/domain/errors';
import { STDOUTERR_DIRECTORY_ID } from '../../shared/domain/jobLayout/jobOutputLayout';
import type { ResourceRecord, Stored } from '../../shared/domain/resourceRecord';
import type { NodeRecord, SchedulingNode } from '../../shared/ports/nodeStore';
import { openSecrets } from '../../shared/domain/services/secretSealing';
import type { JsonObject } from '../../shared/domain/specValidator';
import { buildLaunchPlan } from '../../shared/domain/toolkits/launchPlanBuilder';
import type { LaunchPlan, NodeLaunch, PlannedProcess } from '../../shared/domain/toolkits/launchPlan';
import {
  attemptKey,
  launchJobTasksActivityName,
  type LaunchedTask,
  type LaunchJobTasksInput,
  type LaunchJobTasksResult,
} from './jobLifecycleContract';
import { clusterRefOfKey, jobRefOf } from './jobRecords';
import { mergedHostFile } from './mergedHostFile';
import { getJobServices } from './jobServices';
import { agentMountsOf } from '../compute/poolDefinition';
import { fileServerEndpointsOf, type FileServerEndpoints } from '../compute/fileServerEndpoints';

/** Secret variable name -> value, from the opened `properties.secrets[i].value` entries. */
function secretValues(job: ResourceRecord, opened: Record<string, string>): Record<string, string> {
  const values: Record<string, string> = {};
  const secrets = Array.isArray(job.spec.secrets) ? job.spec.secrets : [];
  secrets.forEach((secret, index) => {
    const value = opened[`properties.secrets[${index}].value`];
    const name = (secret as JsonObject | null)?.name;
    if (typeof name === 'string' && value !== undefined) values[name] = value;
  });
  return values;
}

/**
 * Splits a process's environment: secret variables (and any variable whose value is a secret's value, e.g. a
 * toolkit variable built from one) go sealed; the rest stay readable for diagnosis.
 */
function splitEnvironment(
  environment: Record<string, string>,
  secrets: Record<string, string>,
): { plain: Record<string, string>; secret: Record<string, string> } {
  const values = new Set(Object.values(secrets).filter((value) => value.length > 0));
  const plain: Record<string, string> = {};
  const secret: Record<string, string> = {};
  for (const [name, value] of Object.entries(environment)) {
    const isSecret = name in secrets || [...values].some((v) => value.includes(v));
    (isSecret ? secret : plain)[name] = value;
  }
  return { plain, secret };
}

const jobMountVolumesPath = 'properties.mountVolumes';
const registryPasswordPath = 'properties.containerSettings.imageSourceRegistry.credentials.password';
/** Where `docker login` goes when the job names no registry server: Docker Hub. */
const dockerHubServer = 'https://index.docker.io/v1/';

/** The private registry's sign-in for one task, its password sealed for that task; undefined without one. */
function registryFor(
  plan: LaunchPlan,
  taskId: string,
  opened: Record<string, string>,
  nodeDataKey: Buffer | undefined,
): TaskRegistry | undefined {
  const password = opened[registryPasswordPath];
  const username = plan.container?.registryUsername;
  if (password === undefined || username === undefined) return undefined;
  if (!nodeDataKey) throw new Error('The cluster has no node data key yet.');
  return {
    server: plan.container?.registryServerUrl ?? dockerHubServer,
    username,
    sealedPassword: sealValues(nodeDataKey, { password }, registrySealContext(taskId)),
  };
}

/**
 * The job's mount volumes for one task, under the node's job mount root; an account key goes sealed for that task
 * and that mount only. Undefined when the job has none.
 */
function jobMountsFor(
  job: ResourceRecord,
  root: string,
  taskId: string,
  opened: Record<string, string>,
  nodeDataKey: Buffer | undefined,
  fileServers: FileServerEndpoints,
): TaskJobMounts | undefined {
  const volumes = job.spec.mountVolumes as JsonObject | undefined;
  if (!volumes) return undefined;
  const mounts = agentMountsOf(
    volumes,
    jobMountVolumesPath,
    (path, relativeMountPath) => {
      const accountKey = opened[`${path}.credentials.accountKey`];
      if (accountKey === undefined) return undefined;
      if (!nodeDataKey) throw new Error('The cluster has no node data key yet.');
      return sealValues(nodeDataKey, { accountKey }, jobMountSealContext(taskId, relativeMountPath));
    },
    fileServers,
  );
  return mounts.length > 0 ? { root, volumes: mounts } : undefined;
}

/** The cluster's node data key (created by the cluster monitor before its first node). */
function nodeDataKeyOf(cluster: ResourceRecord | undefined): Buffer {
  const sealed = cluster?.cluster?.sealedNodeDataKey;
  if (!cluster || !sealed) {
    // Transient: the monitor writes it on its first pass, before any node exists (the activity is retried).
    throw new Error('The cluster has no node data key yet.');
  }
  return Buffer.from(getJobServices().secrets.open(sealed, nodeDataKeyContext(cluster.armId)), 'base64');
}

/**
 * What a node needs before a process runs: the job's directories (Batch AI created them; the agent only knows the
 * working directory) and the plan's files (the MPI host file). The agent makes them (idempotent).
 */
function nodePreparation(plan: LaunchPlan, node: NodeLaunch): TaskPreparation {
  return {
    directories: [
      plan.paths.jobTemp,
      plan.paths.sharedJobTemp,
      plan.directories.stdOutErr,
      ...Object.values(plan.directories.outputs),
    ],
    files: node.files.map((file) => ({
      path: file.path,
      content: file.path === plan.paths.mpiHostFile ? mergedHostFile(file.content) : file.content,
    })),
  };
}

/** Ports of a job's tasks per address: a block this wide from the block's first (TensorFlow counts up in it). */
const jobPortBlock = 64;
/** Job port blocks start here and end below Linux's ephemeral ports (32768 on). */
const jobPortsFrom = 10_240;
/** Where a block may start: any port from which a whole block fits. */
const jobPortStarts = 32_768 - jobPortBlock - jobPortsFrom;

/**
 * The job's part of each of its nodes' GPUs on nodes shared by jobs (`gpuShareOf`), undefined where it has them all.
 * The job's variables and MPI slots count that part and the node's agent gives it those devices; a node whose agent
 * is too old to hold a job to its part (it registered a release before `gpuSharesSince`) gives all, as before.
 */
export function jobGpuShares(
  records: readonly (Pick<NodeRecord, 'gpuCount' | 'agentVersion'> | undefined)[],
  slotsPerNode: number,
): (number | undefined)[] {
  return records.map((record) =>
    agentAtLeast(record?.agentVersion, gpuSharesSince)
      ? gpuShareOf(record?.gpuCount ?? 0, slotsPerNode)
      : undefined,
  );
}

/**
 * Ports for a job whose nodes share their address with other jobs (local nodes: all 127.0.0.1; nodes of a cluster
 * with several job slots per node), where Batch AI's fixed ports (PyTorch's master 29500, TensorFlow's from 2222)
 * would have concurrent jobs collide ("Address already in use"): a block starting at any port its job's GUID picks,
 * so jobs meet only where the ports they use overlap (two PyTorch masters share a port with a chance of 1 in
 * 22,464; jobs using n and m ports overlap with about n + m - 1 in 22,464). Each attempt's block starts a block
 * further on, clear of the ports the attempt before used (a listener's port may be held a minute after it closed).
 * Nodes of their own (VMs, one slot) keep Batch AI's ports.
 */
export function sharedAddressPorts(
  addresses: string[],
  jobUuid: string,
  attempt: number,
  slotsPerNode = 1,
): { tensorFlowBasePort: number; pyTorchMasterPort: number } | undefined {
  if (slotsPerNode <= 1 && !addresses.some((address) => address.startsWith('127.'))) return undefined;
  const hash = Number.parseInt(jobUuid.replace(/-/g, '').slice(0, 8), 16) || 0;
  const port = jobPortsFrom + ((hash + attempt * jobPortBlock) % jobPortStarts);
  return { tensorFlowBasePort: port, pyTorchMasterPort: port };
}

/** The first line of a task's shell (see the run message's command line). */
export const taskShellTraps = "trap 'exit 143' TERM; trap 'exit 130' INT";

function failure(code: string, message: string): LaunchJobTasksResult {
  return {
    tasks: [],
    maxWallClockSeconds: 0,
    nodeCheckSeconds: 0,
    roundsPerEpisode: 0,
    failure: { code, message },
  };
}

/** Puts a task message on a node's queue, creating the queue only when it does not exist yet (the rare case). */
async function sendTaskMessage(queue: QueueClient, text: string): Promise<void> {
  try {
    await queue.sendMessage(text);
  } catch (error: unknown) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    await queue.createIfNotExists();
    await queue.sendMessage(text);
  }
}

/**
 * Launches one phase of an attempt. `known`: the job's, cluster's and nodes' records when the caller (the
 * scheduler, at the grant) has just read them.
 */
export async function launchJobTasks(
  input: LaunchJobTasksInput,
  known: { job?: Stored; cluster?: Stored; nodes?: SchedulingNode[] } = {},
): Promise<LaunchJobTasksResult> {
  const services = getJobServices();
  const { lifecycle, attempt, phase } = input;
  const stored = known.job ?? (await services.store.get(jobRefOf(lifecycle.job)));
  const job = stored?.record;
  const runtime = job?.job;
  if (!job || !runtime || runtime.uuid !== lifecycle.jobUuid) {
    return failure('JobNotFound', 'The job was deleted before it could start.');
  }
  // The job's trace (its submission's), else the invocation's (this activity's, or the scheduler activity's that
  // grants and launches at once): the node agents report the tasks in it, so a job's trace goes on to its nodes
  // and back, whichever activity launched them.
  const trace = runtime.trace ?? activeTraceContext();
  if (runtime.attempts.length !== attempt) {
    return failure('StaleAttempt', `Attempt ${attempt} is not the job's current attempt.`);
  }
  const maxWallClockSeconds = parseDurationSeconds(
    'properties.constraints.maxWallClockTime',
    String((job.spec.constraints as JsonObject | undefined)?.maxWallClockTime ?? 'P7D'),
  );
  const cluster = known.cluster ?? (await services.store.get(clusterRefOfKey(lifecycle.clusterKey)));
  const clusterMountVolumes = (cluster?.record.spec.nodeSetup as JsonObject | undefined)?.mountVolumes as
    JsonObject | undefined;
  const nodeIds = runtime.attempts[attempt - 1].nodeIds;
  const records = await Promise.all(
    nodeIds.map(
      (id) => known.nodes?.find((node) => node.nodeId === id) ?? services.nodes.get(lifecycle.clusterKey, id),
    ),
  );
  const slotsPerNode = cluster ? jobSlotsPerNode(cluster.record.spec) : 1;
  const gpuShares = jobGpuShares(records, slotsPerNode);
  let plan: LaunchPlan;
  let stdOutErrFolder: string;
  const opened = openSecrets(services.secrets, job);
  const secrets = secretValues(job, opened);
  try {
    plan = buildLaunchPlan({
      job: {
        name: job.ref.name,
        uuid: runtime.uuid,
        outputDirectoryPathSegment: String(job.status.jobOutputDirectoryPathSegment),
        properties: job.spec,
      },
      attempt,
      nodes: nodeIds.map((id, index) => ({
        id,
        address: services.nodeAddress(id, records[index]?.remoteLogin?.ipAddress),
        gpus: gpuShares[index] ?? records[index]?.gpuCount ?? 0,
      })),
      secrets,
      clusterMountVolumes,
      fileSystem: services.nodeFileSystem(lifecycle.clusterKey),
      ports: sharedAddressPorts(
        nodeIds.map((id, index) => services.nodeAddress(id, records[index]?.remoteLogin?.ipAddress)),
        runtime.uuid,
        attempt,
        slotsPerNode,
      ),
    });
    stdOutErrFolder = jobDirectoryBlobFolder(job, STDOUTERR_DIRECTORY_ID, attempt, clusterMountVolumes);
  } catch (error: unknown) {
    // Bad settings never get better by retrying: the job fails with the reason (naming the field).
    if (isApiError(error)) return failure('JobLaunchFailed', error.message);
    throw error;
  }
  const nodeSecrets = Object.keys(opened).some(
    (path) => path.startsWith(`${jobMountVolumesPath}.`) || path === registryPasswordPath,
  );
  const nodeDataKey =
    Object.keys(secrets).length > 0 || nodeSecrets ? nodeDataKeyOf(cluster?.record) : undefined;
  const fileServers = await fileServerEndpointsOf(
    services.store,
    job.spec.mountVolumes as JsonObject | undefined,
  );
  const preparedKept = records.every((record) => agentAtLeast(record?.agentVersion, preparedContainersSince));
  const tasks: LaunchedTask[] = [];
  for (const node of plan.nodes) {
    const processes: PlannedProcess[] =
      phase === 'preparation' ? (node.jobPreparation ? [node.jobPreparation] : []) : node.processes;
    const queue = services.queues.getQueueClient(nodeTaskQueueName(lifecycle.clusterKey, node.nodeId));
    for (const process of processes) {
      // A node host, and a TensorFlow parameter server (it serves until it is stopped: `server.join()` in Batch
      // AI's recipes, which ended the job when its workers were done), are not waited for: they are stopped once
      // the job's other processes ended, and only a failure of theirs before that fails the attempt.
      const holds = process.role === 'nodeHost' || process.role === 'parameterServer';
      const task: LaunchedTask = {
        taskId: `${runtime.uuid}-${attempt}-${process.name}`,
        nodeId: node.nodeId,
        name: process.name,
        isMaster: node.isMaster && process.role !== 'jobPreparation' && !holds,
        stdout: { container: jobFilesContainer, name: `${stdOutErrFolder}/${process.stdoutFile}` },
        stderr: { container: jobFilesContainer, name: `${stdOutErrFolder}/${process.stderrFile}` },
        // The last phase's only process on its node: its own exit hands the node back to the scheduler. One that
        // ends when stopped, not by itself, gives its node back with the attempt's end.
        releasesNode: phase === 'main' && processes.length === 1 && !holds ? true : undefined,
        ...(holds ? { hostsNode: true } : {}),
      };
      const environment = splitEnvironment(process.environment, secrets);
      const sealedEnvironment =
        nodeDataKey && Object.keys(environment.secret).length > 0
          ? sealValues(nodeDataKey, environment.secret, taskSealContext(task.taskId))
          : undefined;
      const jobMounts = jobMountsFor(
        job,
        plan.paths.jobMountRoot,
        task.taskId,
        opened,
        nodeDataKey,
        fileServers,
      );
      const message: RunTaskMessage = {
        schema: nodeTaskSchema,
        version: 3, // the lowest that carries it all, set below
        kind: 'runTask',
        taskId: task.taskId,
        jobId: job.armId,
        attempt,
        // Separate lines, so the user's command line keeps its own operators and exit code. The shell waits for
        // its program through a SIGTERM (a stop: terminate, wall clock, eviction): dash dies of it at once, the
        // task counted as ended and what it started got only the agent's leftover grace (3 s), not the 30 s to
        // save a checkpoint. A trap set to a command is reset in the programs it starts, so they get the signal;
        // the shell exits with 143 (130 for SIGINT) once its running program ended, running nothing after it.
        commandLine: [
          taskShellTraps,
          `cd ${shellQuote(process.workingDirectory)} || exit 125`,
          process.commandLine,
        ].join('\n'),
        prepare: nodePreparation(plan, node),
        jobMounts,
        workingDirectory: process.workingDirectory,
        environment: environment.plain,
        sealedEnvironment,
        stdout: task.stdout,
        stderr: task.stderr,
        container: plan.container
          ? {
              image: plan.container.image,
              registry: registryFor(plan, task.taskId, opened, nodeDataKey),
              shmSize: plan.container.shmSize,
              useGpus: plan.container.useGpus,
              // The preparation and the processes after it share what it installed, as in one container.
              // Only when every node's agent keeps it (an older one refuses the message: its task would never end).
              ...(node.jobPreparation && preparedKept
                ? { prepared: phase === 'preparation' ? 'keep' : 'use' }
                : {}),
            }
          : undefined,
        gpus: gpuShares[node.nodeIndex],
        replyTo: input.instanceId,
        releasesNodeOf: task.releasesNode ? attemptKey(runtime.uuid, attempt) : undefined,
        readsTasksExited: true,
        ...trace,
      };
      message.version = runTaskVersion(message);
      await sendTaskMessage(queue, encodeQueueMessage(message));
      tasks.push(task);
    }
  }
  services.pool.wakeNodes?.(lifecycle.clusterKey, [...new Set(tasks.map((task) => task.nodeId))]);
  return {
    tasks,
    maxWallClockSeconds,
    nodeCheckSeconds: services.config.nodeCheckSeconds,
    roundsPerEpisode: services.config.watchRoundsPerEpisode,
  };
}

df.app.activity(launchJobTasksActivityName, {
  handler: (input: LaunchJobTasksInput) => launchJobTasks(input),
});
