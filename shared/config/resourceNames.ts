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
    why: 'Long-running operation statuses are only read by id (the Azure-AsyncOperation URL): point reads spread evenly.',
  },
];

/** Storage queues the app reads or writes. */
export const storageQueues: string[] = [];

/** Blob containers the app reads or writes. */
export const blobContainers: string[] = [];
