// Creates trial jobs `<sweep>-t<index>` through the job service (createJob: validated, queued, scheduled like any
// job). Idempotent: a job that exists with the same body is confirmed; a job the user created under that name
// (different body) or a body the job rules refuse makes that trial fail with the reason instead of retrying.
import * as df from 'durable-functions';
import { isApiError } from '../../shared/domain/errors';
import { createJob } from '../../shared/domain/services/jobService';
import { trialParameters } from '../../shared/domain/sweeps/searchSpace';
import { openSweepSecrets } from '../../shared/domain/sweeps/sweepService';
import type { CreatedTrial } from '../../shared/domain/sweeps/sweepProgress';
import { trialJobBody, trialJobName } from '../../shared/domain/sweeps/trialJobBody';
import {
  createSweepTrialsActivityName,
  type CreateSweepTrialsInput,
  type CreateSweepTrialsResult,
  trialJobRef,
} from './sweepContract';
import { getSweepActivityServices } from './sweepServices';

export async function createSweepTrials(input: CreateSweepTrialsInput): Promise<CreateSweepTrialsResult> {
  const services = await getSweepActivityServices();
  const sweep = await services.sweeps.get(input.sweep);
  if (!sweep || sweep.record.uuid !== input.uuid) return { gone: true, created: [] };
  const { definition } = sweep.record;
  const secrets = openSweepSecrets(services.deps.secrets, sweep.record);
  const created: CreatedTrial[] = [];
  // In index order, one after the other: trials queue first come first served, in the order of the sweep.
  for (const index of input.indexes) {
    const name = trialJobName(input.sweep.name, index);
    const parameters = trialParameters(definition, index, input.clampSamples ?? true);
    const body = trialJobBody(definition.jobTemplate, parameters, secrets);
    try {
      await createJob(services.deps, trialJobRef(input.sweep, name), body);
      created.push({ index, name });
    } catch (error: unknown) {
      if (!isApiError(error) || error.httpStatus >= 500) throw error; // infrastructure: retry the activity
      created.push({ index, name, error: `${error.code}: ${error.message}` });
    }
  }
  return { gone: false, created };
}

df.app.activity(createSweepTrialsActivityName, { handler: createSweepTrials });
