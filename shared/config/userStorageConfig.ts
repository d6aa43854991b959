// USER_STORAGE_BLOB_ENDPOINT / USER_STORAGE_FILE_ENDPOINT: where users' storage accounts are reached to list the
// output directories VM nodes wrote on their mounts, as URL templates with `{accountName}`. Defaults: Azure's public
// cloud for blobs (`https://{accountName}.blob.core.windows.net`), a share's own `azureFileUrl` for files; other
// clouds, or local servers in tests, set them.
import type { UserStorageEndpoints } from '../adapters/storage/userStorageFiles';

function template(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value.replace(/\{accountName\}/g, 'account'));
  } catch {
    throw new Error(
      `${name} must be a URL template such as https://{accountName}.blob.core.windows.net, got '${value}'.`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`${name} must be an http(s) URL template, got '${value}'.`);
  }
  if (!value.includes('{accountName}')) {
    throw new Error(`${name} must contain {accountName}, got '${value}'.`);
  }
  return value;
}

export function readUserStorageEndpoints(
  env: Readonly<Record<string, string | undefined>>,
): UserStorageEndpoints {
  return {
    blobTemplate: template(env, 'USER_STORAGE_BLOB_ENDPOINT'),
    fileTemplate: template(env, 'USER_STORAGE_FILE_ENDPOINT'),
  };
}
