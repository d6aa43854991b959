// Scheduled batch scoring: at each tick, every enabled schedule with an occurrence in (evaluatedUntil, now] gets
// one job for the latest such occurrence, named after the schedule and that due time, so a repeated or concurrent
// tick finds the job instead of making another. The schedule's status records what happened to each due time.
// Occurrences before the schedule's startTime (or its creation, without one) are never due.
import { PreconditionFailedError, NotFoundError } from '../errors';
import type { ExecutionState } from '../resourceRecord';
import type { ResourceRef } from '../resourceId';
import { createJobOnce } from './jobCreationOnce';
import { scheduledJobName } from './eventJobName';
import type { EventSourceDeps } from './eventSourceDeps';
import type { JobScheduleRecord, ScheduleOutcome, StoredDefinition } from './eventSourceStore';
import { permanentFailure } from './failureKind';
import { dueRun, parseSchedule, scheduleCursor } from './jobSchedule';
import { instantiateJobTemplate } from './jobTemplate';
import { WorkspaceStamps } from './workspaceStamp';

const activeStates: ReadonlySet<ExecutionState> = new Set(['queued', 'running', 'terminating']);

export interface ScheduleTickOutcome extends ScheduleOutcome {
  schedule: string;
  workspace: string;
}

function jobRef(schedule: JobScheduleRecord, name: string): ResourceRef {
  return { kind: 'job', ...schedule.workspace, experiment: schedule.properties.experimentName, name };
}

/** Evaluates every enabled schedule at `now`; transient failures of one schedule are retried at the next tick. */
export async function runDueSchedules(
  deps: EventSourceDeps,
  now: Date,
  log: (message: string) => void = () => undefined,
): Promise<ScheduleTickOutcome[]> {
  const outcomes: ScheduleTickOutcome[] = [];
  const stamps = new WorkspaceStamps(deps.service);
  for (const stored of await deps.store.enabledSchedules()) {
    try {
      // A schedule left by an earlier workspace of the same name is removed, never run.
      if (!(await stamps.isCurrent(deps.store, stored))) continue;
      const outcome = await runSchedule(deps, stored, now);
      if (outcome)
        outcomes.push({
          ...outcome,
          schedule: stored.record.name,
          workspace: stored.record.workspace.workspace,
        });
    } catch (error: unknown) {
      // One schedule's outage (e.g. its experiment's partition unreachable) must not starve the others.
      log(`Schedule '${stored.record.name}': ${(error as Error).message}; it is retried at the next tick.`);
    }
  }
  return outcomes;
}

async function runSchedule(
  deps: EventSourceDeps,
  stored: StoredDefinition<JobScheduleRecord>,
  now: Date,
): Promise<ScheduleOutcome | undefined> {
  const schedule = stored.record;
  const cursor = scheduleCursor(schedule);
  const due = dueRun(parseSchedule('properties.schedule', schedule.properties.schedule), cursor, now);
  if (!due) return undefined;
  const outcome = await decide(deps, schedule, due.dueTime);
  if (due.missed > 0) outcome.missed = due.missed;
  const next: JobScheduleRecord = {
    ...schedule,
    status: {
      evaluatedUntil: due.dueTime.toISOString(),
      lastJobName:
        outcome.result === 'created' || outcome.result === 'existing'
          ? outcome.jobName
          : schedule.status.lastJobName,
      lastOutcome: outcome,
    },
  };
  try {
    await deps.store.replace(next, stored.etag);
  } catch (error: unknown) {
    // Changed or deleted meanwhile (a PUT, another tick): the job name already makes the due time idempotent.
    if (!(error instanceof PreconditionFailedError || error instanceof NotFoundError)) throw error;
  }
  return outcome;
}

async function decide(
  deps: EventSourceDeps,
  schedule: JobScheduleRecord,
  dueTime: Date,
): Promise<ScheduleOutcome> {
  const dueText = dueTime.toISOString();
  const jobName = scheduledJobName(schedule.name, dueTime);
  const previous = schedule.status.lastJobName;
  if (schedule.properties.overlapPolicy === 'skip' && previous !== undefined && previous !== jobName) {
    const job = await deps.service.store.get(jobRef(schedule, previous));
    const state = job?.record.job?.executionState;
    if (state && activeStates.has(state)) {
      return {
        dueTime: dueText,
        result: 'skipped',
        message: `The job '${previous}' of the previous run is still ${state} (overlapPolicy 'skip').`,
      };
    }
  }
  const body = instantiateJobTemplate(
    schedule.properties.jobTemplate,
    { scheduledTime: dueText, scheduleName: schedule.name },
    [
      { name: 'AZ_BATCHAI_SCHEDULED_TIME', value: dueText },
      { name: 'AZ_BATCHAI_TRIGGER_SCHEDULE', value: schedule.name },
    ],
  );
  try {
    const result = await createJobOnce(deps.service, jobRef(schedule, jobName), body);
    return { dueTime: dueText, result, jobName };
  } catch (error: unknown) {
    const reason = permanentFailure(error);
    if (!reason) throw error;
    // A refused job (experiment deleted, cluster gone) fails the same way on every tick: record it and move on.
    return {
      dueTime: dueText,
      result: 'failed',
      jobName,
      message: `${reason.code}${reason.target ? ` (${reason.target})` : ''}: ${reason.message}`,
    };
  }
}
