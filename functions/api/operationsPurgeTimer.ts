// Timer trigger: every hour, long-running operations that ended more than OPERATION_RETENTION_DAYS (default 7) ago
// are deleted, so their records do not grow for ever (one per PUT, DELETE and terminate that did not complete at
// once); their status URLs then answer 404, as Resource Manager's do once an operation's record has expired.
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { readOperationRetentionDays } from '../../shared/config/operationConfig';
import { purgeEndedOperations } from '../../shared/domain/services/operationService';
import { getServiceDeps } from './apiServices';

export const operationsPurgeSchedule = '0 23 * * * *';

export async function handleOperationsPurgeTick(_timer: Timer, context: InvocationContext): Promise<void> {
  const days = readOperationRetentionDays(process.env);
  const deleted = await purgeEndedOperations(await getServiceDeps(), new Date(), days);
  if (deleted > 0) context.log(`Deleted ${deleted} operation(s) that ended over ${days} day(s) ago.`);
}

app.timer('operationsPurge', { schedule: operationsPurgeSchedule, handler: handleOperationsPurgeTick });
