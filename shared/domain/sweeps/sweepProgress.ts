// The sweep's progress as its orchestration carries it from round to round, and the pure decisions of a round:
// which trials to create (never more than maxConcurrentTrials active), which to stop (early termination or
// cancellation), what the sweep's status says, and when the sweep is over. Deterministic: no clock, no I/O.
import { bestTrialIndex } from './bestTrial';
import { trialsToStop, type StopDecision } from './earlyTermination';
import { addReports, emptySeries, type ObjectiveSeries } from './objectiveSeries';
import { trialParameters } from './searchSpace';
import type { ParameterSet, SweepDefinition } from './sweepDefinition';
import { trialJobName } from './trialJobBody';

export type TrialPhase = 'queued' | 'running' | 'succeeded' | 'failed' | 'earlyTerminated' | 'cancelled';
export type SweepExecutionState = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface TrialState {
  index: number;
  name: string;
  phase: TrialPhase;
  /** Set when the sweep asked the job to terminate: decides how its end is counted. */
  stop?: 'early' | 'cancel';
  /** Why it failed or was stopped (short, for the status). */
  reason?: string;
  /** The job attempt whose stdout is being read, the blob and how far it was read. */
  attempt: number;
  stdoutBlob?: string;
  offset: number;
  series: ObjectiveSeries;
  /**
   * The job has ended but its stdout was not read to the end yet (more than one read's worth was left): the trial
   * is read on, and counts as ended (with this outcome) only then, so its last reports are not lost. It holds no
   * slot, is not judged and is not stopped.
   */
  ended?: 'succeeded' | 'failed';
}

export interface SweepRunState {
  nextIndex: number;
  trials: TrialState[];
  /** When early termination was last evaluated (ms since epoch, orchestration time). */
  lastEvaluationMs?: number;
  cancelling: boolean;
  deleting: boolean;
  /**
   * The sweep had failed (its orchestration could not go on) when this orchestration was started again to stop the
   * trials it left running: it creates no trial and stays failed with this error.
   */
  failure?: string;
  /** Fingerprint of the last status written, so an unchanged round writes nothing. */
  recordedFingerprint?: string;
}

/** What the poll activity saw of one active trial. */
export interface TrialObservation {
  name: string;
  state: 'queued' | 'running' | 'succeeded' | 'failed' | 'missing';
  attempt: number;
  stdoutBlob?: string;
  offset: number;
  /** New reports of the objective since the last offset, steps filled in. */
  points: { step: number; value: number }[];
  /** The job's error message when it failed. */
  error?: string;
  /** The job has ended but its stdout was not read to the end yet (read on next round). */
  unread?: boolean;
}

export interface CreatedTrial {
  index: number;
  name: string;
  /** Set when the job could not be created (e.g. a name taken by another job): the trial counts as failed. */
  error?: string;
}

export interface TrialCounts {
  notStarted: number;
  queued: number;
  running: number;
  succeeded: number;
  failed: number;
  earlyTerminated: number;
  cancelled: number;
}

export interface TrialSummary {
  name: string;
  parameters: ParameterSet;
  state: TrialPhase;
  /** The last value of the objective it reported. */
  metric?: number;
  step?: number;
  reason?: string;
}

export interface SweepStatus {
  executionState: SweepExecutionState;
  trialCounts: TrialCounts;
  bestTrial?: { name: string; parameters: ParameterSet; metric: number };
  trials: TrialSummary[];
  /** Why the sweep failed when its orchestration could not go on (not set when its trials failed). */
  error?: string;
}

export interface RoundPlan {
  state: SweepRunState;
  /** Trial indexes to create now, in order. */
  create: number[];
  stop: StopDecision[];
}

/** At most this many trials are created by one activity call (bounded fan-out per round). */
export const trialsPerCreationBatch = 20;
/** The reason of a trial stopped because its sweep was cancelled (or deleted). */
export const sweepCancelledReason = 'The sweep was cancelled.';

/**
 * Rules that changed with orchestration version 1.2: an older instance's replay applies the old ones, so it decides
 * what it decided when its history was written (docs/durable-engine.md, "Changing an orchestrator").
 */
export interface SweepRules {
  /** Thinning a trial's improvement points keeps the first one (objectiveSeries.ts). */
  keepsFirstImprovement: boolean;
  /** Random floats are clamped into their range after rounding (searchSpace.ts). */
  clampsSamples: boolean;
}
export const currentSweepRules: SweepRules = { keepsFirstImprovement: true, clampsSamples: true };
export const sweepRulesBefore12: SweepRules = { keepsFirstImprovement: false, clampsSamples: false };

