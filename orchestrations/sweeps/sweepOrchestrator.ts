// One parameter sweep: each round observes the active trials (state, new metric reports), applies the pure round
// plan (cancel, early termination, new trials up to maxConcurrentTrials, in bounded batches), writes the status
// when it changed, and waits; when every trial has ended it records the best trial and ends. Rounds continue as
// new after `roundsPerEpisode`, carrying the compact state, so a sweep of any length has a bounded history.
// Version 1.2 on, a sweep that fails first terminates the trials it started, and its replays apply the 1.2 rules
// (sweepProgress.ts `SweepRules`); older instances keep their path.
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import {
  abandonTrials,
  applyCreated,
  applyObservations,
  currentSweepRules,
  initialRunState,
  isActive,
  isFinished,
  planRound,
  roundWaitSeconds,
  statusFingerprint,
  sweepRulesBefore12,
  sweepStatus,
  type SweepRunState,
} from '../../shared/domain/sweeps/sweepProgress';
import { trialStopReason } from '../../shared/domain/sweeps/trialJobBody';
import { compareVersions } from '../../shared/domain/versionOrder';
import { secondsAfter } from '../jobs/orchestrationTime';
import {
  createSweepTrialsActivityName,
  pollSweepTrialsActivityName,
  recordSweepStatusActivityName,
  sweepOrchestratorName,
  terminateSweepTrialsActivityName,
  type CreateSweepTrialsResult,
  type PollSweepTrialsInput,
  type PollSweepTrialsResult,
  type SweepOrchestrationInput,
} from './sweepContract';

const retry = new df.RetryOptions(2_000, 5);
/** Consecutive rounds whose activities failed all their retries before the sweep is recorded as failed. */
const maxFailedRounds = 5;
/** The orchestration version from which a failing sweep terminates its trials and the 1.2 sweep rules apply. */
export const sweepTerminatesTrialsOnFailureSince = '1.2';

export const sweepOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<SweepOrchestrationInput>();
  const { definition, sweep, uuid } = input;
  const identity = { sweep, uuid };
  let state: SweepRunState = input.state ?? initialRunState(context.df.currentUtcDateTime.getTime());
  let failedRounds = input.failedRounds ?? 0;
  const since12 = compareVersions(context.df.version, sweepTerminatesTrialsOnFailureSince) >= 0;
  const rules = since12 ? currentSweepRules : sweepRulesBefore12;

  for (let round = 0; round < input.roundsPerEpisode; round++) {
    try {
      const active = state.trials.filter(isActive);
      const pollInput: PollSweepTrialsInput = {
        ...identity,
        metric: definition.objective.metric,
        trials: active.map((t) => ({
          name: t.name,
          attempt: t.attempt,
          offset: t.offset,
          reports: t.series.reports,
          ...(t.stdoutBlob !== undefined ? { stdoutBlob: t.stdoutBlob } : {}),
        })),
      };
      const observed: PollSweepTrialsResult = yield context.df.callActivityWithRetry(
        pollSweepTrialsActivityName,
        retry,
        pollInput,
      );
      if (observed.gone) return 'gone';
      state = applyObservations(definition, state, observed.trials, rules);

      const plan = planRound(
        definition,
        state,
        context.df.currentUtcDateTime.getTime(),
        observed.cancelRequested,
        observed.deleteRequested,
      );
      // The stop marks are kept only once the terminations went through, so a failed round decides again.
      if (plan.stop.length > 0)
        yield context.df.callActivityWithRetry(terminateSweepTrialsActivityName, retry, {
          ...identity,
          names: plan.stop.map((s) => s.name),
          reasons: Object.fromEntries(
            plan.stop.map((s) => [s.name, trialStopReason(identity.sweep.name, s.reason)]),
          ),
        });
      state = plan.state;
      if (plan.create.length > 0) {
        const created: CreateSweepTrialsResult = yield context.df.callActivityWithRetry(
          createSweepTrialsActivityName,
          retry,
          {
            ...identity,
            indexes: plan.create,
            ...(rules.clampsSamples ? {} : { clampSamples: false }),
            requestedAt: context.df.currentUtcDateTime.toISOString(),
          },
        );
        if (created.gone) return 'gone';
        state = applyCreated(state, created.created);
      }

      const finished = isFinished(definition, state);
      const status = sweepStatus(definition, state, finished, rules);
      const fingerprint = statusFingerprint(status);
      if (fingerprint !== state.recordedFingerprint || (finished && state.deleting)) {
        yield context.df.callActivityWithRetry(recordSweepStatusActivityName, retry, {
          ...identity,
          status,
          remove: finished && state.deleting,
          final: finished,
        });
        state = { ...state, recordedFingerprint: fingerprint };
      }
      if (finished) return status.executionState;
      failedRounds = 0;
    } catch (error: unknown) {
      // An activity failed all its retries (storage or Cosmos unavailable for a while): every step is idempotent,
      // so the next round simply tries again; only a long outage ends the sweep, recorded as failed.
      failedRounds++;
      if (failedRounds >= maxFailedRounds) {
        const reason = `The sweep stopped after ${failedRounds} failed rounds: ${error instanceof Error ? error.message : String(error)}`;
        if (since12) {
          // Stop the trials it started, so none runs on untracked; if that fails too, they stay listed as running
          // and a cancel or DELETE of the failed sweep starts an orchestration that stops them.
          const abandoned = abandonTrials(state, 'The sweep failed.');
          try {
            if (abandoned.stop.length > 0)
              yield context.df.callActivityWithRetry(terminateSweepTrialsActivityName, retry, {
                ...identity,
                names: abandoned.stop,
                reasons: Object.fromEntries(
                  abandoned.stop.map((name) => [
                    name,
                    trialStopReason(identity.sweep.name, 'The sweep failed.'),
                  ]),
                ),
              });
            state = abandoned.state;
          } catch {
            // recorded with its trials still active
          }
        }
        yield context.df.callActivityWithRetry(recordSweepStatusActivityName, retry, {
          ...identity,
          status: { ...sweepStatus(definition, state, true, rules), executionState: 'failed', error: reason },
          remove: false,
          final: true,
        });
        return 'failed';
      }
    }

    const wait = roundWaitSeconds(definition, input.pollSeconds);
    yield context.df.createTimer(secondsAfter(context.df.currentUtcDateTime, wait));
  }
  context.df.continueAsNew({ ...input, state, failedRounds });
  return undefined;
};

df.app.orchestration(sweepOrchestratorName, sweepOrchestrator);
