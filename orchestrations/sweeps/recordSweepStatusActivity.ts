// Writes the sweep's status (execution state, counts, best trial, trial list) on its record with the record's
// ETag, keeping what the API wrote meanwhile (cancel and delete requests); removes the record when the sweep is
// over and its DELETE is pending, also when the DELETE came after the orchestration's last poll (the record would
// otherwise stay `deleting` for ever). Writes nothing to a record of another sweep of the same name.
import * as df from 'durable-functions';
import { NotFoundError, PreconditionFailedError } from '../../shared/domain/errors';
import { recordSweepStatusActivityName, type RecordSweepStatusInput } from './sweepContract';
import { getSweepActivityServices } from './sweepServices';

export async function recordSweepStatus(input: RecordSweepStatusInput): Promise<boolean> {
  const { sweeps } = await getSweepActivityServices();
  for (;;) {
    const current = await sweeps.get(input.sweep);
    if (!current || current.record.uuid !== input.uuid) return false;
    try {
      const final = input.final ?? input.status.executionState !== 'running';
      if (input.remove || (final && current.record.deleteRequested === true))
        return await sweeps.delete(input.sweep, current.etag);
      const changedState = current.record.status.executionState !== input.status.executionState;
      await sweeps.replace(
        {
          ...current.record,
          status: input.status,
          ...(changedState ? { executionStateTransitionTime: new Date().toISOString() } : {}),
        },
        current.etag,
      );
      return true;
    } catch (error: unknown) {
      if (error instanceof NotFoundError) return false;
      if (!(error instanceof PreconditionFailedError)) throw error;
    }
  }
}

df.app.activity(recordSweepStatusActivityName, { handler: recordSweepStatus });
