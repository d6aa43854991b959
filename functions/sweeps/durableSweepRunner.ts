// The SweepRunner port over the Durable client: one orchestration per sweep, instance id `sweep-<uuid>`, started
// unless it exists. An instance that failed, was terminated or was purged while its sweep still runs is started
// again from the state its record and its trial jobs give (sweepRecovery.ts): it confirms the trials that exist,
// re-reads their stdout and goes on from the next index. A failed sweep that left trials running is started again
// when it is cancelled or deleted, to stop them.
import type { DurableClient } from 'durable-functions';
import { OrchestrationRuntimeStatus } from 'durable-functions';
import {
  sweepInstanceId,
  sweepOrchestratorName,
  type SweepOrchestrationInput,
} from '../../orchestrations/sweeps/sweepContract';
import type { ServiceDeps } from '../../shared/domain/services/serviceDeps';
import { hasActiveTrials, recoverRunState } from '../../shared/domain/sweeps/sweepRecovery';
import type { SweepRunner } from '../../shared/domain/sweeps/sweepService';
import type { SweepRecord } from '../../shared/domain/sweeps/sweepStore';
import type { SweepSettings } from './sweepSettings';

const alive = new Set<string>([
  OrchestrationRuntimeStatus.Running,
  OrchestrationRuntimeStatus.Pending,
  OrchestrationRuntimeStatus.ContinuedAsNew,
  OrchestrationRuntimeStatus.Suspended,
]);

/** The sweep is over but trials it created may still run, and the user asked to stop them (cancel or DELETE). */
function leftTrialsToStop(record: SweepRecord): boolean {
  return (
    record.status.executionState !== 'running' &&
    hasActiveTrials(record.status) &&
    (record.cancelRequested === true || record.deleteRequested === true)
  );
}

export class DurableSweepRunner implements SweepRunner {
  constructor(
    private readonly client: DurableClient,
    private readonly settings: SweepSettings,
    private readonly services: Pick<ServiceDeps, 'store' | 'now'>,
  ) {}

  async ensureStarted(record: SweepRecord): Promise<void> {
    const instanceId = sweepInstanceId(record.uuid);
    let runtimeStatus: string | undefined;
    try {
      runtimeStatus = (await this.client.getStatus(instanceId)).runtimeStatus;
    } catch (error: unknown) {
      if (!(error instanceof Error && error.message.includes('404'))) throw error;
    }
    if (runtimeStatus !== undefined && alive.has(runtimeStatus)) return;
    const restart =
      leftTrialsToStop(record) ||
      (record.status.executionState === 'running' && runtimeStatus !== OrchestrationRuntimeStatus.Completed);
    if (!restart) return;
    const input: SweepOrchestrationInput = {
      sweep: record.address,
      uuid: record.uuid,
      definition: record.definition,
      pollSeconds: this.settings.pollSeconds,
      roundsPerEpisode: this.settings.roundsPerEpisode,
      state: await recoverRunState(this.services.store, record, this.services.now().getTime()),
    };
    await this.client.startNew(sweepOrchestratorName, { instanceId, input });
  }
}
