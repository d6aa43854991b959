// The node agent's configuration: what the control plane gives a node at creation (a JSON file for local nodes,
// cloud-init custom data on VMs). It holds no secrets on VMs: storage is reached with a managed identity, and the
// node data key that opens the sealed secrets is read from Key Vault with that identity. Version 2 added sealing.
import { ContractError } from './contractError';
import { checkSchemaHeader } from './schemaVersion';
import {
  optionalEnvironment,
  optionalInteger,
  optionalSealed,
  optionalString,
  rejectPlainSecrets,
  requireInteger,
  requireObject,
  requireOneOf,
  requireString,
  type WireObject,
} from './wireFields';

export const agentConfigSchema = 'batchai.agentConfig';
export const agentConfigVersion = 2;

/** Plain-text secret fields refused in a mount or the setup task (they travel only sealed). */
const plainMountSecrets = ['accountKey', 'credentials', 'password', 'sasKey'] as const;
const plainSetupSecrets = ['secrets', 'secretEnvironment'] as const;

export type AgentMount =
  | {
      kind: 'azureFileShare';
      relativeMountPath: string;
      azureFileUrl: string;
      accountName: string;
      fileMode?: string;
      directoryMode?: string;
      /** `{"accountKey": ...}` sealed with the node data key, bound to the mount (mountSealContext). */
      sealedCredentials?: string;
    }
  | {
      kind: 'azureBlob';
      relativeMountPath: string;
      accountName: string;
      containerName: string;
      mountOptions?: string;
      /** `{"accountKey": ...}` sealed with the node data key; without it blobfuse2 uses the managed identity. */
      sealedCredentials?: string;
    }
  | {
      kind: 'nfs';
      relativeMountPath: string;
      /** The file server's internal IP address. */
      server: string;
      /** The path on the server: its mount point, joined with the volume's sourceDirectory. */
      sourceDirectory?: string;
      mountOptions?: string;
      /** Local nodes: the directory of this machine that stands for `sourceDirectory` on the server. */
      localExport?: string;
      /** Why the file server cannot be mounted (it no longer exists, or is not provisioned): the mount fails so. */
      unavailable?: string;
    }
  | { kind: 'unmanaged'; relativeMountPath: string; mountCommand: string };

/** Node performance counters sent to the cluster's Application Insights (nodeSetup.performanceCountersSettings). */
export interface AgentPerformanceCounters {
  /** Application Insights ingestion endpoint (https, ending with '/'); items go to `<endpoint>v2/track`. */
  ingestionEndpoint: string;
  /** `{"instrumentationKey": ...}` sealed with the node data key, bound to performanceCountersSealContext. */
  sealedInstrumentationKey: string;
  intervalMs: number;
  /** PEM trusted for the ingestion endpoint only (a local fake). */
  ingestionCertificate?: string;
  /**
   * Client id of the managed identity whose Entra ID token (from the metadata service) authenticates the items, for
   * a component that refuses the key alone (local authentication disabled; the identity holds Monitoring Metrics
   * Publisher on it). Without it, or when the component refuses the token, the instrumentation key alone is used.
   */
  managedIdentityClientId?: string;
}

export interface AgentStorageSettings {
  /** Local nodes only (the Azurite development account); refused in 'vm' mode. */
  connectionString?: string;
  blobEndpoint?: string;
  queueEndpoint?: string;
  /** Client id of the user-assigned managed identity the VM uses for Storage. */
  managedIdentityClientId?: string;
}

/** Where a VM node reads its node data key: a Key Vault secret (base64), with the node's managed identity. */
export interface NodeDataKeySource {
  keyVaultUrl: string;
  secretName: string;
}

