// Lists a job's directory (stdouterr or an output directory, of its latest attempt) from the job-files container,
// with read-only SAS download links: account-key SAS where the client has the key (Azurite, key-based accounts),
// user-delegation SAS under a managed identity.
import {
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
  type UserDelegationKey,
} from '@azure/storage-blob';
import { NotImplementedError, ValidationError } from '../../domain/errors';
import { STDOUTERR_DIRECTORY_ID } from '../../domain/jobLayout/jobOutputLayout';
import type { ResourceRef } from '../../domain/resourceId';
import type { ResourceRecord } from '../../domain/resourceRecord';
import type { JsonObject } from '../../domain/specValidator';
import type { JobFile, JobOutputFiles } from '../../ports/jobOutputFiles';
import type { ResourceStore } from '../../ports/resourceStore';
import { jobDirectoryBlobFolder } from './jobFileLocation';

export class BlobJobOutputFiles implements JobOutputFiles {
  constructor(
    private readonly blobs: BlobServiceClient,
    private readonly containerName: string,
    private readonly store: ResourceStore,
    /** True when output directories are copied into the container (local nodes); stdouterr always is. */
    private readonly outputsMirrored: boolean,
  ) {}

  async list(
    job: ResourceRecord,
    request: {
      outputDirectoryId: string;
      directory: string;
      linkExpiryInMinutes: number;
      maxResults: number;
    },
  ): Promise<JobFile[]> {
    const attempt = job.job?.attempts.length ?? 0;
    if (attempt === 0) return [];
    if (!this.outputsMirrored && request.outputDirectoryId.toLowerCase() !== STDOUTERR_DIRECTORY_ID) {
      throw new NotImplementedError(
        'Listing output directories on the mounted storage of VM nodes is not supported yet; only stdouterr is.',
      );
    }
    const clusterMountVolumes = await this.clusterMountVolumes(job);
    const folder = jobDirectoryBlobFolder(job, request.outputDirectoryId, attempt, clusterMountVolumes);
    const directory = request.directory
      .split('/')
      .filter((part) => part !== '' && part !== '.')
      .join('/');
    if (directory.split('/').includes('..')) {
      throw new ValidationError('directory', `'directory' must not contain '..'.`);
    }
    const prefix = `${folder}/${directory === '' ? '' : `${directory}/`}`;
    const container = this.blobs.getContainerClient(this.containerName);
    const expiresOn = new Date(Date.now() + request.linkExpiryInMinutes * 60_000);
    const sign = await this.signer(expiresOn);
    const files: JobFile[] = [];
    for await (const item of container.listBlobsByHierarchy('/', { prefix })) {
      if (files.length >= request.maxResults) break;
      const name = item.name.slice(prefix.length);
      if (item.kind === 'prefix') {
        files.push({ name: name.replace(/\/$/, ''), fileType: 'directory' });
      } else {
        files.push({
          name,
          fileType: 'file',
          downloadUrl: sign(item.name),
          properties: {
            lastModified: item.properties.lastModified?.toISOString(),
            contentLength: item.properties.contentLength,
          },
        });
      }
    }
    return files;
  }

  private async clusterMountVolumes(job: ResourceRecord): Promise<JsonObject | undefined> {
    const clusterId = job.job?.clusterId;
    if (!clusterId) return undefined;
    const [, , subscriptionId, , resourceGroup, , , , workspace, , name] = clusterId.split('/');
    const ref: ResourceRef = { kind: 'cluster', subscriptionId, resourceGroup, workspace, name };
    const cluster = await this.store.get(ref);
    const nodeSetup = cluster?.record.spec.nodeSetup as JsonObject | undefined;
    return nodeSetup?.mountVolumes as JsonObject | undefined;
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