export function initialRunState(nowMs: number): SweepRunState {
  return { nextIndex: 0, trials: [], lastEvaluationMs: nowMs, cancelling: false, deleting: false };
}

export function isActive(trial: TrialState): boolean {
  return trial.phase === 'queued' || trial.phase === 'running';
}

/** Active and its job not ended: it holds a slot, may be judged, and is stopped on cancel. */
function isRunningJob(trial: TrialState): boolean {
  return isActive(trial) && trial.ended === undefined;
}

function endPhase(trial: TrialState, jobSucceeded: boolean): TrialPhase {
  if (jobSucceeded) return 'succeeded';
  if (trial.stop === 'early') return 'earlyTerminated';
  if (trial.stop === 'cancel') return 'cancelled';
  return 'failed';
}

/** The state after the poll activity's observations of the active trials. */
export function applyObservations(
  definition: SweepDefinition,
  state: SweepRunState,
  observations: TrialObservation[],
  rules: SweepRules = currentSweepRules,
): SweepRunState {
  const byName = new Map(observations.map((o) => [o.name, o]));
  const trials = state.trials.map((trial): TrialState => {
    const seen = byName.get(trial.name);
    if (!seen || !isActive(trial)) return trial;
    const series = addReports(
      trial.series,
      seen.points,
      definition.objective.goal,
      rules.keepsFirstImprovement,
    );
    const { ended: _ended, ...rest } = trial;
    const next: TrialState = {
      ...rest,
      attempt: seen.attempt,
      offset: seen.offset,
      series,
      ...(seen.stdoutBlob !== undefined ? { stdoutBlob: seen.stdoutBlob } : {}),
    };
    if (seen.unread && (seen.state === 'succeeded' || seen.state === 'failed'))
      return { ...next, phase: 'running', ended: seen.state };
    switch (seen.state) {
      case 'queued':
      case 'running':
        return { ...next, phase: seen.state };
      case 'succeeded':
        return { ...next, phase: 'succeeded' };
      case 'failed':
        return { ...next, phase: endPhase(trial, false), reason: trial.reason ?? seen.error };
      case 'missing':
        return {
          ...next,
          phase: trial.stop === 'cancel' ? 'cancelled' : 'failed',
          reason: trial.reason ?? `The trial's job was deleted.`,
        };
    }
  });
  return { ...state, trials };
}

/** The state after trials were created. */
export function applyCreated(state: SweepRunState, created: CreatedTrial[]): SweepRunState {
  const known = new Set(state.trials.map((t) => t.index));
  const added = created
    .filter((c) => !known.has(c.index))
    .map((c): TrialState => ({
      index: c.index,
      name: c.name,
      phase: c.error ? 'failed' : 'queued',
      ...(c.error ? { reason: c.error } : {}),
      attempt: 0,
      offset: 0,
      series: emptySeries(),
    }));
  const nextIndex = Math.max(state.nextIndex, ...created.map((c) => c.index + 1));
  return { ...state, nextIndex, trials: [...state.trials, ...added] };
}

/**
 * One round's decisions at orchestration time `nowMs`: on cancellation stop every active trial and create none;
 * otherwise evaluate early termination when its interval has passed, then fill the free slots.
 */
export function planRound(
  definition: SweepDefinition,
  state: SweepRunState,
  nowMs: number,
  cancelRequested: boolean,
  deleteRequested = false,
): RoundPlan {
  let next: SweepRunState = {
    ...state,
    cancelling: state.cancelling || cancelRequested || deleteRequested,
    deleting: state.deleting || deleteRequested,
  };
  if (next.cancelling) {
    const stop = next.trials
      .filter((t) => isRunningJob(t) && t.stop === undefined)
      .map((t) => ({ name: t.name, reason: sweepCancelledReason }));
    return { state: markStopped(next, stop, 'cancel'), create: [], stop };
  }
  let stop: StopDecision[] = [];
  const policy = definition.earlyTermination;
  if (policy && nowMs - (next.lastEvaluationMs ?? 0) >= policy.evaluationInterval * 1000) {
    stop = trialsToStop(
      policy,
      definition.objective.goal,
      next.trials.map((t) => ({
        name: t.name,
        status:
          isRunningJob(t) && t.stop === undefined
            ? 'running'
            : t.phase === 'succeeded'
              ? 'finished'
              : 'other',
        series: t.series,
      })),
    );
    next = markStopped({ ...next, lastEvaluationMs: nowMs }, stop, 'early');
  }
  const active = next.trials.filter(isRunningJob).length;
  const free = Math.max(0, definition.maxConcurrentTrials - active);
  const remaining = definition.maxTrials - next.nextIndex;
  const count = Math.min(free, remaining, trialsPerCreationBatch);
  const create = Array.from({ length: Math.max(0, count) }, (_, i) => next.nextIndex + i);
  return { state: next, create, stop };
}