export interface AgentConfig {
  schema: typeof agentConfigSchema;
  version: 1 | 2;
  /** 'local': a process on this machine, mounts are directories; 'vm': a scale set VM, mounts are real. */
  mode: 'local' | 'vm';
  /** Set for local nodes; on VMs the agent takes the VM name from the Instance Metadata Service. */
  nodeId?: string;
  clusterKey: string;
  vmSize: string;
  cpuCount: number;
  gpuCount: number;
  /** The node's own directory: task working dirs, mounts (local), state. */
  workRoot: string;
  /**
   * Local nodes: the cluster's mount root ($AZ_BATCHAI_MOUNT_ROOT), one directory its local nodes share, where
   * jobs find the cluster's mounts; default `<workRoot>/mounts`.
   */
  localMountRoot?: string;
  /**
   * Local nodes: the directory standing for the storage accounts' file shares and blob containers, one directory
   * each (`files/<account>/<share>`, `blobs/<account>/<container>`) that every local node and job mounting it shares
   * and that outlives them; without it, such a mount is a directory of its own.
   */
  localStorageRoot?: string;
  storage: AgentStorageSettings;
  nodeEventsQueue: string;
  /** Container of node setup output: `<clusterTag>/<nodeId>/stdout.txt` and `stderr.txt`. */
  setupOutputContainer: string;
  heartbeatIntervalMs: number;
  /**
   * VMs: how long the node may go without any node event getting through before its agent takes it for lost and
   * stops its running tasks (SIGTERM, then SIGKILL after a grace of a quarter of this, at most 10 s), taking no
   * task until an event gets through again. The control plane takes a node for lost only after its own lost-after
   * time (twice this), so a VM cut off from it has stopped its job's processes before the job runs again elsewhere.
   * Unset: no lease (local nodes, whose processes the local pool stops itself before their jobs run again).
   */
  contactLeaseMs?: number;
  taskPollIntervalMs: number;
  /**
   * Base URL of the Instance Metadata Service: http://169.254.169.254 on Azure (the default in 'vm' mode). Local
   * nodes poll it only when set (an IMDS fake that tests drive); without it they get no eviction notices.
   */
  metadataServiceUrl?: string;
  scheduledEventsPollIntervalMs: number;
  /** `sealedEnvironment`: the setup task's secret variables sealed with the node data key (setupSealContext). */
  setupTask?: {
    commandLine: string;
    environment?: Record<string, string>;
    sealedEnvironment?: string;
    /**
     * Batch AI's `{stdOutErrPathPrefix}/{stdOutErrPathSuffix}` (variables such as $AZ_BATCHAI_MOUNT_ROOT unexpanded):
     * the node also writes its setup output there, as `stdout-<node id>.txt` and `stderr-<node id>.txt`.
     */
    stdOutErrPath?: string;
  };
  mountVolumes: AgentMount[];
  /**
   * Local nodes only: the cluster's node data key (base64 of 32 bytes), in the node's own agent.json (mode 0600).
   * Refused in 'vm' mode: custom data is readable by anyone who can read the scale set model.
   */
  nodeDataKey?: string;
  /** VM nodes: where the node data key is read (Key Vault, node identity with Key Vault Secrets User). */
  nodeDataKeySource?: NodeDataKeySource;
  performanceCounters?: AgentPerformanceCounters;
}

/** A mount path the agent can use in paths and commands as it is: `a`, `a/b`; never `.`, `..`, `/a` or `a b`. */
export function isSafeRelativeMountPath(value: string): boolean {
  return value
    .split('/')
    .every((segment) => /^[A-Za-z0-9_.-]+$/.test(segment) && segment !== '.' && segment !== '..');
}

function relativePath(obj: WireObject, path: string): string {
  const value = requireString(obj, 'relativeMountPath', path, 256);
  if (!isSafeRelativeMountPath(value)) {
    throw new ContractError(
      `${path}.relativeMountPath`,
      `'${value}' must be '/'-separated segments of letters, digits, '_', '.', '-' (no '.' or '..').`,
    );
  }
  return value;
}

