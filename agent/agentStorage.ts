// Storage clients of the node agent: from a connection string on local nodes, or from account endpoints and the
// VM's user-assigned managed identity on Azure (no keys on the VM).
import { ManagedIdentityCredential } from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import type { AgentStorageSettings } from '../shared/contracts/agentConfig';

export interface AgentStorage {
  queues: QueueServiceClient;
  blobs: BlobServiceClient;
}

export function createAgentStorage(settings: AgentStorageSettings): AgentStorage {
  if (settings.connectionString) {
    return {
      queues: QueueServiceClient.fromConnectionString(settings.connectionString),
      blobs: BlobServiceClient.fromConnectionString(settings.connectionString),
    };
  }
  if (!settings.blobEndpoint || !settings.queueEndpoint) {
    throw new Error(
      'config.storage needs blobEndpoint and queueEndpoint when no connection string is given.',
    );
  }
  const credential = settings.managedIdentityClientId
    ? new ManagedIdentityCredential({ clientId: settings.managedIdentityClientId })
    : new ManagedIdentityCredential();
  return {
    queues: new QueueServiceClient(settings.queueEndpoint, credential),
    blobs: new BlobServiceClient(settings.blobEndpoint, credential),
  };
}