function markStopped(state: SweepRunState, stop: StopDecision[], kind: 'early' | 'cancel'): SweepRunState {
  if (stop.length === 0) return state;
  const reasons = new Map(stop.map((s) => [s.name, s.reason]));
  return {
    ...state,
    trials: state.trials.map((t) =>
      reasons.has(t.name) ? { ...t, stop: kind, reason: reasons.get(t.name) } : t,
    ),
  };
}

/**
 * A sweep that cannot go on: the trials whose jobs still run (to terminate), and the state once they were asked to,
 * every active trial then counted as ended (stopped ones as cancelled with `reason`).
 */
export function abandonTrials(
  state: SweepRunState,
  reason: string,
): { stop: string[]; state: SweepRunState } {
  const stop = state.trials.filter((t) => isRunningJob(t) && t.stop === undefined).map((t) => t.name);
  const trials = state.trials.map((t): TrialState => {
    if (!isActive(t)) return t;
    const { ended, ...rest } = t;
    if (ended !== undefined) return { ...rest, phase: endPhase(t, ended === 'succeeded') };
    if (t.stop !== undefined) return { ...rest, phase: endPhase(t, false) };
    return { ...rest, phase: 'cancelled', stop: 'cancel', reason };
  });
  return { stop, state: { ...state, trials } };
}

/** How long the orchestration waits between rounds. */
export function roundWaitSeconds(definition: SweepDefinition, pollSeconds: number): number {
  const interval = definition.earlyTermination?.evaluationInterval;
  return interval === undefined ? pollSeconds : Math.max(1, Math.min(pollSeconds, interval));
}

/** Over: every trial was created and none is active (or, when cancelling, none is active). */
export function isFinished(definition: SweepDefinition, state: SweepRunState): boolean {
  const anyActive = state.trials.some(isActive);
  if (state.cancelling) return !anyActive;
  return !anyActive && state.nextIndex >= definition.maxTrials;
}

/** The status the sweep's record shows for `state` (`finished`: the final one, with its execution state). */
export function sweepStatus(
  definition: SweepDefinition,
  state: SweepRunState,
  finished: boolean,
  rules: SweepRules = currentSweepRules,
): SweepStatus {
  const parametersOf = (index: number) => trialParameters(definition, index, rules.clampsSamples);
  const counts: TrialCounts = {
    notStarted: state.cancelling ? 0 : definition.maxTrials - state.nextIndex,
    queued: 0,
    running: 0,
    succeeded: 0,
    failed: 0,
    earlyTerminated: 0,
    cancelled: 0,
  };
  for (const t of state.trials) counts[t.phase]++;
  const bestIndex = bestTrialIndex(
    state.trials.map((t) => ({ index: t.index, succeeded: t.phase === 'succeeded', final: t.series.last })),
    definition.objective.goal,
  );
  const best = state.trials.find((t) => t.index === bestIndex);
  let executionState: SweepExecutionState = 'running';
  if (finished) executionState = state.cancelling ? 'cancelled' : best ? 'succeeded' : 'failed';
  if (state.failure !== undefined) executionState = 'failed';
  return {
    executionState,
    trialCounts: counts,
    ...(best
      ? {
          bestTrial: {
            name: best.name,
            parameters: parametersOf(best.index),
            metric: best.series.last as number,
          },
        }
      : {}),
    trials: state.trials.map((t) => ({
      name: t.name,
      parameters: parametersOf(t.index),
      state: t.phase,
      ...(t.series.last !== undefined ? { metric: t.series.last, step: t.series.lastStep } : {}),
      ...(t.reason ? { reason: t.reason } : {}),
    })),
    ...(state.failure !== undefined ? { error: state.failure } : {}),
  };
}

/** A short fingerprint of a status (FNV-1a of its JSON), so the orchestration only writes changes. */
export function statusFingerprint(status: SweepStatus): string {
  const text = JSON.stringify(status);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return `${hash.toString(16)}:${text.length}`;
}

export { trialJobName };
