// Creates trial jobs `<sweep>-t<index>` through the job service (createJob: validated, queued, scheduled like any
// job), each marked as created by this sweep (its uuid). Idempotent: a job this sweep created (by a retry of this
// activity, or by an earlier round that failed, however long ago) is confirmed. A trial never adopts a job it did
// not create: a job of that name made otherwise (left by an earlier sweep of the same name, or by hand) or with
// another body, or a body the job rules refuse, makes that trial fail with the reason instead of retrying.
import * as df from 'durable-functions';
import { ConflictError, isApiError } from '../../shared/domain/errors';
import type { ResourceRecord } from '../../shared/domain/resourceRecord';
import { createJob } from '../../shared/domain/services/jobService';
import { trialParameters } from '../../shared/domain/sweeps/searchSpace';
import { openSweepSecrets } from '../../shared/domain/sweeps/sweepService';
import type { CreatedTrial } from '../../shared/domain/sweeps/sweepProgress';
import {
  isOwnTrialJob,
  trialCreator,
  trialJobBody,
  trialJobName,
} from '../../shared/domain/sweeps/trialJobBody';
import {
  createSweepTrialsActivityName,
  type CreateSweepTrialsInput,
  type CreateSweepTrialsResult,
  trialJobRef,
} from './sweepContract';
import { getSweepActivityServices } from './sweepServices';

/**
 * Jobs created before trials were marked with their sweep (JobRuntime.createdBy): how much earlier than the round's
 * orchestration time a job this activity created may say it was created (the clocks of the machines running the
 * orchestration and the activity may differ a little).
 */
export const trialClockSkewMs = 60_000;

/**
 * The earliest creation time of a job this call of the activity (or a retry of it) may have created: not before the
 * sweep, and not long before the round asked for the trials.
 */
export function earliestOwnCreation(sweepCreationTime: string, requestedAt: string | undefined): number {
  const sweepCreated = Date.parse(sweepCreationTime);
  return requestedAt === undefined
    ? sweepCreated
    : Math.max(sweepCreated, Date.parse(requestedAt) - trialClockSkewMs);
}

/** Undefined when `job` is this sweep's own, else when it was created (for the reason). */
function createdBefore(job: ResourceRecord, sweepUuid: string, earliest: number): string | undefined {
  return isOwnTrialJob(job, sweepUuid, earliest)
    ? undefined
    : String(job.status.creationTime ?? 'an unknown time');
}

function nameTaken(name: string, created: string): string {
  return `TrialJobNameTaken: the job '${name}' already exists (created ${created}, before this trial), left by an earlier sweep of this name or created otherwise; the trial does not adopt it and did not run. Delete that job or create the sweep under another name.`;
}

export async function createSweepTrials(input: CreateSweepTrialsInput): Promise<CreateSweepTrialsResult> {
  const services = await getSweepActivityServices();
  const sweep = await services.sweeps.get(input.sweep);
  if (!sweep || sweep.record.uuid !== input.uuid) return { gone: true, created: [] };
  const { definition } = sweep.record;
  const secrets = openSweepSecrets(services.deps.secrets, sweep.record);
  const earliest = earliestOwnCreation(sweep.record.creationTime, input.requestedAt);
  const created: CreatedTrial[] = [];
  // In index order, one after the other: trials queue first come first served, in the order of the sweep.
  for (const index of input.indexes) {
    const name = trialJobName(input.sweep.name, index);
    const ref = trialJobRef(input.sweep, name);
    // Another's job is left untouched (createJob would confirm it, or ask for its lifecycle, if its body matched).
    const existing = await services.deps.store.get(ref);
    const before = existing && createdBefore(existing.record, input.uuid, earliest);
    if (before !== undefined) {
      created.push({ index, name, error: nameTaken(name, before) });
      continue;
    }
    const parameters = trialParameters(definition, index, input.clampSamples ?? true);
    const body = trialJobBody(definition.jobTemplate, parameters, secrets);
    try {
      const result = await createJob(services.deps, ref, body, { createdBy: trialCreator(input.uuid) });
      const late = result.created ? undefined : createdBefore(result.stored.record, input.uuid, earliest);
      created.push(late === undefined ? { index, name } : { index, name, error: nameTaken(name, late) });
    } catch (error: unknown) {
      if (!isApiError(error) || error.httpStatus >= 500) throw error; // infrastructure: retry the activity
      // A job of that name with another body: created by someone else while this trial was due.
      const message =
        error instanceof ConflictError && error.code === 'PropertyChangeNotAllowed'
          ? `TrialJobNameTaken: the job '${name}' already exists with another body (created otherwise); the trial does not adopt it and did not run. Delete that job or create the sweep under another name. (${error.message})`
          : `${error.code}: ${error.message}`;
      created.push({ index, name, error: message });
    }
  }
  return { gone: false, created };
}

df.app.activity(createSweepTrialsActivityName, { handler: createSweepTrials });
