// The app's Storage clients for its StorageAccess: from the connection string, or with the managed identity
// (DefaultAzureCredential, the user-assigned identity of `__clientId` when set). One credential per identity.
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import type { StorageAccess } from '../../config/storageAccess';

const credentials = new Map<string, TokenCredential>();

function credentialOf(clientId: string | undefined): TokenCredential {
  const key = clientId ?? '';
  let credential = credentials.get(key);
  if (!credential) {
    credential = new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {});
    credentials.set(key, credential);
  }
  return credential;
}

export function queueServiceClient(access: StorageAccess): QueueServiceClient {
  return access.kind === 'connectionString'
    ? QueueServiceClient.fromConnectionString(access.connectionString)
    : new QueueServiceClient(access.queueEndpoint, credentialOf(access.clientId));
}

export function blobServiceClient(access: StorageAccess): BlobServiceClient {
  return access.kind === 'connectionString'
    ? BlobServiceClient.fromConnectionString(access.connectionString)
    : new BlobServiceClient(access.blobEndpoint, credentialOf(access.clientId));
}
