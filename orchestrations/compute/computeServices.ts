// Composition root of the compute side (activities and node-event triggers): the pool adapter chosen by the
// settings, node records, the resource store and the storage queues, built once per process.
import { agentTelemetrySettings } from '../../shared/telemetry/agentTelemetrySettings';
import { DefaultAzureCredential } from '@azure/identity';
import type { QueueServiceClient } from '@azure/storage-queue';
import { queueServiceClient } from '../../shared/adapters/storage/storageClients';
import { createCosmosClient } from '../../shared/adapters/cosmos/cosmosClientFactory';
import { CosmosResourceStore } from '../../shared/adapters/cosmos/cosmosResourceStore';
import { createComputeClient } from '../../shared/adapters/compute/computeClientFactory';
import { CosmosNodeStore } from '../../shared/adapters/compute/cosmosNodeStore';
import { LocalComputePool } from '../../shared/adapters/compute/localComputePool';
import { VmssComputePool } from '../../shared/adapters/compute/vmssComputePool';
import { readAppConfig } from '../../shared/config/appConfig';
import { readQuotas } from '../../shared/config/quotaConfig';
import type { Quotas } from '../../shared/domain/services/serviceDeps';
import {
  readComputeConfig,
  type ComputeTimings,
  type PerformanceCounterSettings,
} from '../../shared/config/computeConfig';
import { createSecretClient, KeyVaultNodeKeys } from '../../shared/adapters/compute/keyVaultNodeKeys';
import { AesGcmSecretProtector } from '../../shared/crypto/aesGcmSecretProtector';
import type { ComputePool } from '../../shared/ports/computePool';
import type { FileServerHosts } from '../../shared/ports/fileServerHosts';
import { LocalFileServerHosts } from '../../shared/adapters/fileServers/localFileServerHosts';
import { createNetworkClient } from '../../shared/adapters/fileServers/networkClientFactory';
import { VmFileServerHosts } from '../../shared/adapters/fileServers/vmFileServerHosts';
import type { SecretProtector } from '../../shared/ports/secretProtector';
import type { NodeStore } from '../../shared/ports/nodeStore';
import type { ResourceStore } from '../../shared/ports/resourceStore';

export interface ComputeServices {
  pool: ComputePool;
  /** Hosts of file servers: VMs with their disks (vmss settings), directories of this machine (local). */
  fileServers: FileServerHosts;
  nodes: NodeStore;
  store: ResourceStore;
  queues: QueueServiceClient;
  timings: ComputeTimings;
  performanceCounters: PerformanceCounterSettings;
  /** SECRETS_ENCRYPTION_KEY: opens the cluster's sealed secrets and node data key. */
  secrets: SecretProtector;
  /** The location's core quotas (BATCHAI_QUOTA_*): a pool grows only as far as they leave room. */
  quotas: Quotas;
}

let services: ComputeServices | undefined;

export function getComputeServices(): ComputeServices {
  if (services) return services;
  const app = readAppConfig(process.env);
  const compute = readComputeConfig(process.env);
  const cosmos = createCosmosClient(app.cosmos);
  const settings = compute.pool;
  let pool: ComputePool;
  let fileServers: FileServerHosts;
  if (settings.kind === 'local') {
    pool = new LocalComputePool(settings);
    fileServers = new LocalFileServerHosts(settings.dataDir);
  } else {
    const credential = new DefaultAzureCredential();
    const arm = { subscriptionId: settings.subscriptionId, credential, endpoint: settings.armEndpoint };
    const client = createComputeClient(arm);
    pool = new VmssComputePool({
      client,
      resourceGroup: settings.resourceGroup,
      location: settings.location,
      managedIdentityId: settings.managedIdentityId,
      managedIdentityClientId: settings.managedIdentityClientId,
      storage: { blobEndpoint: settings.blobEndpoint, queueEndpoint: settings.queueEndpoint },
      agentInstallation: {
        packageUrl: settings.agentPackageUrl,
        environment: agentTelemetrySettings(process.env),
      },
      defaultSubnetId: settings.subnetId,
      nodeKeys: settings.keyVaultUrl
        ? new KeyVaultNodeKeys(
            createSecretClient({ vaultUrl: settings.keyVaultUrl, credential }),
            settings.keyVaultUrl,
          )
        : undefined,
    });
    fileServers = new VmFileServerHosts({
      compute: client,
      network: createNetworkClient(arm),
      resourceGroup: settings.resourceGroup,
      location: settings.location,
      defaultSubnetId: settings.subnetId,
    });
  }
  services = {
    pool,
    fileServers,
    nodes: new CosmosNodeStore(cosmos, app.cosmos.database),
    store: new CosmosResourceStore(cosmos, app.cosmos.database),
    queues: queueServiceClient(compute.storage),
    timings: compute.timings,
    performanceCounters: compute.performanceCounters,
    secrets: new AesGcmSecretProtector(app.secretsEncryptionKey),
    quotas: readQuotas(process.env),
  };
  return services;
}
