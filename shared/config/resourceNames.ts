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
export const cosmosContainers: CosmosContainerSpec[] = [];

/** Storage queues the app reads or writes. */
export const storageQueues: string[] = [];

/** Blob containers the app reads or writes. */
export const blobContainers: string[] = [];
