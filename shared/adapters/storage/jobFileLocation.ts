// Where a job's files are kept in blob storage: a directory of a node (stdouterr, an output directory) is mapped to
// the volume mounted there (locateOnVolume), and the volume's content is mirrored under one folder of the job-files
// container, so the same name is computed by the launcher (where the agent streams stdout/stderr) and the lister.
import { jobDirectories, STDOUTERR_DIRECTORY_ID } from '../../domain/jobLayout/jobOutputLayout';
import { locateOnVolume, type VolumeLocation } from '../../domain/jobLayout/mountedPathResolver';
import { batchAiNodeFileSystem, jobNodePaths, jobPathVariables } from '../../domain/jobLayout/nodeFileSystem';
import { ValidationError } from '../../domain/errors';
import type { ResourceRecord } from '../../domain/resourceRecord';
import type { JsonObject } from '../../domain/specValidator';

/** Joins path parts into a blob folder: no empty segments, no leading or trailing '/'. */
function folderOf(...parts: string[]): string {
  return parts
    .flatMap((part) => part.split('/'))
    .filter((segment) => segment !== '')
    .join('/');
}

/** The blob folder (no leading or trailing '/') that stands for a location on a mounted volume. */
export function volumeBlobFolder(location: VolumeLocation): string {
  switch (location.kind) {
    case 'azureFileShare':
      return folderOf('files', location.accountName, location.shareName, location.directory);
    case 'azureBlobContainer':
      return folderOf('blobs', location.accountName, location.containerName, location.blobPrefix);
    case 'fileServer':
      return folderOf('fileservers', location.fileServerId.toLowerCase(), location.directory);
    case 'unmanagedFileSystem':
      return folderOf('unmanaged', location.relativeMountPath, location.directory);
    case 'nodeLocal':
      return folderOf('nodes', location.path);
  }
}

/**
 * Blob folder of a job directory ('stdouterr' or an output directory id) for one attempt. Paths are resolved with
 * Batch AI's node roots: the folder depends only on the path inside the volume, not on where a node mounts it.
 */
export function jobDirectoryBlobFolder(
  job: ResourceRecord,
  directoryId: string,
  attempt: number,
  clusterMountVolumes: JsonObject | undefined,
): string {
  return volumeBlobFolder(jobDirectoryLocation(job, directoryId, attempt, clusterMountVolumes));
}

/** Where a job directory ('stdouterr' or an output directory id) of one attempt is: the volume behind its path. */
export function jobDirectoryLocation(
  job: ResourceRecord,
  directoryId: string,
  attempt: number,
  clusterMountVolumes: JsonObject | undefined,
): VolumeLocation {
  if (!job.job) throw new Error(`'${job.armId}' is not a job.`);
  const paths = jobNodePaths(batchAiNodeFileSystem, job.job.uuid);
  const directories = jobDirectories(
    job.spec,
    String(job.status.jobOutputDirectoryPathSegment),
    attempt,
    jobPathVariables(paths),
  );
  let directory: string | undefined;
  if (directoryId.toLowerCase() === STDOUTERR_DIRECTORY_ID) directory = directories.stdOutErr;
  else {
    const id = Object.keys(directories.outputs).find(
      (key) => key.toLowerCase() === directoryId.toLowerCase(),
    );
    directory = id === undefined ? undefined : directories.outputs[id];
  }
  if (directory === undefined) {
    throw new ValidationError('outputdirectoryid', `The job has no output directory '${directoryId}'.`);
  }
  return locateOnVolume(directory, {
    mountRoot: paths.mountRoot,
    jobMountRoot: paths.jobMountRoot,
    jobMountVolumes: job.spec.mountVolumes as JsonObject | undefined,
    clusterMountVolumes,
  });
}
