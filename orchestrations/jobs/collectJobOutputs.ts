// Local nodes only (part of CompleteJobAttempt): copies an attempt's output directories from the directory standing for their mount into the
// job-files container, where listOutputFiles finds them (on VMs the outputs live on the real mounted storage and
// are not copied). Idempotent: a file uploaded twice is the same blob. Once the job has ended, its temp directory,
// which its cluster's local nodes share, is removed (a VM's agent wipes its own disk's: agent/jobTempCleanup.ts).
import * as fs from 'fs';
import * as path from 'path';
import { jobFilesContainer } from '../../shared/config/resourceNames';
import { jobDirectoryBlobFolder, nodePathVariables } from '../../shared/adapters/storage/jobFileLocation';
import { isApiError } from '../../shared/domain/errors';
import { jobDirectories } from '../../shared/domain/jobLayout/jobOutputLayout';
import { jobNodePaths } from '../../shared/domain/jobLayout/nodeFileSystem';
import type { JsonObject } from '../../shared/domain/specValidator';
import type { CollectJobOutputsInput } from './jobLifecycleContract';
import { clusterRefOfKey } from './jobRecords';
import type { ResourceRecord } from '../../shared/domain/resourceRecord';
import { getJobServices } from './jobServices';

function filesUnder(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(root, entry.name);
    if (entry.isDirectory()) return filesUnder(full);
    return entry.isFile() ? [full] : [];
  });
}

/** Returns how many files were copied. `job`: the job's record as the caller read it. */
export async function collectJobOutputs(
  input: CollectJobOutputsInput,
  job: ResourceRecord | undefined,
): Promise<number> {
  const services = getJobServices();
  const fileSystem = services.nodeFileSystem(input.lifecycle.clusterKey);
  if (!fileSystem) return 0;
  if (!job?.job || job.job.uuid !== input.lifecycle.jobUuid) return 0;
  if (!Array.isArray(job.spec.outputDirectories) || job.spec.outputDirectories.length === 0) return 0;
  const cluster = await services.store.get(clusterRefOfKey(input.lifecycle.clusterKey));
  const clusterMountVolumes = (cluster?.record.spec.nodeSetup as JsonObject | undefined)?.mountVolumes as
    JsonObject | undefined;
  const paths = jobNodePaths(fileSystem, job.job.uuid);
  let directories;
  try {
    const segment = String(job.status.jobOutputDirectoryPathSegment);
    directories = jobDirectories(job.spec, segment, input.attempt, nodePathVariables(paths));
  } catch (error: unknown) {
    if (isApiError(error)) return 0; // settings the launch refused already: the job fails with that reason
    throw error;
  }
  const container = services.blobs.getContainerClient(jobFilesContainer);
  let copied = 0;
  for (const [id, directory] of Object.entries(directories.outputs)) {
    const folder = jobDirectoryBlobFolder(job, id, input.attempt, clusterMountVolumes);
    for (const file of filesUnder(directory)) {
      const relative = path.relative(directory, file).split(path.sep).join('/');
      await container.getBlockBlobClient(`${folder}/${relative}`).uploadFile(file);
      copied++;
    }
  }
  return copied;
}

/**
 * Removes an ended job's temp directory ($AZ_BATCHAI_JOB_TEMP, by job GUID) from its local cluster's shared
 * directory, after its outputs were collected. Nothing on VMs. Idempotent.
 */
export async function removeLocalJobTemp(clusterKey: string, jobUuid: string): Promise<void> {
  const fileSystem = getJobServices().nodeFileSystem(clusterKey);
  if (!fileSystem || !/^[A-Za-z0-9-]+$/.test(jobUuid)) return;
  await fs.promises.rm(jobNodePaths(fileSystem, jobUuid).jobTemp, { recursive: true, force: true });
}
