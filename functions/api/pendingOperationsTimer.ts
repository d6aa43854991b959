// Timer trigger: every 30 seconds, long-running operations still in progress are advanced as reading their status
// would advance them (shared/domain/services/operationService.ts): a DELETE nobody polls still removes the job once
// its lifecycle has stopped it, and a cascade its experiment or workspace.
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { advanceInProgressOperations } from '../../shared/domain/services/operationService';
import { getServiceDeps } from './apiServices';

export const pendingOperationsSchedule = '*/30 * * * * *';

export async function handlePendingOperationsTick(_timer: Timer, context: InvocationContext): Promise<void> {
  const result = await advanceInProgressOperations(await getServiceDeps());
  for (const id of result.completed) context.log(`Operation ${id} completed.`);
  for (const { id, message } of result.failed) {
    context.warn(`Operation ${id}: could not be advanced (next round tries again): ${message}`);
  }
}

app.timer('pendingOperations', { schedule: pendingOperationsSchedule, handler: handlePendingOperationsTick });
