// Timer trigger: every two minutes, jobs holding nodes whose lifecycle orchestration has ended get a new one that
// takes them up from their record, and clusters with queued jobs a scheduling pass
// (orchestrations/jobs/jobReconciler.ts).
import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { durableClientOf } from '../../orchestrations/durableClientOf';
import { reconcileJobs } from '../../orchestrations/jobs/jobReconciler';
import { requestJobScheduling } from '../../orchestrations/jobs/requestJobSchedulingActivity';

export const jobReconcilerSchedule = '0 */2 * * * *';

export async function handleJobReconcilerTick(_timer: Timer, context: InvocationContext): Promise<void> {
  const result = await reconcileJobs(durableClientOf(context), (clusterKey) =>
    requestJobScheduling(clusterKey, context),
  );
  for (const job of result.restarted) {
    context.warn(`Job ${job}: its lifecycle had ended while the job was not finished; started again.`);
  }
  for (const { job, message } of result.failed) {
    context.warn(`Job ${job}: could not check or restart its lifecycle (next round tries again): ${message}`);
  }
  for (const { cluster, message } of result.notScheduled) {
    context.warn(
      `${cluster}: could not ask its scheduler for a pass for its queued jobs (next round tries again): ${message}`,
    );
  }
  if (result.scheduled.length > 0) {
    context.log(
      `Job reconciler: asked the scheduler of ${result.scheduled.length} cluster(s) with queued jobs for a pass.`,
    );
  }
  if (result.checked > 0 && result.restarted.length === 0 && result.failed.length === 0) {
    context.log(`Job reconciler: ${result.checked} job(s) holding nodes, every lifecycle running.`);
  }
}

app.timer('jobReconciler', {
  schedule: jobReconcilerSchedule,
  extraInputs: [df.input.durableClient()],
  handler: handleJobReconcilerTick,
});
