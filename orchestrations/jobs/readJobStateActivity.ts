// Reads where a job stands (state, current attempt and its nodes) for a lifecycle that waited long for a grant.
import * as df from 'durable-functions';
import { readJobStateActivityName, type JobLifecycleInput, type JobStateView } from './jobLifecycleContract';
import { jobRefOf } from './jobRecords';
import { getJobServices } from './jobServices';

export async function readJobState(input: JobLifecycleInput): Promise<JobStateView> {
  const stored = await getJobServices().store.get(jobRefOf(input.job));
  const runtime = stored?.record.job;
  // A job deleted and created again under the same name is another job (another GUID): this one is gone.
  if (!runtime || runtime.uuid !== input.jobUuid) return { state: 'missing', attempt: 0, nodeIds: [] };
  const current = runtime.attempts[runtime.attempts.length - 1];
  return { state: runtime.executionState, attempt: runtime.attempts.length, nodeIds: current?.nodeIds ?? [] };
}

df.app.activity(readJobStateActivityName, { handler: readJobState });
