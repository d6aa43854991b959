// The resource API's side of the job lifecycle inside the API's own HTTP functions (which have the Durable client
// binding): a queued job's lifecycle is started, or a termination raised, at once, instead of through the
// job-commands queue and its trigger (a queue message, a receive, a delete and an invocation less per job). If
// Durable Functions cannot take it right now, the command goes to the queue as before, so the request still succeeds
// and the trigger carries it out later. Either path is idempotent.
import type { InvocationContext } from '@azure/functions';
import { jobCommandOf } from '../../shared/adapters/storage/queueJobLifecycle';
import type { ResourceRecord } from '../../shared/domain/resourceRecord';
import type { JobLifecycle } from '../../shared/ports/jobLifecycle';
import {
  abandonJobLifecycle,
  runJobCommand,
  startJobLifecycle,
} from '../../orchestrations/jobs/jobCommandRunner';
import { requestJobScheduling } from '../../orchestrations/jobs/requestJobSchedulingActivity';

export class DurableJobLifecycle implements JobLifecycle {
  constructor(
    private readonly context: InvocationContext,
    /** The job-commands queue. */
    private readonly fallback: JobLifecycle,
  ) {}

  async jobCreating(job: ResourceRecord): Promise<boolean> {
    try {
      await startJobLifecycle(this.context, jobCommandOf('start', job));
      return true;
    } catch (error: unknown) {
      this.context.warn(
        `Job ${job.armId}: its lifecycle could not be started ahead of its record (${(error as Error).message}).`,
      );
      return false;
    }
  }

  async jobNotCreated(job: ResourceRecord): Promise<void> {
    // Best effort: a lifecycle left behind finds at its first re-check that its job does not exist, and ends.
    await abandonJobLifecycle(this.context, jobCommandOf('start', job).jobUuid).catch(() => undefined);
  }

  async jobQueued(job: ResourceRecord): Promise<void> {
    if (job.job?.lifecycleStarted) {
      // Started ahead of the record: the scheduler may grant the job now.
      try {
        await requestJobScheduling(job.job.clusterKey, this.context);
        return;
      } catch (error: unknown) {
        this.context.warn(`Job ${job.armId}: no scheduling pass asked (${(error as Error).message}).`);
      }
    }
    if (!(await this.run('start', job))) await this.fallback.jobQueued(job);
  }

  async terminationRequested(job: ResourceRecord): Promise<void> {
    if (!(await this.run('terminate', job))) await this.fallback.terminationRequested(job);
  }

  private async run(kind: 'start' | 'terminate', job: ResourceRecord): Promise<boolean> {
    const command = jobCommandOf(kind, job);
    try {
      await runJobCommand(this.context, command);
      return true;
    } catch (error: unknown) {
      this.context.warn(
        `Job ${job.armId}: '${kind}' could not be carried out at once (${(error as Error).message}); ` +
          'it goes through the job-commands queue.',
      );
      return false;
    }
  }
}
