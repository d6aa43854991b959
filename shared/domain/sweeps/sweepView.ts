// The wire form of a sweep (what GET returns): ARM envelope, the definition as given (secrets never stored in it)
// and the read-only status: execution state, trial counts, best trial and the trial list.
import type { JsonObject } from '../specValidator';
import type { SweepRecord } from './sweepStore';

export const sweepResourceType = 'Microsoft.BatchAI/workspaces/experiments/sweeps';

export function sweepToWire(record: SweepRecord): JsonObject {
  const provisioningState = record.deleteRequested ? 'deleting' : 'succeeded';
  return JSON.parse(
    JSON.stringify({
      id: record.armId,
      name: record.address.name,
      type: sweepResourceType,
      properties: {
        ...record.definition,
        creationTime: record.creationTime,
        provisioningState,
        ...(record.cancelRequested && record.status.executionState === 'running'
          ? { cancelRequested: true }
          : {}),
        executionState: record.status.executionState,
        executionStateTransitionTime: record.executionStateTransitionTime,
        trialCounts: record.status.trialCounts,
        ...(record.status.bestTrial ? { bestTrial: record.status.bestTrial } : {}),
        trials: record.status.trials,
        ...(record.status.error ? { error: record.status.error } : {}),
      },
    }),
  ) as JsonObject;
}
