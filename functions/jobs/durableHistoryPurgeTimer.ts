// Timer trigger: every hour, finished orchestration instances (Completed, Failed, Terminated) created more than
// DURABLE_HISTORY_RETENTION_DAYS ago are purged from the task hub, as Microsoft advises for Durable Functions apps:
// a job's lifecycle, a sweep's run or a deleted cluster's monitor otherwise stays in the task hub's storage (and in
// the local engine's memory) for ever. What users see is in the records; a running instance is never purged.
import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { durableClientOf } from '../../orchestrations/durableClientOf';
import { getJobServices } from '../../orchestrations/jobs/jobServices';

export const durableHistoryPurgeSchedule = '0 17 * * * *';

const finished = [
  df.OrchestrationRuntimeStatus.Completed,
  df.OrchestrationRuntimeStatus.Failed,
  df.OrchestrationRuntimeStatus.Terminated,
];

export async function handleDurableHistoryPurgeTick(
  _timer: Timer,
  context: InvocationContext,
): Promise<void> {
  const days = getJobServices().config.historyRetentionDays;
  const result = await durableClientOf(context).purgeInstanceHistoryBy({
    createdTimeFrom: new Date(0),
    createdTimeTo: new Date(Date.now() - days * 86_400_000),
    runtimeStatus: finished,
  });
  if (result.instancesDeleted > 0)
    context.log(
      `Purged ${result.instancesDeleted} finished orchestration instance(s) created over ${days} day(s) ago.`,
    );
}

app.timer('durableHistoryPurge', {
  schedule: durableHistoryPurgeSchedule,
  extraInputs: [df.input.durableClient()],
  handler: handleDurableHistoryPurgeTick,
});
