// Wire types of this service's extensions of Batch AI 2018-05-01 (described in shared/domain/spec/extensionsSpec.ts):
// sweeps, scoring rules, job schedules, role assignments, and the job's queueInfo and attempts.
import type { BatchAiError, JobBaseProperties, JobCreateParameters, ProxyResource } from './batchAiTypes';

/** Why a queued job waits (present only while it is queued). */
export interface JobQueueInfo {
  position?: number;
  /** A WaitReason code, e.g. WaitingForRunningJobs, InsufficientFreeNodes, BlockedByReservation. */
  reason?: string;
  message?: string;
  nodesNeeded?: number;
  nodesFree?: number;
  blockedByJobId?: string;
  expectedStartTime?: string;
  /** When the scheduler computed this (the reason is rewritten at once, the figures at most every 15 s). */
  updatedTime?: string;
}

/** One run of a job; a preempted job is requeued and runs again as the next attempt. */
export interface JobAttempt {
  attempt: number;
  nodeIds?: string[];
  startTime?: string;
  endTime?: string;
  exitCode?: number;
  outcome?: 'succeeded' | 'failed' | 'terminated' | 'wallClockExceeded' | 'preempted' | string;
}

export type SweepParameterValue = string | number | boolean;

export type SweepParameter =
  | { type: 'choice'; values: SweepParameterValue[] }
  | { type: 'int' | 'uniform' | 'loguniform'; min: number; max: number };

export interface SweepDefinition {
  /** The properties of a job, with `{parameters.<name>}` placeholders. */
  jobTemplate: JobBaseProperties;
  parameters: Record<string, SweepParameter>;
  sampling?: 'grid' | 'random';
  maxTrials?: number;
  maxConcurrentTrials?: number;
  seed?: number;
  objective?: { metric: string; goal: 'maximize' | 'minimize' };
  earlyTermination?: {
    policy: 'bandit' | 'median';
    evaluationInterval?: number;
    delayEvaluation?: number;
    slackFactor?: number;
  };
}

export interface SweepCreateParameters {
  properties: SweepDefinition;
}

export type SweepExecutionState = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface SweepTrialCounts {
  notStarted: number;
  queued: number;
  running: number;
  succeeded: number;
  failed: number;
  earlyTerminated: number;
  cancelled: number;
}

export interface SweepTrial {
  name: string;
  parameters: Record<string, SweepParameterValue>;
  state: string;
  metric?: number;
  step?: number;
  reason?: string;
}

export interface SweepBestTrial {
  name: string;
  parameters: Record<string, SweepParameterValue>;
  metric: number;
}

export interface Sweep extends ProxyResource {
  properties?: Partial<SweepDefinition> & {
    creationTime?: string;
    provisioningState?: 'succeeded' | 'deleting';
    cancelRequested?: boolean;
    executionState?: SweepExecutionState;
    executionStateTransitionTime?: string;
    trialCounts?: SweepTrialCounts;
    bestTrial?: SweepBestTrial;
    trials?: SweepTrial[];
    error?: BatchAiError;
  };
}

/** What a sweep delete did: removed, cancelling then removed (it was running), or nothing existed. */
export type SweepDeleteOutcome = 'deleted' | 'deleting' | 'notFound';

export interface ScoringRuleProperties {
  source: {
    storageAccount?: string;
    container: string;
    blobPrefix?: string;
    blobSuffix?: string;
    caseSensitive?: boolean;
  };
  experimentName: string;
  jobTemplate: JobCreateParameters;
  batching?: { windowSeconds: number; maxBlobs?: number };
  enabled?: boolean;
}

export interface ScoringRule extends ProxyResource {
  properties?: Partial<ScoringRuleProperties> & {
    provisioningState?: string;
    creationTime?: string;
    lastModifiedTime?: string;
  };
}

export interface JobScheduleProperties {
  /** Six-field NCRONTAB in UTC. */
  schedule: string;
  experimentName: string;
  jobTemplate: JobCreateParameters;
  overlapPolicy?: 'skip' | 'allow';
  startTime?: string;
  enabled?: boolean;
}

export interface JobSchedule extends ProxyResource {
  properties?: Partial<JobScheduleProperties> & {
    provisioningState?: string;
    creationTime?: string;
    lastModifiedTime?: string;
    nextRunTime?: string;
    lastJobName?: string;
    lastRun?: {
      dueTime?: string;
      result?: 'created' | 'existing' | 'skipped' | 'failed';
      jobName?: string;
      message?: string;
      missed?: number;
    };
  };
}

export type WorkspaceRole = 'reader' | 'contributor' | 'owner';
export type PrincipalType = 'User' | 'Group' | 'ServicePrincipal';

export interface RoleAssignmentParameters {
  properties: { role: WorkspaceRole; principalType?: PrincipalType };
}

export interface RoleAssignment extends ProxyResource {
  properties?: {
    principalId?: string;
    principalType?: PrincipalType;
    role?: WorkspaceRole;
    scope?: string;
    createdOn?: string;
    updatedOn?: string;
    createdBy?: string;
  };
}
