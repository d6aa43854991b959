// The launch plan of one job attempt: per allocated node, the files to write and the processes to run with their
// command line, working directory and full Batch AI environment. Plain JSON, so an orchestrator can hand it to
// activities and the node agent; `secretNames` says which variables hold secrets and must never be logged.
import type { JobDirectories } from '../jobLayout/jobOutputLayout';
import type { JobNodePaths } from '../jobLayout/nodeFileSystem';
import type { NodeFileSystem } from '../jobLayout/nodeFileSystem';
import type { JsonObject } from '../specValidator';

/** A node of the job's gang, in allocation order: the first is the master (rank 0). */
export interface AllocatedNode {
  id: string;
  /** Host name or IP the job's other nodes reach it at (MPI host file, TF_CONFIG, PyTorch master address). */
  address: string;
  /** GPUs on the node (AZ_BATCHAI_NUM_GPUS); 0 or absent on CPU nodes. */
  gpus?: number;
}

export interface LaunchJob {
  name: string;
  uuid: string;
  /** jobOutputDirectoryPathSegment as recorded at creation. */
  outputDirectoryPathSegment: string;
  /** The stored, validated JobBaseProperties (ResourceRecord.spec), secrets removed. */
  properties: JsonObject;
}

export interface LaunchPlanInput {
  job: LaunchJob;
  attempt: number;
  nodes: AllocatedNode[];
  /** Secret variable name -> plain value, opened by the caller just before launch (Key Vault references resolved). */
  secrets?: Readonly<Record<string, string>>;
  /** The cluster's nodeSetup.mountVolumes, mounted under AZ_BATCHAI_MOUNT_ROOT. */
  clusterMountVolumes?: JsonObject;
  /** Node roots; Batch AI's by default, a local node's work directory when running on this machine. */
  fileSystem?: NodeFileSystem;
  ports?: {
    /** First port of TensorFlow tasks on each address (Batch AI: 2222). */
    tensorFlowBasePort?: number;
    /** torch.distributed rendezvous port on the master (default 29500). */
    pyTorchMasterPort?: number;
  };
}

export type ProcessRole =
  'jobPreparation' | 'master' | 'mpiLauncher' | 'worker' | 'parameterServer' | 'rank' | 'nodeHost';

export interface PlannedProcess {
  /** Unique within the attempt (e.g. 'master', 'wk-1', 'ps-0', 'rank-3', 'job_prep-0'): a task id suffix. */
  name: string;
  role: ProcessRole;
  /** AZ_BATCHAI_TASK_INDEX of the process, when it has one. */
  taskIndex?: number;
  /** Run by `/bin/sh -c` (inside the job container when there is one). */
  commandLine: string;
  workingDirectory: string;
  environment: Record<string, string>;
  /** Files in the attempt's stdouterr directory. */
  stdoutFile: string;
  stderrFile: string;
}

export interface NodeLaunch {
  nodeId: string;
  address: string;
  nodeIndex: number;
  isMaster: boolean;
  /** Files to write on the node before anything runs (the MPI host file). */
  files: { path: string; content: string }[];
  /** The job preparation command; must succeed on every node before the toolkit's processes start. */
  jobPreparation?: PlannedProcess;
  /**
   * The toolkit's processes on this node. A node that runs none itself (an MPI worker: mpirun on the master starts
   * its ranks; a custom toolkit's other nodes) gets one `nodeHost` process instead: it holds the job's mounts,
   * directories and container there while the job runs, and is stopped when the job's processes ended.
   */
  processes: PlannedProcess[];
}

export interface ContainerLaunch {
  image: string;
  /** Registry of a private image; its password is the secret properties.containerSettings...credentials.password. */
  registryServerUrl?: string;
  registryUsername?: string;
  shmSize?: string;
  useGpus: boolean;
}

export interface LaunchPlan {
  jobName: string;
  attempt: number;
  toolType: string;
  container?: ContainerLaunch;
  paths: JobNodePaths;
  directories: JobDirectories;
  /** Variables whose values are secrets, in every process environment that has them: never log these values. */
  secretNames: string[];
  nodes: NodeLaunch[];
}

/** The environment of a process with secret values masked: the only form of it that may be logged. */
export function redactedEnvironment(
  process: PlannedProcess,
  secretNames: readonly string[],
): Record<string, string> {
  const secret = new Set(secretNames);
  return Object.fromEntries(
    Object.entries(process.environment).map(([name, value]) => [name, secret.has(name) ? '***' : value]),
  );
}
