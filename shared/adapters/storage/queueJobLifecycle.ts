// The resource API's side of the job lifecycle: a queued job or a termination request becomes a message on the
// job-commands queue, which a queue trigger turns into the job's orchestration (so the API never waits on Durable).
import type { QueueClient } from '@azure/storage-queue';
import { jobCommandSchema, type JobCommand } from '../../contracts/jobCommand';
import { encodeQueueMessage } from '../../contracts/wireEncoding';
import type { ResourceRecord } from '../../domain/resourceRecord';
import type { JobLifecycle } from '../../ports/jobLifecycle';

export class QueueJobLifecycle implements JobLifecycle {
  constructor(private readonly queue: QueueClient) {}

  jobQueued(job: ResourceRecord): Promise<void> {
    return this.send('start', job);
  }

  terminationRequested(job: ResourceRecord): Promise<void> {
    return this.send('terminate', job);
  }

  private async send(kind: JobCommand['kind'], job: ResourceRecord): Promise<void> {
    if (!job.job || job.ref.kind !== 'job' || !job.ref.experiment) {
      throw new Error(`The job lifecycle was given '${job.armId}', which is not a job.`);
    }
    const command: JobCommand = {
      schema: jobCommandSchema,
      version: 1,
      kind,
      jobUuid: job.job.uuid,
      clusterKey: job.job.clusterKey,
      job: {
        subscriptionId: job.ref.subscriptionId,
        resourceGroup: job.ref.resourceGroup,
        workspace: job.ref.workspace,
        experiment: job.ref.experiment,
        name: job.ref.name,
      },
    };
    await this.queue.sendMessage(encodeQueueMessage(command));
  }
}
