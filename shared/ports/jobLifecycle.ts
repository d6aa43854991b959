// The seam to the job lifecycle orchestration (a later issue): the API records a job as queued and tells the
// lifecycle; termination and deletion of a running job are requests the lifecycle completes by updating the job
// record (with its ETag). Without an implementation, queued jobs stay queued.
import type { ResourceRecord } from '../domain/resourceRecord';

export interface JobLifecycle {
  /**
   * Right after the job's record was created (with a new GUID), and again for a repeated submission of a job still
   * queued: the cluster's scheduler is told (it starts the job's lifecycle when it grants the job nodes).
   */
  jobQueued(job: ResourceRecord): Promise<void>;
  terminationRequested(job: ResourceRecord): Promise<void>;
}
