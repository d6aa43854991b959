// How the app reaches its storage account (queues, blobs), read from the Functions host's own connection: locally a
// connection string (`AzureWebJobsStorage`, Azurite); on Azure the identity-based connection the host uses, with
// shared keys off (`AzureWebJobsStorage__accountName` or `__blobServiceUri` + `__queueServiceUri`, and `__clientId`
// for a user-assigned identity).
import { ConfigurationError } from './appConfig';

export type StorageAccess =
  | { kind: 'connectionString'; connectionString: string }
  | { kind: 'identity'; blobEndpoint: string; queueEndpoint: string; clientId?: string };

type Env = Record<string, string | undefined>;

export function readStorageAccess(env: Env, connection = 'AzureWebJobsStorage'): StorageAccess {
  const setting = (suffix: string): string | undefined => env[`${connection}${suffix}`]?.trim() || undefined;
  const connectionString = setting('');
  if (connectionString) return { kind: 'connectionString', connectionString };
  const accountName = setting('__accountName');
  const blobEndpoint =
    setting('__blobServiceUri') ?? (accountName ? `https://${accountName}.blob.core.windows.net` : undefined);
  const queueEndpoint =
    setting('__queueServiceUri') ??
    (accountName ? `https://${accountName}.queue.core.windows.net` : undefined);
  if (!blobEndpoint || !queueEndpoint) {
    throw new ConfigurationError(
      connection,
      `is required: a connection string, or ${connection}__accountName (or ${connection}__blobServiceUri and ` +
        `${connection}__queueServiceUri) for the managed identity.`,
    );
  }
  return { kind: 'identity', blobEndpoint, queueEndpoint, clientId: setting('__clientId') };
}
