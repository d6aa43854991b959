// Lists a job directory where VM nodes wrote it: on the user's own storage behind the mount (an Azure file share
// over SMB, a blob container through blobfuse2), signed in with the mount's account key, with read-only SAS links
// signed by that key. Endpoints follow the account name (USER_STORAGE_BLOB_ENDPOINT / USER_STORAGE_FILE_ENDPOINT
// templates for other clouds and local servers; a share's own URL otherwise).
import {
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential as BlobKeyCredential,
} from '@azure/storage-blob';
import {
  FileSASPermissions,
  generateFileSASQueryParameters,
  ShareServiceClient,
  StorageSharedKeyCredential as FileKeyCredential,
} from '@azure/storage-file-share';
import { ConflictError } from '../../domain/errors';
import type { VolumeLocation } from '../../domain/jobLayout/mountedPathResolver';
import type { JobFile } from '../../ports/jobOutputFiles';

export interface UserStorageEndpoints {
  /** `{accountName}` stands for the account; default `https://{accountName}.blob.core.windows.net`. */
  blobTemplate?: string;
  /** `{accountName}` stands for the account; default: the origin of the share's `azureFileUrl`. */
  fileTemplate?: string;
}

export interface ListRequest {
  /** Inside the job directory, without leading or trailing '/', '' for its root. */
  directory: string;
  expiresOn: Date;
  maxResults: number;
}

type BlobLocation = Extract<VolumeLocation, { kind: 'azureBlobContainer' }>;
type ShareLocation = Extract<VolumeLocation, { kind: 'azureFileShare' }>;

/**
 * What the user's storage answered, for the caller: a directory not written yet lists empty; a missing share or
 * container, refused credentials or an unreachable account are 409s that say which (never a 500).
 */
function storageFailure(error: unknown, what: string, accountName: string): JobFile[] {
  const { statusCode, code, message } = error as { statusCode?: number; code?: string; message?: string };
  if (statusCode === 404 && (code === 'ResourceNotFound' || code === 'ParentNotFound')) return [];
  if (statusCode === 404) {
    throw new ConflictError(
      'UserStorageNotFound',
      `The ${what} of storage account '${accountName}' does not exist.`,
    );
  }
  if (statusCode === 403) {
    throw new ConflictError(
      'UserStorageAccessDenied',
      `The storage account '${accountName}' refused the mount's account key for the ${what} (${code ?? 403}).`,
    );
  }
  throw new ConflictError(
    'UserStorageUnavailable',
    `The ${what} of storage account '${accountName}' could not be listed: ${statusCode ? `${statusCode} ${code ?? ''} ` : ''}${message ?? String(error)}`,
  );
}

function fileEntry(
  name: string,
  downloadUrl: string,
  properties: { lastModified?: Date; contentLength?: number },
): JobFile {
  return {
    name,
    fileType: 'file',
    downloadUrl,
    properties: {
      lastModified: properties.lastModified?.toISOString(),
      contentLength: properties.contentLength,
    },
  };
}

function endpoint(template: string | undefined, accountName: string, fallback: string): string {
  return (template ?? fallback).replace(/\{accountName\}/g, accountName).replace(/\/+$/, '');
}

/** The directory's files and subdirectories in a blob container (one level, like `ls`). */
export async function listBlobDirectory(
  location: BlobLocation,
  accountKey: string,
  request: ListRequest,
  endpoints: UserStorageEndpoints = {},
): Promise<JobFile[]> {
  const credential = new BlobKeyCredential(location.accountName, accountKey);
  const service = new BlobServiceClient(
    endpoint(endpoints.blobTemplate, location.accountName, 'https://{accountName}.blob.core.windows.net'),
    credential,
  );
  const container = service.getContainerClient(location.containerName);
  const prefix = `${location.blobPrefix}${request.directory === '' ? '' : `${request.directory}/`}`;
  const permissions = BlobSASPermissions.parse('r');
  const files: JobFile[] = [];
  try {
    for await (const item of container.listBlobsByHierarchy('/', { prefix })) {
      if (files.length >= request.maxResults) break;
      const name = item.name.slice(prefix.length);
      if (item.kind === 'prefix') {
        files.push({ name: name.replace(/\/$/, ''), fileType: 'directory' });
        continue;
      }
      const sas = generateBlobSASQueryParameters(
        {
          containerName: location.containerName,
          blobName: item.name,
          permissions,
          expiresOn: request.expiresOn,
        },
        credential,
      );
      files.push(
        fileEntry(name, `${container.getBlobClient(item.name).url}?${sas.toString()}`, item.properties),
      );
    }
  } catch (error: unknown) {
    return storageFailure(error, `container '${location.containerName}'`, location.accountName);
  }
  return files;
}

/** The directory's files and subdirectories on an Azure file share (one level). */
export async function listShareDirectory(
  location: ShareLocation,
  accountKey: string,
  request: ListRequest,
  endpoints: UserStorageEndpoints = {},
): Promise<JobFile[]> {
  const credential = new FileKeyCredential(location.accountName, accountKey);
  const service = new ShareServiceClient(
    endpoint(endpoints.fileTemplate, location.accountName, new URL(location.azureFileUrl).origin),
    credential,
  );
  const share = service.getShareClient(location.shareName);
  const path = [location.directory, request.directory].filter((part) => part !== '').join('/');
  const directory = share.getDirectoryClient(path);
  const permissions = FileSASPermissions.parse('r');
  const files: JobFile[] = [];
  try {
    for await (const item of directory.listFilesAndDirectories({ includeTimestamps: true })) {
      if (files.length >= request.maxResults) break;
      if (item.kind === 'directory') {
        files.push({ name: item.name, fileType: 'directory' });
        continue;
      }
      const filePath = path === '' ? item.name : `${path}/${item.name}`;
      const sas = generateFileSASQueryParameters(
        { shareName: location.shareName, filePath, permissions, expiresOn: request.expiresOn },
        credential,
      );
      files.push(
        fileEntry(item.name, `${directory.getFileClient(item.name).url}?${sas.toString()}`, item.properties),
      );
    }
  } catch (error: unknown) {
    // A directory nothing was written to yet does not exist on a share (a blob prefix simply lists nothing).
    return storageFailure(error, `share '${location.shareName}'`, location.accountName);
  }
  return files;
}
