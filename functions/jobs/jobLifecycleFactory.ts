// Builds the resource API's side of the job lifecycle from the app settings: job commands go to the job-commands
// queue, job files are listed from the job-files container of the app's storage account (and, for VM nodes' output
// directories, from the user's storage behind the mount).
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { BlobJobOutputFiles } from '../../shared/adapters/storage/blobJobOutputFiles';
import { QueueJobLifecycle } from '../../shared/adapters/storage/queueJobLifecycle';
import { readComputeConfig } from '../../shared/config/computeConfig';
import { jobCommandsQueue, jobFilesContainer } from '../../shared/config/resourceNames';
import type { ResourceStore } from '../../shared/ports/resourceStore';
import type { SecretProtector } from '../../shared/ports/secretProtector';
import { readUserStorageEndpoints } from '../../shared/config/userStorageConfig';

export function createJobLifecycle(env: Readonly<Record<string, string | undefined>>): QueueJobLifecycle {
  const { storageConnectionString } = readComputeConfig(env);
  return new QueueJobLifecycle(
    QueueServiceClient.fromConnectionString(storageConnectionString).getQueueClient(jobCommandsQueue),
  );
}

export function createJobOutputFiles(
  env: Readonly<Record<string, string | undefined>>,
  store: ResourceStore,
  secrets: SecretProtector,
): BlobJobOutputFiles {
  const { storageConnectionString, pool } = readComputeConfig(env);
  return new BlobJobOutputFiles(
    BlobServiceClient.fromConnectionString(storageConnectionString),
    jobFilesContainer,
    store,
    pool.kind === 'local', // the lifecycle copies local nodes' outputs into the container
    secrets,
    readUserStorageEndpoints(env),
  );
}
