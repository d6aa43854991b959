// Creates on the local emulators what shared/config/resourceNames.ts declares (the Cosmos database and containers
// with their partition keys, the queues, the blob containers). Idempotent: what already exists is left as it is.
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import {
  blobContainers,
  cosmosContainers,
  cosmosDatabaseName,
  storageQueues,
} from '../../shared/config/resourceNames';
import { createCosmosClient } from './cosmosClient';

export interface ProvisionTarget {
  storageConnectionString: string;
  cosmosEndpoint: string;
  cosmosKey: string;
}

export async function provisionResources(target: ProvisionTarget): Promise<void> {
  const cosmos = createCosmosClient(target.cosmosEndpoint, target.cosmosKey);
  try {
    const { database } = await cosmos.databases.createIfNotExists({ id: cosmosDatabaseName });
    for (const container of cosmosContainers) {
      await database.containers.createIfNotExists({
        id: container.id,
        partitionKey: { paths: [container.partitionKeyPath] },
      });
    }
  } finally {
    cosmos.dispose();
  }
  const queues = QueueServiceClient.fromConnectionString(target.storageConnectionString);
  for (const queue of storageQueues) await queues.getQueueClient(queue).createIfNotExists();
  const blobs = BlobServiceClient.fromConnectionString(target.storageConnectionString);
  for (const container of blobContainers) await blobs.getContainerClient(container).createIfNotExists();
  // The dashboard (served by the Functions host, another origin) reads job logs through SAS links with Range
  // requests: the blob service must allow cross-origin GETs, as the storage account's CORS rule does on Azure.
  await blobs.setProperties({
    cors: [
      {
        allowedOrigins: '*',
        allowedMethods: 'GET,HEAD',
        allowedHeaders: '*',
        exposedHeaders: '*',
        maxAgeInSeconds: 3600,
      },
    ],
  });
}
