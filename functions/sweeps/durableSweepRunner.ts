// The SweepRunner port over the Durable client: one orchestration per sweep, instance id `sweep-<uuid>`, started
// unless it exists; an instance that failed or was terminated while its sweep still runs is started again (its
// trials are confirmed, not duplicated: createJob of an existing trial with the same body is a no-op).
import type { DurableClient } from 'durable-functions';
import { OrchestrationRuntimeStatus } from 'durable-functions';
import {
  sweepInstanceId,
  sweepOrchestratorName,
  type SweepOrchestrationInput,
} from '../../orchestrations/sweeps/sweepContract';
import type { SweepRunner } from '../../shared/domain/sweeps/sweepService';
import type { SweepRecord } from '../../shared/domain/sweeps/sweepStore';
import type { SweepSettings } from './sweepSettings';

const alive = new Set<string>([
  OrchestrationRuntimeStatus.Running,
  OrchestrationRuntimeStatus.Pending,
  OrchestrationRuntimeStatus.ContinuedAsNew,
  OrchestrationRuntimeStatus.Suspended,
]);

export class DurableSweepRunner implements SweepRunner {
  constructor(
    private readonly client: DurableClient,
    private readonly settings: SweepSettings,
  ) {}

  async ensureStarted(record: SweepRecord): Promise<void> {
    const instanceId = sweepInstanceId(record.uuid);
    let runtimeStatus: string | undefined;
    try {
      runtimeStatus = (await this.client.getStatus(instanceId)).runtimeStatus;
    } catch (error: unknown) {
      if (!(error instanceof Error && error.message.includes('404'))) throw error;
    }
    if (runtimeStatus !== undefined) {
      if (alive.has(runtimeStatus)) return;
      if (runtimeStatus === OrchestrationRuntimeStatus.Completed) return;
      if (record.status.executionState !== 'running') return;
    }
    const input: SweepOrchestrationInput = {
      sweep: record.address,
      uuid: record.uuid,
      definition: record.definition,
      pollSeconds: this.settings.pollSeconds,
      roundsPerEpisode: this.settings.roundsPerEpisode,
    };
    await this.client.startNew(sweepOrchestratorName, { instanceId, input });
  }
}
