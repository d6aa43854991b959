// How the dashboard shows Batch AI states: a label and a tone (the colour class) for job execution states,
// provisioning states and cluster allocation states. Pure: no DOM, so unit tests run it under Node.

export type Tone = 'neutral' | 'info' | 'progress' | 'success' | 'danger' | 'warning';

export interface StateView {
  label: string;
  tone: Tone;
}

const executionStates: Record<string, StateView> = {
  queued: { label: 'Queued', tone: 'info' },
  running: { label: 'Running', tone: 'progress' },
  terminating: { label: 'Terminating', tone: 'warning' },
  succeeded: { label: 'Succeeded', tone: 'success' },
  failed: { label: 'Failed', tone: 'danger' },
};

const provisioningStates: Record<string, StateView> = {
  creating: { label: 'Creating', tone: 'progress' },
  updating: { label: 'Updating', tone: 'progress' },
  deleting: { label: 'Deleting', tone: 'warning' },
  succeeded: { label: 'Succeeded', tone: 'success' },
  failed: { label: 'Failed', tone: 'danger' },
};

const sweepStates: Record<string, StateView> = {
  running: { label: 'Running', tone: 'progress' },
  succeeded: { label: 'Succeeded', tone: 'success' },
  failed: { label: 'Failed', tone: 'danger' },
  cancelled: { label: 'Cancelled', tone: 'warning' },
};

/** Trial states: a job's, plus the sweep's own notStarted and earlyTerminated. */
const trialStates: Record<string, StateView> = {
  ...executionStates,
  notstarted: { label: 'Not started', tone: 'neutral' },
  earlyterminated: { label: 'Stopped early', tone: 'warning' },
  cancelled: { label: 'Cancelled', tone: 'warning' },
};

const allocationStates: Record<string, StateView> = {
  steady: { label: 'Steady', tone: 'success' },
  resizing: { label: 'Resizing', tone: 'progress' },
};

function lookup(table: Record<string, StateView>, state: unknown): StateView {
  if (typeof state !== 'string' || state === '') return { label: 'Unknown', tone: 'neutral' };
  // The API's enums are case-insensitive; an unknown state is shown as given rather than hidden.
  return table[state.toLowerCase()] ?? { label: state, tone: 'neutral' };
}

export function executionStateView(state: unknown): StateView {
  return lookup(executionStates, state);
}

export function provisioningStateView(state: unknown): StateView {
  return lookup(provisioningStates, state);
}

export function sweepStateView(state: unknown): StateView {
  return lookup(sweepStates, state);
}

export function trialStateView(state: unknown): StateView {
  return lookup(trialStates, state);
}

export function allocationStateView(state: unknown): StateView {
  return lookup(allocationStates, state);
}

/** A job can be terminated while it is queued or running; deleting is always possible. */
export function canTerminate(executionState: unknown): boolean {
  return executionState === 'queued' || executionState === 'running';
}

/** Whether the job may still produce output (the log tail keeps refreshing while it does). */
export function isActive(executionState: unknown): boolean {
  return executionState === 'queued' || executionState === 'running' || executionState === 'terminating';
}
