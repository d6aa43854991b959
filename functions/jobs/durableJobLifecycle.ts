// The resource API's side of the job lifecycle inside the API's own HTTP functions (which have the Durable client
// binding): a queued job's cluster scheduler is asked for a pass, or a termination raised, at once, instead of
// through the job-commands queue and its trigger (a queue message, a receive, a delete and an invocation less per
// job). A queued job has no lifecycle orchestration: the scheduler starts it when it grants the job nodes. If
// Durable Functions cannot take the request right now, the command goes to the queue as before, so the request
// still succeeds and the trigger carries it out later. Either path is idempotent.
import type { InvocationContext } from '@azure/functions';
import { jobCommandOf } from '../../shared/adapters/storage/queueJobLifecycle';
import type { ResourceRecord } from '../../shared/domain/resourceRecord';
import type { JobLifecycle } from '../../shared/ports/jobLifecycle';
import { runJobCommand } from '../../orchestrations/jobs/jobCommandRunner';

export class DurableJobLifecycle implements JobLifecycle {
  constructor(
    private readonly context: InvocationContext,
    /** The job-commands queue. */
    private readonly fallback: JobLifecycle,
  ) {}

  async jobQueued(job: ResourceRecord): Promise<void> {
    try {
      await runJobCommand(this.context, jobCommandOf('start', job));
    } catch (error: unknown) {
      this.context.warn(
        `Job ${job.armId}: its cluster's scheduler could not be asked for a pass at once ` +
          `(${(error as Error).message}); the request goes through the job-commands queue.`,
      );
      await this.fallback.jobQueued(job);
    }
  }

  async terminationRequested(job: ResourceRecord): Promise<void> {
    try {
      await runJobCommand(this.context, jobCommandOf('terminate', job));
    } catch (error: unknown) {
      this.context.warn(
        `Job ${job.armId}: 'terminate' could not be carried out at once (${(error as Error).message}); ` +
          'it goes through the job-commands queue.',
      );
      await this.fallback.terminationRequested(job);
    }
  }
}
