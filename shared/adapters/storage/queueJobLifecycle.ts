// The resource API's side of the job lifecycle when Durable Functions is not at hand (queue triggers, timers, and
// the API's fallback): a queued job or a termination request becomes a message on the job-commands queue, which a
// queue trigger carries out (functions/jobs/jobCommandsTrigger.ts).
import type { QueueClient } from '@azure/storage-queue';
import { jobCommandSchema, jobRefWireOf, type JobCommand } from '../../contracts/jobCommand';
import { encodeQueueMessage } from '../../contracts/wireEncoding';
import type { ResourceRecord } from '../../domain/resourceRecord';
import type { JobLifecycle } from '../../ports/jobLifecycle';

/** The command for a job's record: its GUID, its cluster and its ref. */
export function jobCommandOf(kind: JobCommand['kind'], job: ResourceRecord): JobCommand {
  if (!job.job || job.ref.kind !== 'job' || !job.ref.experiment) {
    throw new Error(`The job lifecycle was given '${job.armId}', which is not a job.`);
  }
  return {
    schema: jobCommandSchema,
    version: 1,
    kind,
    jobUuid: job.job.uuid,
    clusterKey: job.job.clusterKey,
    job: jobRefWireOf(job.ref),
  };
}

export class QueueJobLifecycle implements JobLifecycle {
  constructor(private readonly queue: QueueClient) {}

  jobQueued(job: ResourceRecord): Promise<void> {
    return this.send('start', job);
  }

  terminationRequested(job: ResourceRecord): Promise<void> {
    return this.send('terminate', job);
  }

  private async send(kind: JobCommand['kind'], job: ResourceRecord): Promise<void> {
    await this.queue.sendMessage(encodeQueueMessage(jobCommandOf(kind, job)));
  }
}
