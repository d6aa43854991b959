// The job record after an attempt ended (pure): succeeded or failed with exit code, errors and end time, or back
// to the queue after a preemption while attempts remain. Only the job's current, unfinished attempt may write: a
// stale attempt (the job was requeued, terminated meanwhile, or deleted and created again) changes nothing.
import { formatIsoDuration } from '../../shared/domain/duration';
import { isTerminal, transitionJob, type TransitionDetails } from '../../shared/domain/jobExecutionState';
import type { ResourceRecord } from '../../shared/domain/resourceRecord';
import type { CompleteJobAttemptInput } from './jobLifecycleContract';
import { withAttemptsView } from './jobRecords';

export interface CompletionContext {
  at: Date;
  /** The end of the failing process's stderr, for executionInfo.errors. */
  stderrTail?: string;
  maxAttempts: number;
}

function transition(
  current: ResourceRecord,
  input: CompleteJobAttemptInput,
  tail: string | undefined,
  maxAttempts: number,
  at: Date,
): ResourceRecord {
  // Terminated (or deleted) while the attempt was ending for another reason (a lost node being stopped, a failing
  // process): the user's request wins over a requeue or another failure; a success that came first stands.
  const outcome: CompleteJobAttemptInput['outcome'] =
    current.job?.executionState === 'terminating' && input.outcome.kind !== 'succeeded'
      ? { kind: 'terminated' }
      : input.outcome;
  switch (outcome.kind) {
    case 'preempted': {
      if (input.attempt < maxAttempts) {
        return transitionJob(current, 'queued', { at, outcome: 'preempted', reason: outcome.reason });
      }
      return transitionJob(current, 'failed', {
        at,
        outcome: 'preempted',
        reason: outcome.reason,
        errors: [
          {
            code: 'JobPreempted',
            message: `The job's nodes were preempted or lost in each of its ${input.attempt} attempt(s), the maximum. Last: ${outcome.reason}`,
          },
        ],
      });
    }
    case 'succeeded':
      return transitionJob(current, 'succeeded', { at, exitCode: outcome.exitCode, outcome: 'succeeded' });
    case 'failed': {
      const details: NonNullable<TransitionDetails['errors']>[number]['details'] = [];
      if (outcome.exitCode !== undefined) details.push({ name: 'exitCode', value: String(outcome.exitCode) });
      if (tail !== undefined) details.push({ name: 'stderr', value: tail });
      return transitionJob(current, 'failed', {
        at,
        exitCode: outcome.exitCode,
        outcome: 'failed',
        errors: [
          { code: outcome.code, message: outcome.message, ...(details.length > 0 ? { details } : {}) },
        ],
      });
    }
    case 'terminated':
      return transitionJob(current, 'failed', {
        at,
        outcome: 'terminated',
        errors: [
          {
            code: 'JobTerminated',
            message: current.job?.terminationReason ?? 'The job was terminated by the user.',
          },
        ],
      });
    case 'wallClockExceeded':
      return transitionJob(current, 'failed', {
        at,
        outcome: 'wallClockExceeded',
        errors: [
          {
            code: 'MaxWallClockTimeExceeded',
            message: `The job ran longer than its maximum wall clock time (${formatIsoDuration(outcome.maxWallClockSeconds)}) and was stopped.`,
          },
        ],
      });
  }
}

/** The record to write, or undefined when this attempt may not write (stale, or the job already ended). */
export function completedRecord(
  current: ResourceRecord,
  input: CompleteJobAttemptInput,
  context: CompletionContext,
): ResourceRecord | undefined {
  const runtime = current.job;
  if (!runtime || runtime.uuid !== input.lifecycle.jobUuid) return undefined; // another job of that name
  if (runtime.attempts.length !== input.attempt || isTerminal(runtime.executionState)) return undefined;
  if (runtime.executionState === 'queued') return undefined; // requeued: this attempt is stale
  return withAttemptsView(
    transition(current, input, context.stderrTail, context.maxAttempts, endOf(current, input, context.at)),
  );
}

/**
 * When the attempt ended: when its last process ended (the node's clock, so a node handed back at its exit never
 * shows the next job starting before this one ended), kept between the attempt's start and now against clock
 * skew; now when the exits do not say (termination, wall clock, preemption).
 */
function endOf(current: ResourceRecord, input: CompleteJobAttemptInput, now: Date): Date {
  const outcome = input.outcome;
  const exited = outcome.kind === 'succeeded' || outcome.kind === 'failed' ? outcome.endTime : undefined;
  const end = exited === undefined ? NaN : Date.parse(exited);
  if (Number.isNaN(end)) return now;
  const attempts = current.job?.attempts ?? [];
  const start = Date.parse(attempts[attempts.length - 1]?.startTime ?? '');
  return new Date(Math.min(now.getTime(), Number.isNaN(start) ? end : Math.max(start, end)));
}
