// Builds the resource API's ClusterCompute from the app settings: commands go to the cluster-commands queue of
// the app's storage account, remote logins come from the node records in Cosmos. File server commands go to the
// file-server-commands queue.
import type { CosmosClient } from '@azure/cosmos';
import { queueServiceClient } from '../../shared/adapters/storage/storageClients';
import { CosmosNodeStore } from '../../shared/adapters/compute/cosmosNodeStore';
import { QueueClusterCompute } from '../../shared/adapters/compute/queueClusterCompute';
import { readComputeConfig } from '../../shared/config/computeConfig';
import { QueueFileServerProvisioning } from '../../shared/adapters/fileServers/queueFileServerProvisioning';
import { clusterCommandsQueue, fileServerCommandsQueue } from '../../shared/config/resourceNames';

export function createClusterCompute(
  env: Readonly<Record<string, string | undefined>>,
  cosmos: CosmosClient,
  database: string,
): QueueClusterCompute {
  const config = readComputeConfig(env);
  const queue = queueServiceClient(config.storage).getQueueClient(clusterCommandsQueue);
  return new QueueClusterCompute(queue, new CosmosNodeStore(cosmos, database));
}

export function createFileServerProvisioning(
  env: Readonly<Record<string, string | undefined>>,
): QueueFileServerProvisioning {
  const config = readComputeConfig(env);
  return new QueueFileServerProvisioning(
    queueServiceClient(config.storage).getQueueClient(fileServerCommandsQueue),
  );
}