/** One mount of the agent's config or of a task's job mounts; plain secrets are refused. */
export function parseAgentMount(value: unknown, path: string): AgentMount {
  const obj = requireObject(value, path);
  const kind = requireOneOf(obj, 'kind', path, ['azureFileShare', 'azureBlob', 'nfs', 'unmanaged'] as const);
  const relativeMountPath = relativePath(obj, path);
  rejectPlainSecrets(obj, path, plainMountSecrets);
  switch (kind) {
    case 'azureFileShare':
      return {
        kind,
        relativeMountPath,
        azureFileUrl: requireString(obj, 'azureFileUrl', path, 1024),
        accountName: requireString(obj, 'accountName', path, 64),
        fileMode: optionalString(obj, 'fileMode', path, 4),
        directoryMode: optionalString(obj, 'directoryMode', path, 4),
        sealedCredentials: optionalSealed(obj, 'sealedCredentials', path),
      };
    case 'azureBlob':
      return {
        kind,
        relativeMountPath,
        accountName: requireString(obj, 'accountName', path, 64),
        containerName: requireString(obj, 'containerName', path, 63),
        mountOptions: optionalString(obj, 'mountOptions', path, 1024),
        sealedCredentials: optionalSealed(obj, 'sealedCredentials', path),
      };
    case 'nfs':
      return {
        kind,
        relativeMountPath,
        server: requireString(obj, 'server', path, 256),
        sourceDirectory: optionalString(obj, 'sourceDirectory', path, 1024),
        mountOptions: optionalString(obj, 'mountOptions', path, 1024),
        localExport: optionalString(obj, 'localExport', path, 4096),
        unavailable: optionalString(obj, 'unavailable', path, 1024),
      };
    case 'unmanaged':
      return { kind, relativeMountPath, mountCommand: requireString(obj, 'mountCommand', path, 4096) };
  }
}

