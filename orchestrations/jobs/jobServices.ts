// Composition root of the job lifecycle's activities: the resource store, node records and queues of the compute
// side, job files in blob storage, the secret protector, and where local nodes keep job directories.
import type { BlobServiceClient } from '@azure/storage-blob';
import { blobServiceClient } from '../../shared/adapters/storage/storageClients';
import { readAppConfig } from '../../shared/config/appConfig';
import { readComputeConfig } from '../../shared/config/computeConfig';
import { readJobLifecycleConfig, type JobLifecycleConfig } from '../../shared/config/jobLifecycleConfig';
import { AesGcmSecretProtector } from '../../shared/crypto/aesGcmSecretProtector';
import { localClusterFileSystem } from '../../shared/adapters/compute/localNodeRegistry';
import type { NodeFileSystem } from '../../shared/domain/jobLayout/nodeFileSystem';
import type { SecretProtector } from '../../shared/ports/secretProtector';
import { getComputeServices, type ComputeServices } from '../compute/computeServices';

export interface JobServices extends ComputeServices {
  blobs: BlobServiceClient;
  secrets: SecretProtector;
  config: JobLifecycleConfig;
  /**
   * The node roots of a cluster's jobs: Batch AI's on VMs (undefined), and for local nodes one directory per
   * cluster that all its nodes share, standing for the cluster's shared storage.
   */
  nodeFileSystem(clusterKey: string): NodeFileSystem | undefined;
  /** Local nodes all answer on the loopback address; VMs are reached by their node id (the VM's host name). */
  nodeAddress(nodeId: string, ipAddress: string | undefined): string;
}

let services: JobServices | undefined;

export function getJobServices(): JobServices {
  if (services) return services;
  const app = readAppConfig(process.env);
  const compute = readComputeConfig(process.env);
  const local = compute.pool.kind === 'local' ? compute.pool : undefined;
  services = {
    ...getComputeServices(),
    blobs: blobServiceClient(compute.storage),
    secrets: new AesGcmSecretProtector(app.secretsEncryptionKey),
    config: readJobLifecycleConfig(process.env),
    nodeFileSystem: (clusterKey) => (local ? localClusterFileSystem(local.dataDir, clusterKey) : undefined),
    nodeAddress: (nodeId, ipAddress) => (local ? '127.0.0.1' : (ipAddress ?? nodeId)),
  };
  return services;
}
