// Builds the resource API's side of the job lifecycle from the app settings: job commands go to the job-commands
// queue, job files are listed from the job-files container of the app's storage account (and, for VM nodes' output
// directories, from the user's storage behind the mount).
import { blobServiceClient, queueServiceClient } from '../../shared/adapters/storage/storageClients';
import { BlobJobOutputFiles } from '../../shared/adapters/storage/blobJobOutputFiles';
import { QueueJobLifecycle } from '../../shared/adapters/storage/queueJobLifecycle';
import { readComputeConfig } from '../../shared/config/computeConfig';
import { jobCommandsQueue, jobFilesContainer } from '../../shared/config/resourceNames';
import type { ResourceStore } from '../../shared/ports/resourceStore';
import type { SecretProtector } from '../../shared/ports/secretProtector';
import { readUserStorageEndpoints } from '../../shared/config/userStorageConfig';

export function createJobLifecycle(env: Readonly<Record<string, string | undefined>>): QueueJobLifecycle {
  const { storage } = readComputeConfig(env);
  return new QueueJobLifecycle(queueServiceClient(storage).getQueueClient(jobCommandsQueue));
}

export function createJobOutputFiles(
  env: Readonly<Record<string, string | undefined>>,
  store: ResourceStore,
  secrets: SecretProtector,
): BlobJobOutputFiles {
  const { storage, pool } = readComputeConfig(env);
  return new BlobJobOutputFiles(
    blobServiceClient(storage),
    jobFilesContainer,
    store,
    pool.kind === 'local', // the lifecycle copies local nodes' outputs into the container
    secrets,
    readUserStorageEndpoints(env),
  );
}
