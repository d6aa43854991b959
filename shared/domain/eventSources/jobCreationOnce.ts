// createJob for event sources, whose job names are derived from the triggering event: meeting a job of that name
// means an earlier delivery or tick created it (possibly from an older version of the rule or schedule), so it
// counts as done rather than as a conflict. That holds when the request no longer validates too (its cluster was
// deleted since the delivery that created the job, say): a redelivery of what was already done is not refused.
import { ConflictError, ValidationError } from '../errors';
import type { ResourceRef } from '../resourceId';
import { createJob } from '../services/jobService';
import type { ServiceDeps } from '../services/serviceDeps';

export async function createJobOnce(
  deps: ServiceDeps,
  ref: ResourceRef,
  body: unknown,
): Promise<'created' | 'existing'> {
  try {
    return (await createJob(deps, ref, body)).created ? 'created' : 'existing';
  } catch (error: unknown) {
    if (error instanceof ConflictError && error.code === 'PropertyChangeNotAllowed') return 'existing';
    if (error instanceof ValidationError && (await deps.store.get(ref))) return 'existing';
    throw error;
  }
}
