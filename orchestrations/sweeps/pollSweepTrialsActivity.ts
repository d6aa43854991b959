// Observes a sweep's active trials: each trial job's state and attempt, and the objective's new reports from its
// stdout (an ended job whose stdout was not read to the end is marked `unread`, and read on next round, unless the
// sweep is being cancelled or deleted: then its trial ends with what was read); plus whether the sweep was
// cancelled, is being deleted, or is gone. Read-only, so safe to retry.
import * as df from 'durable-functions';
import type { ResourceRecord } from '../../shared/domain/resourceRecord';
import type { JsonObject } from '../../shared/domain/specValidator';
import type { TrialObservation } from '../../shared/domain/sweeps/sweepProgress';
import {
  pollSweepTrialsActivityName,
  trialJobRef,
  type ObservedTrial,
  type PollSweepTrialsInput,
  type PollSweepTrialsResult,
} from './sweepContract';
import { getSweepActivityServices, type SweepActivityServices } from './sweepServices';
import { readTrialStdout } from './trialStdoutReader';

/** Trials observed at the same time (a sweep may have a couple of hundred running). */
const parallelReads = 8;

function failureMessage(job: ResourceRecord): string | undefined {
  const info = job.status.executionInfo as JsonObject | undefined;
  const errors = Array.isArray(info?.errors) ? info.errors : [];
  const first = errors[0] as JsonObject | undefined;
  return typeof first?.message === 'string'
    ? `${String(first.code ?? 'Error')}: ${first.message}`
    : undefined;
}

async function clusterMountVolumes(
  services: SweepActivityServices,
  job: ResourceRecord,
  cache: Map<string, JsonObject | undefined>,
): Promise<JsonObject | undefined> {
  const clusterId = job.job?.clusterId;
  if (!clusterId) return undefined;
  if (cache.has(clusterId)) return cache.get(clusterId);
  const [, , subscriptionId, , resourceGroup, , , , workspace, , name] = clusterId.split('/');
  const cluster = await services.deps.store.get({
    kind: 'cluster',
    subscriptionId,
    resourceGroup,
    workspace,
    name,
  });
  const volumes = (cluster?.record.spec.nodeSetup as JsonObject | undefined)?.mountVolumes as
    JsonObject | undefined;
  cache.set(clusterId, volumes);
  return volumes;
}

async function observe(
  services: SweepActivityServices,
  input: PollSweepTrialsInput,
  trial: ObservedTrial,
  volumes: Map<string, JsonObject | undefined>,
  stopping: boolean,
): Promise<TrialObservation> {
  const stored = await services.deps.store.get(trialJobRef(input.sweep, trial.name));
  const job = stored?.record;
  if (!job?.job)
    return { name: trial.name, state: 'missing', attempt: trial.attempt, offset: trial.offset, points: [] };
  const execution = job.job.executionState;
  const ended = execution === 'succeeded' || execution === 'failed';
  const progress = await readTrialStdout(
    services.jobFiles,
    job,
    await clusterMountVolumes(services, job, volumes),
    trial,
    input.metric,
    ended,
  );
  const state = execution === 'terminating' ? 'running' : execution;
  const error = execution === 'failed' ? failureMessage(job) : undefined;
  return {
    name: trial.name,
    state,
    attempt: progress.attempt,
    ...(progress.stdoutBlob !== undefined ? { stdoutBlob: progress.stdoutBlob } : {}),
    offset: progress.offset,
    points: progress.points,
    ...(error ? { error } : {}),
    // A cancel or DELETE does not wait for the rest of an ended job's stdout.
    ...(ended && !progress.atEnd && !stopping ? { unread: true } : {}),
  };
}

export async function pollSweepTrials(input: PollSweepTrialsInput): Promise<PollSweepTrialsResult> {
  const services = await getSweepActivityServices();
  const sweep = await services.sweeps.get(input.sweep);
  if (!sweep || sweep.record.uuid !== input.uuid)
    return { gone: true, cancelRequested: false, deleteRequested: false, trials: [] };
  const volumes = new Map<string, JsonObject | undefined>();
  const stopping = sweep.record.cancelRequested === true || sweep.record.deleteRequested === true;
  const trials: TrialObservation[] = [];
  for (let i = 0; i < input.trials.length; i += parallelReads) {
    const batch = input.trials.slice(i, i + parallelReads);
    trials.push(
      ...(await Promise.all(batch.map((trial) => observe(services, input, trial, volumes, stopping)))),
    );
  }
  return {
    gone: false,
    cancelRequested: sweep.record.cancelRequested === true,
    deleteRequested: sweep.record.deleteRequested === true,
    trials,
  };
}

df.app.activity(pollSweepTrialsActivityName, { handler: pollSweepTrials });
