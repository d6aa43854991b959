// Wire types of the Batch AI REST API 2018-05-01 as the client sends and receives them (hand-written from
// shared/domain/spec/batchAi-2018-05-01.json; read-only properties are optional because the server fills them).
import type { JobAttempt, JobQueueInfo } from './extensionTypes';

export interface ResourceId {
  id: string;
}

export interface KeyVaultSecretReference {
  sourceVault: ResourceId;
  secretUrl: string;
}

export interface EnvironmentVariable {
  name: string;
  value: string;
}

export interface EnvironmentVariableWithSecretValue {
  name: string;
  value?: string;
  valueSecretReference?: KeyVaultSecretReference;
}

export interface AzureStorageCredentialsInfo {
  accountKey?: string;
  accountKeySecretReference?: KeyVaultSecretReference;
}

export interface AzureFileShareReference {
  accountName: string;
  azureFileUrl: string;
  credentials: AzureStorageCredentialsInfo;
  relativeMountPath: string;
  fileMode?: string;
  directoryMode?: string;
}

export interface AzureBlobFileSystemReference {
  accountName: string;
  containerName: string;
  credentials: AzureStorageCredentialsInfo;
  relativeMountPath: string;
  mountOptions?: string;
}

export interface FileServerReference {
  fileServer: ResourceId;
  sourceDirectory?: string;
  relativeMountPath: string;
  mountOptions?: string;
}

export interface UnmanagedFileSystemReference {
  mountCommand: string;
  relativeMountPath: string;
}

export interface MountVolumes {
  azureFileShares?: AzureFileShareReference[];
  azureBlobFileSystems?: AzureBlobFileSystemReference[];
  fileServers?: FileServerReference[];
  unmanagedFileSystems?: UnmanagedFileSystemReference[];
}

export interface UserAccountSettings {
  adminUserName: string;
  adminUserSshPublicKey?: string;
  adminUserPassword?: string;
}

export interface ManualScaleSettings {
  targetNodeCount: number;
  nodeDeallocationOption?: 'requeue' | 'terminate' | 'waitforjobcompletion';
}

export interface AutoScaleSettings {
  minimumNodeCount: number;
  maximumNodeCount: number;
  initialNodeCount?: number;
}

export interface ScaleSettings {
  manual?: ManualScaleSettings;
  autoScale?: AutoScaleSettings;
}

export interface ImageReference {
  publisher: string;
  offer: string;
  sku: string;
  version?: string;
  virtualMachineImageId?: string;
}

export interface SetupTask {
  commandLine: string;
  environmentVariables?: EnvironmentVariable[];
  secrets?: EnvironmentVariableWithSecretValue[];
  stdOutErrPathPrefix: string;
  readonly stdOutErrPathSuffix?: string;
}

export interface AppInsightsReference {
  component: ResourceId;
  instrumentationKey?: string;
  instrumentationKeySecretReference?: KeyVaultSecretReference;
}

export interface NodeSetup {
  setupTask?: SetupTask;
  mountVolumes?: MountVolumes;
  performanceCountersSettings?: { appInsightsReference: AppInsightsReference };
}

export type ProvisioningState = 'creating' | 'updating' | 'deleting' | 'succeeded' | 'failed';

/** Fields every resource of this provider carries. */
export interface ProxyResource {
  readonly id?: string;
  readonly name?: string;
  readonly type?: string;
}

export interface TrackedResource extends ProxyResource {
  readonly location?: string;
  readonly tags?: Record<string, string>;
}

export interface BatchAiError {
  code?: string;
  message?: string;
  details?: { name?: string; value?: string }[];
}

// Workspaces and experiments

export interface WorkspaceCreateParameters {
  location: string;
  tags?: Record<string, string>;
}

export interface WorkspaceUpdateParameters {
  tags?: Record<string, string>;
}

export interface Workspace extends TrackedResource {
  properties?: {
    creationTime?: string;
    provisioningState?: ProvisioningState;
    provisioningStateTransitionTime?: string;
  };
}

export interface Experiment extends ProxyResource {
  properties?: {
    creationTime?: string;
    provisioningState?: ProvisioningState;
    provisioningStateTransitionTime?: string;
  };
}

// Clusters

export interface ClusterBaseProperties {
  vmSize: string;
  vmPriority?: 'dedicated' | 'lowpriority';
  scaleSettings?: ScaleSettings;
  virtualMachineConfiguration?: { imageReference?: ImageReference };
  nodeSetup?: NodeSetup;
  userAccountSettings: UserAccountSettings;
  subnet?: ResourceId;
  /** Extension: how many jobs a node runs at once (1 to 64; default 1). Cannot change after creation. */
  jobSlotsPerNode?: number;
}

export interface ClusterCreateParameters {
  properties: ClusterBaseProperties;
}

export interface ClusterUpdateParameters {
  properties: { scaleSettings?: ScaleSettings };
}

export interface NodeStateCounts {
  idleNodeCount?: number;
  runningNodeCount?: number;
  preparingNodeCount?: number;
  unusableNodeCount?: number;
  leavingNodeCount?: number;
}

export interface Cluster extends ProxyResource {
  properties?: Partial<ClusterBaseProperties> & {
    creationTime?: string;
    provisioningState?: ProvisioningState;
    provisioningStateTransitionTime?: string;
    allocationState?: 'steady' | 'resizing';
    allocationStateTransitionTime?: string;
    errors?: BatchAiError[];
    currentNodeCount?: number;
    nodeStateCounts?: NodeStateCounts;
  };
}

