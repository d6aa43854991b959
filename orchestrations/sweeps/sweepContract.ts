// Names and payloads shared by the sweep orchestration, its activities and the API that starts it.
import type { ResourceRef } from '../../shared/domain/resourceId';
import type { SweepDefinition } from '../../shared/domain/sweeps/sweepDefinition';
import type {
  CreatedTrial,
  SweepRunState,
  SweepStatus,
  TrialObservation,
} from '../../shared/domain/sweeps/sweepProgress';
import type { SweepAddress } from '../../shared/domain/sweeps/sweepStore';

export const sweepOrchestratorName = 'Sweep';
export const pollSweepTrialsActivityName = 'PollSweepTrials';
export const createSweepTrialsActivityName = 'CreateSweepTrials';
export const terminateSweepTrialsActivityName = 'TerminateSweepTrials';
export const recordSweepStatusActivityName = 'RecordSweepStatus';

/** The job of one trial (trials are jobs of the sweep's experiment). */
export function trialJobRef(sweep: SweepAddress, name: string): ResourceRef {
  return { kind: 'job', ...sweep, name };
}

export function sweepInstanceId(uuid: string): string {
  return `sweep-${uuid}`;
}

export interface SweepOrchestrationInput {
  sweep: SweepAddress;
  uuid: string;
  definition: SweepDefinition;
  /** Seconds between rounds (capped by the early-termination interval). */
  pollSeconds: number;
  /** Rounds per episode before continue-as-new (bounded history). */
  roundsPerEpisode: number;
  /** Carried over by continue-as-new. */
  state?: SweepRunState;
  failedRounds?: number;
}

/** The sweep's identity as activities check it: a sweep deleted and created again is another sweep. */
export interface SweepIdentity {
  sweep: SweepAddress;
  uuid: string;
}

export interface ObservedTrial {
  name: string;
  attempt: number;
  stdoutBlob?: string;
  offset: number;
  /** Reports of the objective seen so far (numbers the ones printed without a step). */
  reports: number;
}

export interface PollSweepTrialsInput extends SweepIdentity {
  metric: string;
  trials: ObservedTrial[];
}

export interface PollSweepTrialsResult {
  /** The sweep's record is gone or belongs to another sweep of that name: the orchestration ends. */
  gone: boolean;
  cancelRequested: boolean;
  deleteRequested: boolean;
  trials: TrialObservation[];
}

export interface CreateSweepTrialsInput extends SweepIdentity {
  indexes: number[];
  /** False for instances older than 1.2: random floats as they computed them (not clamped into their range). */
  clampSamples?: boolean;
  /**
   * The orchestration time of the round that asks for these trials (absent in inputs of older instances): a job of
   * a trial's name created well before it was not created by this call, and is never adopted.
   */
  requestedAt?: string;
}

export interface CreateSweepTrialsResult {
  gone: boolean;
  created: CreatedTrial[];
}

export interface TerminateSweepTrialsInput extends SweepIdentity {
  names: string[];
  /** Why each is stopped (trial name -> reason), kept on its job's error (absent in older instances' histories). */
  reasons?: Record<string, string>;
}

export interface RecordSweepStatusInput extends SweepIdentity {
  status: SweepStatus;
  /** The sweep is over and its DELETE is pending: remove the record. */
  remove: boolean;
  /**
   * The orchestration's last write (the sweep is over): a DELETE that came after its last poll removes the record
   * then. Absent in inputs of older instances, whose last write was the only one not `running`.
   */
  final?: boolean;
}
