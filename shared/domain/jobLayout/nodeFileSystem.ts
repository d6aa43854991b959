// Where a job's directories live on a node: the roots behind AZ_BATCHAI_MOUNT_ROOT and AZ_BATCHAI_JOB_TEMP_DIR
// (Batch AI's values by default; a local node passes its own work directory) and the per-job paths under them.
import { joinPosix } from './posixPath';

export interface NodeFileSystem {
  /** AZ_BATCHAI_MOUNT_ROOT: cluster-level mounts (nodeSetup.mountVolumes). */
  mountRoot: string;
  /** AZ_BATCHAI_JOB_TEMP_DIR: the root of every job's temporary directory. */
  jobTempRoot: string;
}

export const batchAiNodeFileSystem: NodeFileSystem = {
  mountRoot: '/mnt/batch/tasks/shared/LS_root/mounts',
  jobTempRoot: '/mnt/batch/tasks/shared/LS_root/jobs',
};

export interface JobNodePaths {
  mountRoot: string;
  jobTempRoot: string;
  /** AZ_BATCHAI_JOB_TEMP: this job's directory (by job uuid, so two jobs with one name never share it). */
  jobTemp: string;
  /** AZ_BATCHAI_JOB_MOUNT_ROOT: job-level mounts (job.mountVolumes). */
  jobMountRoot: string;
  /** AZ_BATCHAI_SHARED_JOB_TEMP: shared between the job's nodes when the node agent has a shared file system. */
  sharedJobTemp: string;
  /** AZ_BATCHAI_MPI_HOST_FILE. */
  mpiHostFile: string;
}

export function jobNodePaths(fileSystem: NodeFileSystem, jobUuid: string): JobNodePaths {
  const jobTemp = joinPosix(fileSystem.jobTempRoot, jobUuid);
  return {
    mountRoot: joinPosix(fileSystem.mountRoot),
    jobTempRoot: joinPosix(fileSystem.jobTempRoot),
    jobTemp,
    jobMountRoot: joinPosix(jobTemp, 'mounts'),
    sharedJobTemp: joinPosix(jobTemp, 'shared'),
    mpiHostFile: joinPosix(jobTemp, 'hostfile'),
  };
}

/** The node path variables a job's paths may refer to ($AZ_BATCHAI_MOUNT_ROOT, $AZ_BATCHAI_JOB_MOUNT_ROOT, ...). */
export function jobPathVariables(paths: JobNodePaths): Record<string, string> {
  return {
    AZ_BATCHAI_MOUNT_ROOT: paths.mountRoot,
    AZ_BATCHAI_JOB_MOUNT_ROOT: paths.jobMountRoot,
    AZ_BATCHAI_JOB_TEMP_DIR: paths.jobTempRoot,
    AZ_BATCHAI_JOB_TEMP: paths.jobTemp,
    AZ_BATCHAI_SHARED_JOB_TEMP: paths.sharedJobTemp,
    AZ_BATCHAI_MPI_HOST_FILE: paths.mpiHostFile,
  };
}