// File servers

export interface DataDisks {
  diskSizeInGB: number;
  cachingType?: 'none' | 'readonly' | 'readwrite';
  diskCount: number;
  storageAccountType: 'Standard_LRS' | 'Premium_LRS';
}

export interface SshConfiguration {
  publicIPsToAllow?: string[];
  userAccountSettings: UserAccountSettings;
}

export interface FileServerBaseProperties {
  vmSize: string;
  sshConfiguration: SshConfiguration;
  dataDisks: DataDisks;
  subnet?: ResourceId;
}

export interface FileServerCreateParameters {
  properties: FileServerBaseProperties;
}

export interface FileServer extends ProxyResource {
  properties?: Partial<FileServerBaseProperties> & {
    mountSettings?: { mountPoint?: string; fileServerPublicIP?: string; fileServerInternalIP?: string };
    provisioningStateTransitionTime?: string;
    creationTime?: string;
    provisioningState?: ProvisioningState;
    /** Extension: why it failed to provision. */
    errors?: BatchAiError[];
  };
}

// Jobs

export interface InputDirectory {
  id: string;
  path: string;
}

export interface OutputDirectory {
  id: string;
  pathPrefix: string;
  pathSuffix?: string;
}

export interface ContainerSettings {
  imageSourceRegistry: {
    serverUrl?: string;
    image: string;
    credentials?: { username: string; password?: string; passwordSecretReference?: KeyVaultSecretReference };
  };
  shmSize?: string;
}

export interface PythonToolkitSettings {
  pythonScriptFilePath: string;
  pythonInterpreterPath?: string;
  commandLineArgs?: string;
  processCount?: number;
}

export interface JobBaseProperties {
  schedulingPriority?: 'low' | 'normal' | 'high';
  cluster: ResourceId;
  mountVolumes?: MountVolumes;
  nodeCount: number;
  containerSettings?: ContainerSettings;
  cntkSettings?: {
    languageType?: string;
    configFilePath?: string;
    pythonScriptFilePath?: string;
    pythonInterpreterPath?: string;
    commandLineArgs?: string;
    processCount?: number;
  };
  pyTorchSettings?: PythonToolkitSettings & { communicationBackend?: string };
  tensorFlowSettings?: {
    pythonScriptFilePath: string;
    pythonInterpreterPath?: string;
    masterCommandLineArgs?: string;
    workerCommandLineArgs?: string;
    parameterServerCommandLineArgs?: string;
    workerCount?: number;
    parameterServerCount?: number;
  };
  caffeSettings?: Partial<PythonToolkitSettings> & { configFilePath?: string };
  caffe2Settings?: Omit<PythonToolkitSettings, 'processCount'>;
  chainerSettings?: PythonToolkitSettings;
  customToolkitSettings?: { commandLine?: string };
  customMpiSettings?: { commandLine: string; processCount?: number };
  horovodSettings?: PythonToolkitSettings;
  jobPreparation?: { commandLine: string };
  stdOutErrPathPrefix: string;
  inputDirectories?: InputDirectory[];
  outputDirectories?: OutputDirectory[];
  environmentVariables?: EnvironmentVariable[];
  secrets?: EnvironmentVariableWithSecretValue[];
  constraints?: { maxWallClockTime?: string };
}

export interface JobCreateParameters {
  properties: JobBaseProperties;
}

export type JobExecutionState = 'queued' | 'running' | 'terminating' | 'succeeded' | 'failed';

export interface Job extends ProxyResource {
  properties?: Partial<JobBaseProperties> & {
    toolType?: string;
    jobOutputDirectoryPathSegment?: string;
    creationTime?: string;
    provisioningState?: ProvisioningState;
    provisioningStateTransitionTime?: string;
    executionState?: JobExecutionState;
    executionStateTransitionTime?: string;
    executionInfo?: { startTime?: string; endTime?: string; exitCode?: number; errors?: BatchAiError[] };
    /** Extension: why the job waits, while it is queued. */
    queueInfo?: JobQueueInfo;
    /** Extension: its runs, oldest first. */
    attempts?: JobAttempt[];
  };
}

export interface RemoteLoginInformation {
  nodeId?: string;
  ipAddress?: string;
  port?: number;
}

export interface OutputFile {
  name?: string;
  fileType?: 'file' | 'directory';
  downloadUrl?: string;
  properties?: { lastModified?: string; contentLength?: number };
}

// Provider

export interface Operation {
  name?: string;
  display?: { provider?: string; operation?: string; resource?: string; description?: string };
  origin?: string;
  properties?: unknown;
}

export interface Usage {
  unit?: 'Count';
  currentValue?: number;
  limit?: number;
  name?: { value?: string; localizedValue?: string };
}

/** The status document behind an Azure-AsyncOperation URL. */
export interface AsyncOperationStatus {
  id?: string;
  name?: string;
  status: 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled' | string;
  startTime?: string;
  endTime?: string;
  error?: CloudErrorBody;
}

export interface CloudErrorBody {
  code?: string;
  message?: string;
  target?: string;
  details?: CloudErrorBody[];
}

/** One page of a list operation. */
export interface Page<T> {
  value: T[];
  nextLink?: string;
}
