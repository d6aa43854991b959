// The job scheduler of one cluster: a singleton orchestration that serialises scheduling decisions (so two jobs
// can never be granted the same node). Each episode runs one scheduling pass (activity), then waits for a
// 'schedule' signal or the next periodic check, then continues as new (bounded history). It ends when the cluster
// has no queued or running job; the next queued job starts it again.
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler, TimerTask } from 'durable-functions';
import {
  jobSchedulerName,
  scheduleEvent,
  scheduleJobsActivityName,
  type JobSchedulerInput,
  type ScheduleJobsResult,
} from './jobLifecycleContract';
import { secondsAfter } from './orchestrationTime';

const retry = new df.RetryOptions(2_000, 5);

export const jobSchedulerOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<JobSchedulerInput>();
  const result: ScheduleJobsResult = yield context.df.callActivityWithRetry(
    scheduleJobsActivityName,
    retry,
    input.clusterKey,
  );
  if (result.activeJobs === 0) return 'idle';
  const timer: TimerTask = context.df.createTimer(
    secondsAfter(context.df.currentUtcDateTime, result.nextCheckMs / 1000),
  );
  const signal = context.df.waitForExternalEvent(scheduleEvent);
  const winner: unknown = yield context.df.Task.any([timer, signal]);
  if (winner !== timer) timer.cancel();
  context.df.continueAsNew(input);
  return undefined;
};

df.app.orchestration(jobSchedulerName, jobSchedulerOrchestrator);
