// The seam to the job lifecycle orchestration (a later issue): the API records a job as queued and tells the
// lifecycle; termination and deletion of a running job are requests the lifecycle completes by updating the job
// record (with its ETag). Without an implementation, queued jobs stay queued.
import type { ResourceRecord } from '../domain/resourceRecord';

export interface JobLifecycle {
  /**
   * Optional, before the job's record is created: starts its lifecycle ahead of the record, so the scheduler never
   * sees the queued job without one. True when started (the record then says so: `JobRuntime.lifecycleStarted`).
   */
  jobCreating?(job: ResourceRecord): Promise<boolean>;
  /** After jobCreating returned true but no record was created (the name was taken): ends that lifecycle. */
  jobNotCreated?(job: ResourceRecord): Promise<void>;
  /** Called once, right after the job's record was created (with a new GUID): its lifecycle starts. */
  jobQueued(job: ResourceRecord): Promise<void>;
  terminationRequested(job: ResourceRecord): Promise<void>;
}