export function parseAgentConfig(value: unknown): AgentConfig {
  const obj = checkSchemaHeader(value, agentConfigSchema, [1, agentConfigVersion]);
  const mode = requireOneOf(obj, 'mode', 'config', ['local', 'vm'] as const);
  const storageObj = requireObject(obj.storage, 'config.storage');
  const storage: AgentStorageSettings = {
    connectionString: optionalString(storageObj, 'connectionString', 'config.storage', 4096),
    blobEndpoint: optionalString(storageObj, 'blobEndpoint', 'config.storage', 1024),
    queueEndpoint: optionalString(storageObj, 'queueEndpoint', 'config.storage', 1024),
    managedIdentityClientId: optionalString(storageObj, 'managedIdentityClientId', 'config.storage', 64),
  };
  if (storage.connectionString && mode === 'vm') {
    throw new ContractError(
      'config.storage.connectionString',
      "is allowed only in 'local' mode: a VM reaches Storage with its managed identity (no keys in custom data).",
    );
  }
  if (!storage.connectionString && !(storage.blobEndpoint && storage.queueEndpoint)) {
    throw new ContractError(
      'config.storage',
      'needs connectionString (local) or blobEndpoint and queueEndpoint.',
    );
  }
  let setupTask: AgentConfig['setupTask'];
  if (obj.setupTask !== undefined) {
    const task = requireObject(obj.setupTask, 'config.setupTask');
    rejectPlainSecrets(task, 'config.setupTask', plainSetupSecrets);
    setupTask = {
      commandLine: requireString(task, 'commandLine', 'config.setupTask', 32_768),
      environment: optionalEnvironment(task, 'environment', 'config.setupTask'),
      sealedEnvironment: optionalSealed(task, 'sealedEnvironment', 'config.setupTask'),
      stdOutErrPath: optionalString(task, 'stdOutErrPath', 'config.setupTask', 2048),
    };
  }
  const mounts = obj.mountVolumes ?? [];
  if (!Array.isArray(mounts)) throw new ContractError('config.mountVolumes', 'must be an array.');
  const metadataServiceUrl =
    optionalString(obj, 'metadataServiceUrl', 'config', 1024) ??
    (mode === 'vm' ? 'http://169.254.169.254' : undefined);
  if (metadataServiceUrl !== undefined && !/^https?:\/\//.test(metadataServiceUrl)) {
    throw new ContractError('config.metadataServiceUrl', 'must be an http(s) URL.');
  }
  const nodeDataKey = optionalString(obj, 'nodeDataKey', 'config', 64);
  if (nodeDataKey !== undefined) {
    if (mode === 'vm') {
      throw new ContractError(
        'config.nodeDataKey',
        "is allowed only in 'local' mode: a VM reads its node data key from Key Vault (nodeDataKeySource).",
      );
    }
    const bytes = Buffer.from(nodeDataKey, 'base64');
    if (bytes.length !== 32 || bytes.toString('base64') !== nodeDataKey) {
      throw new ContractError('config.nodeDataKey', 'must be base64 of 32 bytes.');
    }
  }
  let nodeDataKeySource: NodeDataKeySource | undefined;
  if (obj.nodeDataKeySource !== undefined) {
    const source = requireObject(obj.nodeDataKeySource, 'config.nodeDataKeySource');
    const keyVaultUrl = requireString(source, 'keyVaultUrl', 'config.nodeDataKeySource', 1024);
    if (!/^https:\/\//.test(keyVaultUrl)) {
      throw new ContractError('config.nodeDataKeySource.keyVaultUrl', 'must be an https URL.');
    }
    const secretName = requireString(source, 'secretName', 'config.nodeDataKeySource', 127);
    if (!/^[0-9A-Za-z-]+$/.test(secretName)) {
      throw new ContractError('config.nodeDataKeySource.secretName', 'must be letters, digits and dashes.');
    }
    nodeDataKeySource = { keyVaultUrl, secretName };
  }
  let performanceCounters: AgentPerformanceCounters | undefined;
  if (obj.performanceCounters !== undefined) {
    const counters = requireObject(obj.performanceCounters, 'config.performanceCounters');
    rejectPlainSecrets(counters, 'config.performanceCounters', ['instrumentationKey']);
    const ingestionEndpoint = requireString(
      counters,
      'ingestionEndpoint',
      'config.performanceCounters',
      1024,
    );
    if (!/^https:\/\/[^/]+\/(.*\/)?$/.test(ingestionEndpoint)) {
      throw new ContractError(
        'config.performanceCounters.ingestionEndpoint',
        "must be an https URL ending with '/'.",
      );
    }
    const sealedInstrumentationKey = optionalSealed(
      counters,
      'sealedInstrumentationKey',
      'config.performanceCounters',
    );
    if (!sealedInstrumentationKey) {
      throw new ContractError('config.performanceCounters.sealedInstrumentationKey', 'is required.');
    }
    performanceCounters = {
      ingestionEndpoint,
      sealedInstrumentationKey,
      intervalMs: requireInteger(counters, 'intervalMs', 'config.performanceCounters', 1_000, 3_600_000),
      ingestionCertificate: optionalString(
        counters,
        'ingestionCertificate',
        'config.performanceCounters',
        16_384,
      ),
      managedIdentityClientId: optionalString(
        counters,
        'managedIdentityClientId',
        'config.performanceCounters',
        64,
      ),
    };
    if (performanceCounters.managedIdentityClientId && !metadataServiceUrl) {
      throw new ContractError(
        'config.performanceCounters.managedIdentityClientId',
        'needs metadataServiceUrl (tokens come from the metadata service).',
      );
    }
  }
  const nodeId = optionalString(obj, 'nodeId', 'config', 256);
  if (!nodeId && !metadataServiceUrl) {
    throw new ContractError('config.nodeId', 'is required when no metadataServiceUrl is set.');
  }
  return {
    schema: agentConfigSchema,
    version: obj.version as 1 | 2,
    mode,
    nodeId,
    clusterKey: requireString(obj, 'clusterKey', 'config', 1024),
    vmSize: requireString(obj, 'vmSize', 'config', 64),
    cpuCount: requireInteger(obj, 'cpuCount', 'config', 1, 4096),
    gpuCount: requireInteger(obj, 'gpuCount', 'config', 0, 64),
    workRoot: requireString(obj, 'workRoot', 'config', 1024),
    localMountRoot: optionalString(obj, 'localMountRoot', 'config', 1024),
    localStorageRoot: optionalString(obj, 'localStorageRoot', 'config', 1024),
    storage,
    nodeEventsQueue: requireString(obj, 'nodeEventsQueue', 'config', 63),
    setupOutputContainer: requireString(obj, 'setupOutputContainer', 'config', 63),
    heartbeatIntervalMs: requireInteger(obj, 'heartbeatIntervalMs', 'config', 100, 600_000),
    contactLeaseMs: optionalInteger(obj, 'contactLeaseMs', 'config', 1_000, 3_600_000),
    taskPollIntervalMs: requireInteger(obj, 'taskPollIntervalMs', 'config', 50, 60_000),
    metadataServiceUrl,
    scheduledEventsPollIntervalMs: requireInteger(
      obj,
      'scheduledEventsPollIntervalMs',
      'config',
      100,
      60_000,
    ),
    setupTask,
    mountVolumes: mounts.map((m, i) => parseAgentMount(m, `config.mountVolumes[${i}]`)),
    nodeDataKey,
    nodeDataKeySource,
    performanceCounters,
  };
}
