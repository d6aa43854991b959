// Lists a job directory where VM nodes wrote it: on the user's own storage behind the mount (an Azure file share
// over SMB, a blob container through blobfuse2), signed in with the mount's account key, with read-only SAS links
// signed by that key. Endpoints follow the account name (USER_STORAGE_BLOB_ENDPOINT / USER_STORAGE_FILE_ENDPOINT
// templates for other clouds and local servers; a share's own URL otherwise).
import { withContinuationToken } from '../continuationToken';
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
import { ConflictError, ValidationError } from '../../domain/errors';
import type { VolumeLocation } from '../../domain/jobLayout/mountedPathResolver';
import type { JobFile, JobFilesPage } from '../../ports/jobOutputFiles';

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
  /** Where the previous page ended (the storage service's marker); absent for the first page. */
  continuationToken?: string;
}

/** A page's entries in name order, directories among files (the services return them in two lists). */
export function inNameOrder(files: JobFile[]): JobFile[] {
  return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The one page a `byPage({ maxPageSize, continuationToken })` listing is asked for. */
export async function firstPage<T>(pages: AsyncIterableIterator<T>): Promise<T> {
  const { value, done } = await pages.next();
  if (done) throw new Error('The storage listing returned no page.');
  return value;
}

type BlobLocation = Extract<VolumeLocation, { kind: 'azureBlobContainer' }>;
type ShareLocation = Extract<VolumeLocation, { kind: 'azureFileShare' }>;

/**
 * What the user's storage answered, for the caller: a directory not written yet lists empty; a missing share or
 * container, refused credentials or an unreachable account are 409s that say which (never a 500).
 */
function storageFailure(error: unknown, what: string, accountName: string): JobFilesPage {
  const { statusCode, code, message } = error as { statusCode?: number; code?: string; message?: string };
  if (statusCode === 404 && (code === 'ResourceNotFound' || code === 'ParentNotFound')) return { files: [] };
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

/** The Azure clouds' storage DNS suffixes: files are listed only at `<accountName>.(blob|file).<suffix>`. */
const fileHostSuffixes = [
  'core.windows.net',
  'core.chinacloudapi.cn',
  'core.usgovcloudapi.net',
  'core.cloudapi.de',
];

/**
 * The endpoint the listing calls, from the template (or the default) with the account's name. The name comes from a
 * body, so it must be a storage account name, and a share's own URL must be that account's on an Azure cloud: the
 * control plane never sends requests (from inside its network) to hosts a user chose.
 */
function endpoint(template: string | undefined, accountName: string, fallback: string): string {
  if (!/^[a-z0-9]{3,24}$/.test(accountName)) {
    throw new ConflictError(
      'UserStorageNotListable',
      `'${accountName}' is not a storage account name (3 to 24 lower-case letters and digits): its files cannot be listed.`,
    );
  }
  const url = (template ?? fallback).replace(/\{accountName\}/g, accountName).replace(/\/+$/, '');
  if (template === undefined) {
    const host = new URL(url).hostname.toLowerCase();
    const allowed = (suffix: string): boolean =>
      host === `${accountName}.blob.${suffix}` || host === `${accountName}.file.${suffix}`;
    if (!fileHostSuffixes.some(allowed)) {
      throw new ConflictError(
        'UserStorageNotListable',
        `'${host}' is not the Azure Files or Blob endpoint of storage account '${accountName}': its files cannot be listed.`,
      );
    }
  }
  return url;
}

/** The directory's files and subdirectories in a blob container (one level, like `ls`). */
export async function listBlobDirectory(
  location: BlobLocation,
  accountKey: string,
  request: ListRequest,
  endpoints: UserStorageEndpoints = {},
): Promise<JobFilesPage> {
  const credential = new BlobKeyCredential(location.accountName, accountKey);
  const service = new BlobServiceClient(
    endpoint(endpoints.blobTemplate, location.accountName, 'https://{accountName}.blob.core.windows.net'),
    credential,
  );
  const container = service.getContainerClient(location.containerName);
  const prefix = `${location.blobPrefix}${request.directory === '' ? '' : `${request.directory}/`}`;
  const permissions = BlobSASPermissions.parse('r');
  try {
    const { segment, continuationToken } = await withContinuationToken(request.continuationToken, () =>
      firstPage(
        container
          .listBlobsByHierarchy('/', { prefix })
          .byPage({ maxPageSize: request.maxResults, continuationToken: request.continuationToken }),
      ),
    );
    const files: JobFile[] = (segment.blobPrefixes ?? []).map((p) => ({
      name: p.name.slice(prefix.length).replace(/\/$/, ''),
      fileType: 'directory',
    }));
    for (const item of segment.blobItems) {
      const sas = generateBlobSASQueryParameters(
        {
          containerName: location.containerName,
          blobName: item.name,
          permissions,
          expiresOn: request.expiresOn,
        },
        credential,
      );
      const url = `${container.getBlobClient(item.name).url}?${sas.toString()}`;
      files.push(fileEntry(item.name.slice(prefix.length), url, item.properties));
    }
    return { files: inNameOrder(files), continuationToken: continuationToken || undefined };
  } catch (error: unknown) {
    if (error instanceof ValidationError) throw error; // the caller's page token
    return storageFailure(error, `container '${location.containerName}'`, location.accountName);
  }
}

/** The directory's files and subdirectories on an Azure file share (one level). */
export async function listShareDirectory(
  location: ShareLocation,
  accountKey: string,
  request: ListRequest,
  endpoints: UserStorageEndpoints = {},
): Promise<JobFilesPage> {
  const credential = new FileKeyCredential(location.accountName, accountKey);
  const service = new ShareServiceClient(
    endpoint(endpoints.fileTemplate, location.accountName, new URL(location.azureFileUrl).origin),
    credential,
  );
  const share = service.getShareClient(location.shareName);
  const path = [location.directory, request.directory].filter((part) => part !== '').join('/');
  const directory = share.getDirectoryClient(path);
  const permissions = FileSASPermissions.parse('r');
  try {
    const { segment, continuationToken } = await withContinuationToken(request.continuationToken, () =>
      firstPage(
        directory
          .listFilesAndDirectories({ includeTimestamps: true })
          .byPage({ maxPageSize: request.maxResults, continuationToken: request.continuationToken }),
      ),
    );
    const files: JobFile[] = segment.directoryItems.map((item) => ({
      name: item.name,
      fileType: 'directory',
    }));
    for (const item of segment.fileItems) {
      const filePath = path === '' ? item.name : `${path}/${item.name}`;
      const sas = generateFileSASQueryParameters(
        { shareName: location.shareName, filePath, permissions, expiresOn: request.expiresOn },
        credential,
      );
      const url = `${directory.getFileClient(item.name).url}?${sas.toString()}`;
      files.push(fileEntry(item.name, url, item.properties));
    }
    return { files: inNameOrder(files), continuationToken: continuationToken || undefined };
  } catch (error: unknown) {
    if (error instanceof ValidationError) throw error; // the caller's page token
    // A directory nothing was written to yet does not exist on a share (a blob prefix simply lists nothing).
    return storageFailure(error, `share '${location.shareName}'`, location.accountName);
  }
}
