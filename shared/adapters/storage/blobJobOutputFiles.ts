// Lists a job's directory (stdouterr or an output directory, of its latest attempt) from the job-files container,
// with read-only SAS download links: account-key SAS where the client has the key (Azurite, key-based accounts),
// user-delegation SAS under a managed identity. On VM nodes output directories are not copied there: they are on
// the user's storage behind the job's or the cluster's mount, and are listed there (userStorageFiles.ts).
import { withContinuationToken } from '../continuationToken';
import {
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
  type UserDelegationKey,
} from '@azure/storage-blob';
import { ConflictError, NotImplementedError, ValidationError } from '../../domain/errors';
import type { VolumeLocation } from '../../domain/jobLayout/mountedPathResolver';
import { openSecrets } from '../../domain/services/secretSealing';
import type { SecretProtector } from '../../ports/secretProtector';
import { missingStderrs, STDOUTERR_DIRECTORY_ID } from '../../domain/jobLayout/jobOutputLayout';
import { describeError } from '../../logging/describeError';
import { getTelemetry } from '../../telemetry/telemetryFactory';
import type { ResourceRef } from '../../domain/resourceId';
import type { ResourceRecord } from '../../domain/resourceRecord';
import type { JsonObject } from '../../domain/specValidator';
import type { JobFile, JobFilesPage, JobFilesRequest, JobOutputFiles } from '../../ports/jobOutputFiles';
import type { ResourceStore } from '../../ports/resourceStore';
import { jobDirectoryLocation, volumeBlobFolder } from './jobFileLocation';
import {
  firstPage,
  inNameOrder,
  listBlobDirectory,
  listShareDirectory,
  type UserStorageEndpoints,
} from './userStorageFiles';

/** How a volume that cannot be listed is named in the answer. */
function volumeDescription(location: VolumeLocation): string {
  switch (location.kind) {
    case 'fileServer':
      return `the file server '${location.fileServerId}'`;
    case 'unmanagedFileSystem':
      return `the unmanaged file system mounted at '${location.relativeMountPath}'`;
    case 'nodeLocal':
      return `the nodes' own disks ('${location.path}'), which are not kept after the job`;
    default:
      return `the ${location.kind} at '${location.relativeMountPath}'`;
  }
}

/** Empty stderr blobs a listing makes concurrently. */
const stderrsMadeAtOnce = 16;

export class BlobJobOutputFiles implements JobOutputFiles {
  constructor(
    private readonly blobs: BlobServiceClient,
    private readonly containerName: string,
    private readonly store: ResourceStore,
    /** True when output directories are copied into the container (local nodes); stdouterr always is. */
    private readonly outputsMirrored: boolean,
    /** Opens the records' secrets (the mounts' account keys), to list outputs on the user's storage. */
    private readonly secrets?: SecretProtector,
    private readonly userStorage: UserStorageEndpoints = {},
  ) {}

  async list(job: ResourceRecord, request: JobFilesRequest): Promise<JobFilesPage> {
    const attempt = job.job?.attempts.length ?? 0;
    if (attempt === 0) return { files: [] };
    const cluster = await this.cluster(job);
    const clusterMountVolumes = (cluster?.spec.nodeSetup as JsonObject | undefined)?.mountVolumes as
      JsonObject | undefined;
    const location = jobDirectoryLocation(job, request.outputDirectoryId, attempt, clusterMountVolumes);
    const directory = request.directory
      .split('/')
      .filter((part) => part !== '' && part !== '.')
      .join('/');
    if (directory.split('/').includes('..')) {
      throw new ValidationError('directory', `'directory' must not contain '..'.`);
    }
    const expiresOn = new Date(Date.now() + request.linkExpiryInMinutes * 60_000);
    if (!this.outputsMirrored && request.outputDirectoryId.toLowerCase() !== STDOUTERR_DIRECTORY_ID) {
      const listing = {
        directory,
        expiresOn,
        maxResults: request.maxResults,
        continuationToken: request.continuationToken,
      };
      if (location.kind === 'azureBlobContainer') {
        const key = this.accountKey(job, cluster, location);
        return listBlobDirectory(location, key, listing, this.userStorage);
      }
      if (location.kind === 'azureFileShare') {
        const key = this.accountKey(job, cluster, location);
        return listShareDirectory(location, key, listing, this.userStorage);
      }
      throw new NotImplementedError(
        `The output directory '${request.outputDirectoryId}' is on ${volumeDescription(location)}: only output ` +
          'directories on Azure file shares and blob containers can be listed.',
      );
    }
    const folder = volumeBlobFolder(location);
    const prefix = `${folder}/${directory === '' ? '' : `${directory}/`}`;
    const sign = await this.signer(expiresOn);
    if (request.outputDirectoryId.toLowerCase() !== STDOUTERR_DIRECTORY_ID || directory !== '')
      return this.listPage(prefix, request, sign);
    // The stdouterr directory: a process that wrote nothing to stderr has no stderr blob (its agent makes one at
    // the first byte). As Batch AI listed both files of every process, the missing empty stderr beside each stdout
    // is made first; the page is then listed with it (within maxResults, and the same whichever page it falls on).
    const first =
      request.continuationToken === undefined ? await this.listPage(prefix, request, sign) : undefined;
    const names =
      first && !first.continuationToken
        ? first.files.filter((file) => file.fileType === 'file').map((file) => file.name) // all in one page
        : await this.namesUnder(`${prefix}std`, prefix); // several pages: every stdout and stderr name
    const missing = missingStderrs(names);
    if (missing.length === 0 && first) return first;
    // A few at a time: a job of thousands of silent ranks lists thousands of them once.
    for (let i = 0; i < missing.length; i += stderrsMadeAtOnce) {
      const batch = missing.slice(i, i + stderrsMadeAtOnce);
      await Promise.all(batch.map((name) => this.makeEmptyStderr(`${prefix}${name}`)));
    }
    return this.listPage(prefix, request, sign);
  }

