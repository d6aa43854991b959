// Timer trigger: every five minutes, clusters and file servers in flux whose monitor orchestration is not running
// get one (orchestrations/compute/monitorReconciler.ts).
import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { durableClientOf } from '../../orchestrations/durableClientOf';
import { reconcileMonitors } from '../../orchestrations/compute/monitorReconciler';

export const monitorReconcilerSchedule = '0 */5 * * * *';

export async function handleMonitorReconcilerTick(_timer: Timer, context: InvocationContext): Promise<void> {
  const result = await reconcileMonitors(durableClientOf(context));
  for (const resource of result.started) {
    context.warn(`${resource}: its monitor orchestration was not running; started again.`);
  }
  for (const { resource, message } of result.failed) {
    context.warn(`${resource}: could not check or start its monitor (next round tries again): ${message}`);
  }
}

app.timer('monitorReconciler', {
  schedule: monitorReconcilerSchedule,
  extraInputs: [df.input.durableClient()],
  handler: handleMonitorReconcilerTick,
});
