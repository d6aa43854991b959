// Maps a node path under $AZ_BATCHAI_JOB_MOUNT_ROOT or $AZ_BATCHAI_MOUNT_ROOT to the storage behind the mount
// (an Azure file share, a blob container, a file server, an unmanaged file system), so a job's output and
// stdouterr directories can be listed in storage with download links after the nodes are gone.
import { ValidationError } from '../errors';
import type { JsonObject } from '../specValidator';
import { joinPosix, relativeTo } from './posixPath';

interface MountedBase {
  /** Which mountVolumes the path is under: the job's or the cluster's nodeSetup. */
  scope: 'job' | 'cluster';
  /** The volume's JSON path in its record (`properties.mountVolumes.azureFileShares[0]`): where its secrets are. */
  recordPath: string;
  relativeMountPath: string;
  /** Where the volume is mounted on the node. */
  mountPath: string;
}

export type VolumeLocation =
  | (MountedBase & {
      kind: 'azureFileShare';
      accountName: string;
      azureFileUrl: string;
      shareName: string;
      /** Directory inside the share ('' for its root), without leading or trailing '/'. */
      directory: string;
    })
  | (MountedBase & {
      kind: 'azureBlobContainer';
      accountName: string;
      containerName: string;
      /** Blob name prefix of the directory ('' for the container root, else ending with '/'). */
      blobPrefix: string;
    })
  | (MountedBase & { kind: 'fileServer'; fileServerId: string; directory: string })
  | (MountedBase & { kind: 'unmanagedFileSystem'; mountCommand: string; directory: string })
  /** Not on any mounted volume: the files live on the node only (e.g. under $AZ_BATCHAI_JOB_TEMP). */
  | { kind: 'nodeLocal'; path: string };

export interface MountContext {
  mountRoot: string;
  jobMountRoot: string;
  jobMountVolumes?: JsonObject;
  clusterMountVolumes?: JsonObject;
}

interface Candidate {
  scope: 'job' | 'cluster';
  field: string;
  kind: 'azureFileShares' | 'azureBlobFileSystems' | 'fileServers' | 'unmanagedFileSystems';
  volume: JsonObject;
  mountPath: string;
}

/** The volume holding `path` (absolute, variables already expanded); the deepest mount wins. */
export function locateOnVolume(path: string, context: MountContext): VolumeLocation {
  const candidates = [
    ...candidatesOf('job', 'properties.mountVolumes', context.jobMountVolumes, context.jobMountRoot),
    ...candidatesOf('cluster', 'nodeSetup.mountVolumes', context.clusterMountVolumes, context.mountRoot),
  ]
    .map((candidate) => ({ candidate, rest: relativeTo(candidate.mountPath, path) }))
    .filter((entry): entry is { candidate: Candidate; rest: string } => entry.rest !== undefined)
    .sort((a, b) => b.candidate.mountPath.length - a.candidate.mountPath.length);
  if (candidates.length === 0) return { kind: 'nodeLocal', path: joinPosix(path) };
  const { candidate, rest } = candidates[0];
  const base = {
    scope: candidate.scope,
    recordPath: `properties.${candidate.field.replace(/^properties\./, '')}`,
    relativeMountPath: String(candidate.volume.relativeMountPath),
    mountPath: candidate.mountPath,
  };
  const { volume, field } = candidate;
  switch (candidate.kind) {
    case 'azureFileShares': {
      const url = text(volume.azureFileUrl, `${field}.azureFileUrl`);
      const { accountName, shareName, directory } = parseAzureFileUrl(url, `${field}.azureFileUrl`);
      return {
        ...base,
        kind: 'azureFileShare',
        accountName: typeof volume.accountName === 'string' ? volume.accountName : accountName,
        azureFileUrl: url,
        shareName,
        directory: trimSlashes(joinPosix(directory, rest)),
      };
    }
    case 'azureBlobFileSystems': {
      const prefix = trimSlashes(rest);
      return {
        ...base,
        kind: 'azureBlobContainer',
        accountName: text(volume.accountName, `${field}.accountName`),
        containerName: text(volume.containerName, `${field}.containerName`),
        blobPrefix: prefix === '' ? '' : `${prefix}/`,
      };
    }
    case 'fileServers': {
      const server = volume.fileServer as JsonObject | undefined;
      return {
        ...base,
        kind: 'fileServer',
        fileServerId: text(server?.id, `${field}.fileServer.id`),
        directory: trimSlashes(
          joinPosix(typeof volume.sourceDirectory === 'string' ? volume.sourceDirectory : '', rest),
        ),
      };
    }
    case 'unmanagedFileSystems':
      return {
        ...base,
        kind: 'unmanagedFileSystem',
        mountCommand: text(volume.mountCommand, `${field}.mountCommand`),
        directory: trimSlashes(rest),
      };
  }
}

const volumeKinds = [
  'azureFileShares',
  'azureBlobFileSystems',
  'fileServers',
  'unmanagedFileSystems',
] as const;

function candidatesOf(
  scope: 'job' | 'cluster',
  field: string,
  volumes: JsonObject | undefined,
  root: string,
): Candidate[] {
  if (!volumes) return [];
  return volumeKinds.flatMap((kind) => {
    const list = volumes[kind];
    if (list === undefined) return [];
    if (!Array.isArray(list))
      throw new ValidationError(`${field}.${kind}`, `'${field}.${kind}' must be an array.`);
    return list.map((entry, index): Candidate => {
      const entryField = `${field}.${kind}[${index}]`;
      const volume = entry as JsonObject;
      const relative = text(volume?.relativeMountPath, `${entryField}.relativeMountPath`);
      return { scope, field: entryField, kind, volume, mountPath: joinPosix(root, relative) };
    });
  });
}

/** `https://<account>.file.core.windows.net/<share>[/<directory>]` (any host: emulators and sovereign clouds). */
export function parseAzureFileUrl(
  url: string,
  field: string,
): { accountName: string; shareName: string; directory: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ValidationError(field, `'${field}' is not a URL: '${url}'.`);
  }
  const [shareName, ...rest] = parsed.pathname.split('/').filter((part) => part !== '');
  if (!shareName)
    throw new ValidationError(
      field,
      `'${field}' must name a share: https://<account>.file.core.windows.net/<share>.`,
    );
  return {
    accountName: parsed.hostname.split('.')[0],
    shareName: decodeURIComponent(shareName),
    directory: rest.map(decodeURIComponent).join('/'),
  };
}

function text(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '')
    throw new ValidationError(field, `'${field}' must be a non-empty string.`);
  return value;
}

function trimSlashes(value: string): string {
  return value.replace(/^\/+|\/+$/g, '');
}