  /** Every blob name under `namePrefix` (all pages), relative to `prefix`. */
  private async namesUnder(namePrefix: string, prefix: string): Promise<string[]> {
    const names: string[] = [];
    const container = this.blobs.getContainerClient(this.containerName);
    for await (const blob of container.listBlobsFlat({ prefix: namePrefix })) {
      names.push(blob.name.slice(prefix.length));
    }
    return names;
  }

  /**
   * Makes an empty stderr blob unless one exists (an agent that writes later appends to it). Best effort: a
   * failure is reported and the listing answers without it (the next listing tries again).
   */
  private async makeEmptyStderr(blobName: string): Promise<void> {
    try {
      await this.blobs
        .getContainerClient(this.containerName)
        .getAppendBlobClient(blobName)
        .createIfNotExists({ blobHTTPHeaders: { blobContentType: 'text/plain; charset=utf-8' } });
    } catch (error: unknown) {
      getTelemetry().trace(
        `The empty stderr ${this.containerName}/${blobName} could not be made (${describeError(error)}); the ` +
          'files listing answers without it.',
        'warning',
        { blob: `${this.containerName}/${blobName}` },
      );
    }
  }

  private async listPage(
    prefix: string,
    request: JobFilesRequest,
    sign: (blobName: string) => string,
  ): Promise<JobFilesPage> {
    const container = this.blobs.getContainerClient(this.containerName);
    const { segment, continuationToken } = await withContinuationToken(request.continuationToken, () =>
      firstPage(
        container
          .listBlobsByHierarchy('/', { prefix })
          .byPage({ maxPageSize: request.maxResults, continuationToken: request.continuationToken }),
      ),
    );
    const files: JobFile[] = segment.blobPrefixes
      ? segment.blobPrefixes.map((p) => ({
          name: p.name.slice(prefix.length).replace(/\/$/, ''),
          fileType: 'directory',
        }))
      : [];
    for (const item of segment.blobItems) {
      files.push({
        name: item.name.slice(prefix.length),
        fileType: 'file',
        downloadUrl: sign(item.name),
        properties: {
          lastModified: item.properties.lastModified?.toISOString(),
          contentLength: item.properties.contentLength,
        },
      });
    }
    return { files: inNameOrder(files), continuationToken: continuationToken || undefined };
  }

  private async cluster(job: ResourceRecord): Promise<ResourceRecord | undefined> {
    const clusterId = job.job?.clusterId;
    if (!clusterId) return undefined;
    const [, , subscriptionId, , resourceGroup, , , , workspace, , name] = clusterId.split('/');
    const ref: ResourceRef = { kind: 'cluster', subscriptionId, resourceGroup, workspace, name };
    return (await this.store.get(ref))?.record;
  }

  /** The account key of the mount behind `location`, from the job's or the cluster's sealed secrets. */
  private accountKey(
    job: ResourceRecord,
    cluster: ResourceRecord | undefined,
    location: Extract<VolumeLocation, { kind: 'azureBlobContainer' | 'azureFileShare' }>,
  ): string {
    const record = location.scope === 'job' ? job : cluster;
    const path = `${location.recordPath}.credentials.accountKey`;
    const key = record && this.secrets ? openSecrets(this.secrets, record)[path] : undefined;
    if (key !== undefined) return key;
    throw new ConflictError(
      'UserStorageCredentialsMissing',
      `The files of the mount '${location.relativeMountPath}' cannot be listed: the mount has no storage account ` +
        `key (${location.recordPath}.credentials: without one, its nodes use their managed identity, which this ` +
        `listing does not).`,
    );
  }

  /** Returns a function giving the read-only SAS URL of a blob of the container. */
  private async signer(expiresOn: Date): Promise<(blobName: string) => string> {
    const container = this.blobs.getContainerClient(this.containerName);
    const permissions = BlobSASPermissions.parse('r');
    const credential = this.blobs.credential;
    if (credential instanceof StorageSharedKeyCredential) {
      return (blobName) => {
        const blob = container.getBlobClient(blobName);
        const sas = generateBlobSASQueryParameters(
          { containerName: this.containerName, blobName, permissions, expiresOn },
          credential,
        );
        return `${blob.url}?${sas.toString()}`;
      };
    }
    const key: UserDelegationKey = await this.blobs.getUserDelegationKey(new Date(), expiresOn);
    return (blobName) => {
      const blob = container.getBlobClient(blobName);
      const sas = generateBlobSASQueryParameters(
        { containerName: this.containerName, blobName, permissions, expiresOn },
        key,
        this.blobs.accountName,
      );
      return `${blob.url}?${sas.toString()}`;
    };
  }
}
