// Terminates trial jobs (early termination or the sweep's cancellation) through the job service, as a user's
// terminate would, with the sweep's reason for the job's error (JobTerminated: "Stopped by the sweep ..."). Idempotent: terminating a finished or terminating job only records an operation.
import * as df from 'durable-functions';
import { NotFoundError } from '../../shared/domain/errors';
import { terminateJob } from '../../shared/domain/services/jobService';
import {
  terminateSweepTrialsActivityName,
  trialJobRef,
  type TerminateSweepTrialsInput,
} from './sweepContract';
import { getSweepActivityServices } from './sweepServices';

export async function terminateSweepTrials(input: TerminateSweepTrialsInput): Promise<number> {
  const { deps } = await getSweepActivityServices();
  let terminated = 0;
  for (const name of input.names) {
    try {
      await terminateJob(deps, trialJobRef(input.sweep, name), { reason: input.reasons?.[name] });
      terminated++;
    } catch (error: unknown) {
      if (!(error instanceof NotFoundError)) throw error; // a deleted trial has nothing left to stop
    }
  }
  return terminated;
}

df.app.activity(terminateSweepTrialsActivityName, { handler: terminateSweepTrials });
