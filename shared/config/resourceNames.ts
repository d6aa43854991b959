// The storage resources the app needs, declared once: the local launcher provisions them on the emulators and
// infra/ provisions the same on Azure. Each entry says why its partition key was chosen where it has one.

export interface CosmosContainerSpec {
  id: string;
  partitionKeyPath: string;
  /** Why this partition key (access patterns). */
  why: string;
}

export const cosmosDatabaseName = 'batchai';

/** Cosmos DB containers (filled in by the modules that own them). */
export const cosmosContainers: CosmosContainerSpec[] = [
  // Resource API (shared/adapters/cosmos/cosmosResourceStore.ts).
  {
    id: 'workspaces',
    partitionKeyPath: '/subscriptionId',
    why: 'Workspaces are listed per subscription and per resource group (a filter inside the subscription partition); a GET is a point read (id = resourceGroup:name).',
  },
  {
    id: 'workspaceResources',
    partitionKeyPath: '/workspaceKey',
    why: 'Clusters, file servers and experiments are listed per workspace and deleted with it: one partition per workspace serves lists, point reads (id = kind:name) and the cascade.',
  },
  {
    id: 'jobs',
    partitionKeyPath: '/experimentKey',
    why: 'Jobs are addressed and listed by experiment (their URL) and an experiment delete walks them: one partition per experiment, small documents (secrets sealed, no logs). The scheduler query by cluster is cross-partition.',
  },
  {
    id: 'operations',
    partitionKeyPath: '/id',
    why: 'Long-running operation statuses are read by id (the Azure-AsyncOperation URL): point reads spread evenly. Only the pendingOperations timer queries across partitions, for the few still in progress.',
  },
];

/** Storage queues the app reads or writes. */
export const storageQueues: string[] = [];

/** Blob containers the app reads or writes. */
export const blobContainers: string[] = [];

// Compute (shared/adapters/compute, agent/, orchestrations/compute): node records, agent <-> control plane queues.
/** Node agents send registrations, heartbeats, setup results, task exits and eviction notices here. */
export const nodeEventsQueue = 'node-events';
/** Node events and cluster commands that failed validation, kept with the reason (a dead-letter queue; the trigger never crashes). */
export const computeRejectedMessagesQueue = 'compute-messages-rejected';
/** The resource API asks the cluster monitor to apply scale settings or release a cluster through this queue. */
export const clusterCommandsQueue = 'cluster-commands';
/** The resource API asks the file server monitor to provision or remove a file server through this queue. */
export const fileServerCommandsQueue = 'file-server-commands';
/** Node setup task output: <clusterTag>/<nodeId>/stdout.txt and stderr.txt. */
export const nodeSetupOutputContainer = 'node-setup-output';
cosmosContainers.push({
  id: 'nodes',
  partitionKeyPath: '/clusterKey',
  why: "Nodes are read, counted and reconciled per cluster (one partition per cluster: the monitor's query is single-partition), a heartbeat is a point read + replace of one small document, and a cluster's delete removes one partition.",
});
storageQueues.push(
  nodeEventsQueue,
  computeRejectedMessagesQueue,
  clusterCommandsQueue,
  fileServerCommandsQueue,
);
blobContainers.push(nodeSetupOutputContainer);

// Job lifecycle (orchestrations/jobs, functions/jobs, shared/adapters/storage).
/** The resource API tells the job lifecycle that a job was queued or must be terminated through this queue. */
export const jobCommandsQueue = 'job-commands';
/** Job commands that failed validation, kept with the reason. */
export const jobRejectedCommandsQueue = 'job-commands-rejected';
/**
 * Job files (stdout/stderr, later outputs) as the storage behind each mount holds them: `<volume>/<path in volume>`
 * (e.g. `files/<account>/<share>/<dir>/<segment>/stdouterr/stdout.txt`). Listed with SAS links by listOutputFiles.
 */
export const jobFilesContainer = 'job-files';
storageQueues.push(jobCommandsQueue, jobRejectedCommandsQueue);
blobContainers.push(jobFilesContainer);

// Event sources (functions/events, shared/domain/eventSources, shared/adapters/cosmos/cosmosEventSourceStore.ts).
/** Other services submit jobs here (shared/contracts/jobSubmission.ts). */
export const jobSubmissionsQueue = 'job-submissions';
/** Submissions that were malformed or refused (validation, missing workspace), kept with the reason, never retried. */
export const jobSubmissionsRejectedQueue = 'job-submissions-rejected';
/** A message per open blob batch, made visible when its window closes, so the batch's job is created then. */
export const scoringBatchesQueue = 'scoring-batches';
/** Scoring rules and job schedules. */
export const eventSourceDefinitionsContainer = 'eventSourceDefinitions';
/** Open and closed blob batches of batching scoring rules. */
export const scoringBatchesContainer = 'scoringBatches';
cosmosContainers.push(
  {
    id: eventSourceDefinitionsContainer,
    partitionKeyPath: '/workspaceKey',
    why: 'Rules and schedules are managed per workspace (lists and point reads in one partition); the Event Grid function (rules of a container) and the timer (enabled schedules) query across partitions, over few small documents.',
  },
  {
    id: scoringBatchesContainer,
    partitionKeyPath: '/id',
    why: 'A batch is only read and replaced by its id (rule, window, part): point operations spread evenly.',
  },
);
storageQueues.push(jobSubmissionsQueue, jobSubmissionsRejectedQueue, scoringBatchesQueue);

// Security (shared/security, shared/adapters/cosmos/cosmosRoleAssignmentStore.ts).
/** Role assignments of each workspace: one document per workspace. */
export const workspaceAccessContainer = 'workspaceAccess';
cosmosContainers.push({
  id: workspaceAccessContainer,
  partitionKeyPath: '/workspaceKey',
  why: "Every API call checks the caller's role on one workspace: a point read of that workspace's single access document (id 'access'), which also makes the last-owner rule one ETag-conditional write; deleting a workspace removes it. Only 'which workspaces can I read' (workspace lists) is cross-partition.",
});

// Parameter sweeps (shared/domain/sweeps, orchestrations/sweeps, shared/adapters/cosmos/cosmosSweepStore.ts).
/** One document per sweep: definition, sealed template secrets, status (counts, best trial, trial list). */
export const sweepsContainer = 'sweeps';
cosmosContainers.push({
  id: sweepsContainer,
  partitionKeyPath: '/experimentKey',
  why: "Sweeps are addressed and listed by experiment (their URL), like the experiment's jobs: one partition per experiment serves point reads (id = lower-cased name) and lists; the orchestration's status writes are point replaces.",
});
