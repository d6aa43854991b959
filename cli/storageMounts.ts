// az's storage conveniences for cluster and job creation: one Azure File share, blob container and file server
// from flags (--afs-name, --bfs-name, --nfs), and mount volumes from a config file completed with the storage
// account's name and key (az looked the key up in ARM; here it comes from --storage-account-key).
import type { AzureStorageCredentialsInfo, MountVolumes } from '../shared/client/batchAiTypes';
import type { OptionSpec } from './argumentParser';
import type { CommandOptions } from './commandOptions';
import type { StorageAccount } from './configFile';
import { UsageError } from './usageError';

export const storageAccountOptions: readonly OptionSpec[] = [
  {
    name: 'storage-account-name',
    type: 'string',
    env: 'AZURE_BATCHAI_STORAGE_ACCOUNT',
    description: 'Storage account of the Azure File shares and blob containers to mount.',
  },
  {
    name: 'storage-account-key',
    type: 'string',
    env: 'AZURE_BATCHAI_STORAGE_KEY',
    secret: true,
    description: 'Key of that storage account (or AZURE_BATCHAI_STORAGE_KEY).',
  },
];

export const mountOptions: readonly OptionSpec[] = [
  ...storageAccountOptions,
  {
    name: 'afs-name',
    type: 'string',
    description: 'Azure File share to mount (needs --storage-account-name).',
  },
  {
    name: 'afs-mount-path',
    type: 'string',
    default: 'afs',
    description: 'Relative mount path of the share.',
  },
  {
    name: 'bfs-name',
    type: 'string',
    description: 'Blob container to mount (needs --storage-account-name).',
  },
  {
    name: 'bfs-mount-path',
    type: 'string',
    default: 'bfs',
    description: 'Relative mount path of the container.',
  },
  { name: 'nfs', type: 'string', description: 'Name or ARM id of a file server to mount.' },
  {
    name: 'nfs-mount-path',
    type: 'string',
    default: 'nfs',
    description: 'Relative mount path of the file server.',
  },
];

export function storageAccount(options: CommandOptions): StorageAccount {
  return { name: options.text('storage-account-name'), key: options.text('storage-account-key') };
}

/**
 * Adds the flag-given volumes to `volumes` (from the config file) and fills missing account names and credentials.
 * `at` is the JSON path of `volumes` in the request body, used in error messages.
 */
export function completeMountVolumes(
  volumes: MountVolumes | undefined,
  options: CommandOptions,
  fileServerId: (nameOrId: string) => string,
  at: string,
): MountVolumes | undefined {
  const storage = storageAccount(options);
  const result: MountVolumes = { ...volumes };
  const afsName = options.text('afs-name');
  const bfsName = options.text('bfs-name');
  if ((afsName || bfsName) && !storage.name) {
    throw new UsageError(
      `${afsName ? '--afs-name' : '--bfs-name'} needs --storage-account-name (or AZURE_BATCHAI_STORAGE_ACCOUNT).`,
    );
  }
  if (afsName) {
    result.azureFileShares = [
      ...(result.azureFileShares ?? []),
      {
        accountName: storage.name as string,
        azureFileUrl: `https://${storage.name}.file.core.windows.net/${afsName}`,
        credentials: {},
        relativeMountPath: options.text('afs-mount-path') ?? 'afs',
      },
    ];
  }
  if (bfsName) {
    result.azureBlobFileSystems = [
      ...(result.azureBlobFileSystems ?? []),
      {
        accountName: storage.name as string,
        containerName: bfsName,
        credentials: {},
        relativeMountPath: options.text('bfs-mount-path') ?? 'bfs',
      },
    ];
  }
  const nfs = options.text('nfs');
  if (nfs) {
    result.fileServers = [
      ...(result.fileServers ?? []),
      { fileServer: { id: fileServerId(nfs) }, relativeMountPath: options.text('nfs-mount-path') ?? 'nfs' },
    ];
  }
  (result.azureFileShares ?? []).forEach((share, i) => {
    const where = `${at}.azureFileShares[${i}]`;
    share.accountName ||= accountFromFileUrl(share.azureFileUrl) ?? storage.name ?? '';
    if (!share.accountName)
      throw new UsageError(`${where}.accountName is missing: give --storage-account-name.`);
    share.credentials = credentialsFor(share.accountName, share.credentials, storage, where);
  });
  (result.azureBlobFileSystems ?? []).forEach((container, i) => {
    const where = `${at}.azureBlobFileSystems[${i}]`;
    container.accountName ||= storage.name ?? '';
    if (!container.accountName)
      throw new UsageError(`${where}.accountName is missing: give --storage-account-name.`);
    container.credentials = credentialsFor(container.accountName, container.credentials, storage, where);
  });
  return Object.keys(result).length === 0 ? undefined : result;
}

function accountFromFileUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const host = new URL(url).hostname;
    return host.includes('.file.') ? host.split('.')[0] : undefined;
  } catch {
    return undefined;
  }
}

function credentialsFor(
  accountName: string,
  given: AzureStorageCredentialsInfo | undefined,
  storage: StorageAccount,
  where: string,
): AzureStorageCredentialsInfo {
  if (given && (given.accountKey || given.accountKeySecretReference)) return given;
  if (storage.key && (!storage.name || storage.name === accountName)) return { accountKey: storage.key };
  throw new UsageError(
    `${where}.credentials: no key for storage account '${accountName}': give --storage-account-key ` +
      '(or AZURE_BATCHAI_STORAGE_KEY), or credentials in the config file.',
  );
}
