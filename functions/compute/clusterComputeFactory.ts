// Builds the resource API's ClusterCompute from the app settings: commands go to the cluster-commands queue of
// the app's storage account, remote logins come from the node records in Cosmos. File server commands go to the
// file-server-commands queue. New clusters' and file servers' VM sizes are checked against the compute location's
// Resource SKUs on Azure (the built-in table locally).
import type { CosmosClient } from '@azure/cosmos';
import { DefaultAzureCredential } from '@azure/identity';
import { ArmVmSizeCatalog } from '../../shared/adapters/compute/armVmSizeCatalog';
import { createComputeClient } from '../../shared/adapters/compute/computeClientFactory';
import type { VmSizeCatalog } from '../../shared/ports/vmSizeCatalog';
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

/** Scale sets' VM sizes: Azure's list for the compute location; undefined for local compute (the built-in table). */
export function createVmSizeCatalog(
  env: Readonly<Record<string, string | undefined>>,
): VmSizeCatalog | undefined {
  const { pool } = readComputeConfig(env);
  if (pool.kind === 'local') return undefined;
  const client = createComputeClient({
    subscriptionId: pool.subscriptionId,
    credential: new DefaultAzureCredential(),
    endpoint: pool.armEndpoint,
  });
  return new ArmVmSizeCatalog({ client, location: pool.location });
}

export function createFileServerProvisioning(
  env: Readonly<Record<string, string | undefined>>,
): QueueFileServerProvisioning {
  const config = readComputeConfig(env);
  return new QueueFileServerProvisioning(
    queueServiceClient(config.storage).getQueueClient(fileServerCommandsQueue),
  );
}
