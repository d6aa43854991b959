// Resolves a binding's `connection` (an app setting name, default AzureWebJobsStorage) to a Storage connection
// string, and builds the queue/blob clients of the Azure SDK from it (Azurite locally, a real account on Azure).
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';

export function storageConnectionString(
  settings: Readonly<Record<string, string | undefined>>,
  connection: unknown,
  where: string,
): string {
  if (connection !== undefined && (typeof connection !== 'string' || connection.length === 0)) {
    throw new Error(`${where}: "connection" must name an app setting.`);
  }
  const name = (connection as string | undefined) ?? 'AzureWebJobsStorage';
  const value = settings[name] ?? settings[`AzureWebJobs${name}`];
  if (!value) {
    throw new Error(
      `${where}: app setting "${name}" (the binding's connection) is not set; it must hold a Storage connection string.`,
    );
  }
  return value;
}

export function queueServiceFor(
  settings: Readonly<Record<string, string | undefined>>,
  connection: unknown,
  where: string,
): QueueServiceClient {
  return QueueServiceClient.fromConnectionString(storageConnectionString(settings, connection, where));
}

export function blobServiceFor(
  settings: Readonly<Record<string, string | undefined>>,
  connection: unknown,
  where: string,
): BlobServiceClient {
  return BlobServiceClient.fromConnectionString(storageConnectionString(settings, connection, where));
}
