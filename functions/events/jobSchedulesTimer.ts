// Timer trigger: once a minute, every enabled job schedule whose due time has come gets its job (see
// shared/domain/eventSources/scheduleService.ts). A past-due tick after an outage catches up the same way.
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { runDueSchedules } from '../../shared/domain/eventSources/scheduleService';
import { getEventSourceServices } from './eventSourceServices';

export const jobSchedulesTimerSchedule = '0 */1 * * * *';

export async function handleJobSchedulesTick(timer: Timer, context: InvocationContext): Promise<void> {
  const services = await getEventSourceServices();
  const outcomes = await runDueSchedules(services, services.service.now(), (m) => context.warn(m));
  for (const o of outcomes) {
    const message = `Schedule '${o.schedule}' (${o.workspace}) due ${o.dueTime}: ${o.result}${o.jobName ? ` ${o.jobName}` : ''}${o.missed ? ` (${o.missed} earlier due time(s) collapsed)` : ''}${o.message ? `: ${o.message}` : ''}`;
    if (o.result === 'failed') context.warn(message);
    else context.log(message);
  }
  if (timer?.isPastDue) context.log('The schedules tick was past due; due times were caught up.');
}

app.timer('jobSchedulesTimer', { schedule: jobSchedulesTimerSchedule, handler: handleJobSchedulesTick });
