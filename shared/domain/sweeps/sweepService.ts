// The sweep API's domain services: create (idempotent PUT: the same body confirms, a different one is a 409 naming
// the property; a new sweep whose trials' job names are taken by jobs of the experiment is a 409 naming them), read,
// list, cancel and delete. The sweep's orchestration is started through the SweepRunner port.
import { firstDifference } from '../deepEqual';
import { ConflictError, NotFoundError, PreconditionFailedError } from '../errors';
import { validateRef, validateResourceName, type ResourceRef } from '../resourceId';
import { requireExperiment } from '../services/parentLookup';
import { sealSecrets } from '../services/secretSealing';
import type { ServiceDeps } from '../services/serviceDeps';
import { ValidationError } from '../errors';
import type { JsonObject, JsonValue } from '../specValidator';
import { resolveFileServerMounts, resolveReference } from '../services/referenceResolver';
import type { Page, PageRequest } from '../../ports/resourceStore';
import type { SecretProtector } from '../../ports/secretProtector';
import { sweepLimits, validateSweepBody, type SweepDefinition } from './sweepDefinition';
import { trialParameters } from './searchSpace';
import { initialRunState, sweepStatus } from './sweepProgress';
import { hasActiveTrials } from './sweepRecovery';
import { substituteParameters, trialJobName } from './trialJobBody';
import {
  sweepArmId,
  type StoredSweep,
  type SweepAddress,
  type SweepRecord,
  type SweepStore,
} from './sweepStore';

/**
 * Starts a sweep's orchestration unless it runs (so a repeated PUT repairs a failed start or a failed instance), and
 * again for a sweep that is over but left trials running once it is cancelled or deleted (to stop them).
 */
export interface SweepRunner {
  ensureStarted(record: SweepRecord): Promise<void>;
}

export interface SweepServiceDeps {
  services: ServiceDeps;
  sweeps: SweepStore;
  runner: SweepRunner;
}

function experimentRef(address: Omit<SweepAddress, 'name'>): ResourceRef {
  return { kind: 'experiment', ...address, name: address.experiment };
}

export function validateSweepAddress(address: SweepAddress): void {
  validateRef(experimentRef(address));
  validateResourceName('sweepName', address.name);
  if (address.name.length > sweepLimits.maxSweepNameLength)
    throw new ValidationError(
      'sweepName',
      `The sweep name '${address.name}' is too long: at most ${sweepLimits.maxSweepNameLength} characters, so that its trials' job names ('<sweep>-t<index>') fit in 64.`,
      'InvalidResourceName',
    );
}

/** The plain secrets of a sweep's job template by path, for creating its trials (never for responses). */
export function openSweepSecrets(protector: SecretProtector, record: SweepRecord): Record<string, string> {
  const opened: Record<string, string> = {};
  for (const [path, sealed] of Object.entries(record.encryptedSecrets))
    opened[path] = protector.open(sealed, `${record.armId.toLowerCase()}#${path}`);
  return opened;
}

function sameSecrets(
  protector: SecretProtector,
  record: SweepRecord,
  secrets: Record<string, string>,
): boolean {
  const current = openSweepSecrets(protector, record);
  const paths = new Set([...Object.keys(current), ...Object.keys(secrets)]);
  return [...paths].every((path) => current[path] === secrets[path]);
}

function seedFrom(id: string): number {
  const hex = id.replace(/[^0-9a-f]/gi, '').slice(0, 8);
  return hex.length > 0 ? parseInt(hex, 16) >>> 0 : 0;
}

function confirm(deps: SweepServiceDeps, existing: SweepRecord, body: unknown): void {
  if (existing.deleteRequested)
    throw new ConflictError('ResourceBeingDeleted', `The sweep '${existing.address.name}' is being deleted.`);
  const { definition, secrets } = validateSweepBody(body, existing.definition.seed);
  const diff = firstDifference(
    existing.definition as unknown as JsonValue,
    definition as unknown as JsonValue,
    'properties',
  );
  if (diff)
    throw new ConflictError(
      'PropertyChangeNotAllowed',
      `The sweep '${existing.address.name}' already exists and '${diff}' cannot be changed; delete it and create it again.`,
      diff,
    );
  if (!sameSecrets(deps.services.secrets, existing, secrets))
    throw new ConflictError(
      'PropertyChangeNotAllowed',
      `The sweep '${existing.address.name}' already exists with different secret values; delete it and create it again.`,
      'properties.jobTemplate',
    );
}

/** Job names looked up at the same time when a new sweep checks that its trials' names are free. */
const parallelNameChecks = 50;
/** At most this many taken names are quoted in the 409. */
const namesQuoted = 5;

/**
 * The jobs of the experiment named as trials of a new sweep (`<sweep>-t<index>`, index < maxTrials; job names are
 * case-insensitive): a sweep deleted earlier leaves its trial jobs, and a user may have created one by hand.
 */
async function takenTrialNames(
  deps: SweepServiceDeps,
  address: SweepAddress,
  maxTrials: number,
): Promise<string[]> {
  const taken: string[] = [];
  for (let from = 0; from < maxTrials; from += parallelNameChecks) {
    const indexes = Array.from(
      { length: Math.min(parallelNameChecks, maxTrials - from) },
      (_, i) => from + i,
    );
    const jobs = await Promise.all(
      indexes.map((index) =>
        deps.services.store.get({ kind: 'job', ...address, name: trialJobName(address.name, index) }),
      ),
    );
    for (const job of jobs) if (job) taken.push(job.record.ref.name);
  }
  return taken;
}

function trialNamesTaken(address: SweepAddress, maxTrials: number, taken: string[]): ConflictError {
  const quoted = taken.slice(0, namesQuoted).map((name) => `'${name}'`);
  const more = taken.length > namesQuoted ? ` and ${taken.length - namesQuoted} more` : '';
  const range =
    maxTrials === 1
      ? `'${trialJobName(address.name, 0)}'`
      : `'${trialJobName(address.name, 0)}' to '${trialJobName(address.name, maxTrials - 1)}'`;
  return new ConflictError(
    'TrialJobNameTaken',
    `The sweep '${address.name}' cannot be created: its trials are the jobs ${range}, and experiment '${address.experiment}' already has jobs of those names (${quoted.join(', ')}${more}), left by an earlier sweep of that name or created otherwise. Delete those jobs or choose another sweep name.`,
    'name',
  );
}

/**
 * The template's cluster and mounted file servers must exist in the sweep's workspace when the sweep is created, as
 * a job's must (jobService.createJob): otherwise every trial would fail with InvalidResourceReference. Errors are
 * 400s under `properties.jobTemplate.*`. The first trial's copy is resolved: the template keeps its ids as given (each trial's job
 * normalizes them), so a repeated PUT compares equal. A repeated PUT of an existing sweep is not re-checked (as a
 * job's is not): what it asked for is done.
 */
async function resolveTemplateReferences(
  deps: SweepServiceDeps,
  address: SweepAddress,
  definition: SweepDefinition,
): Promise<void> {
  const template = definition.jobTemplate;
  const owner = experimentRef(address);
  // The first trial's job: a cluster id may hold a placeholder.
  const copy = substituteParameters(template, trialParameters(definition, 0));
  await resolveReference(
    deps.services,
    'properties.jobTemplate.cluster.id',
    copy.cluster as JsonObject,
    'cluster',
    owner,
  );
  await resolveFileServerMounts(
    deps.services,
    'properties.jobTemplate.mountVolumes',
    copy.mountVolumes as JsonObject | undefined,
    owner,
  );
}

export async function createSweep(
  deps: SweepServiceDeps,
  address: SweepAddress,
  body: unknown,
): Promise<{ created: boolean; stored: StoredSweep }> {
  validateSweepAddress(address);
  await requireExperiment(deps.services, experimentRef(address), true);
  const existing = await deps.sweeps.get(address);
  if (existing) {
    confirm(deps, existing.record, body);
    await deps.runner.ensureStarted(existing.record);
    return { created: false, stored: existing };
  }
  const uuid = deps.services.newId();
  const { definition, secrets } = validateSweepBody(body, seedFrom(deps.services.newId()));
  await resolveTemplateReferences(deps, address, definition);
  // A trial never adopts a job it did not create (createSweepTrialsActivity.ts): a new sweep whose trial names are
  // taken would run nothing, so it is refused before it starts.
  const taken = await takenTrialNames(deps, address, definition.maxTrials);
  if (taken.length > 0) throw trialNamesTaken(address, definition.maxTrials, taken);
  const armId = sweepArmId(address);
  const now = deps.services.now();
  const record: SweepRecord = {
    address,
    armId,
    uuid,
    definition,
    encryptedSecrets: sealSecrets(deps.services.secrets, armId, secrets),
    creationTime: now.toISOString(),
    status: sweepStatus(definition, initialRunState(now.getTime()), false),
    executionStateTransitionTime: now.toISOString(),
  };
  let stored: StoredSweep;
  try {
    stored = await deps.sweeps.create(record);
  } catch (error: unknown) {
    if (!(error instanceof ConflictError)) throw error;
    const winner = await deps.sweeps.get(address);
    if (!winner) throw error;
    confirm(deps, winner.record, body);
    await deps.runner.ensureStarted(winner.record);
    return { created: false, stored: winner };
  }
  await deps.runner.ensureStarted(stored.record);
  return { created: true, stored };
}

export async function getSweep(deps: SweepServiceDeps, address: SweepAddress): Promise<StoredSweep> {
  validateSweepAddress(address);
  await requireExperiment(deps.services, experimentRef(address));
  const found = await deps.sweeps.get(address);
  if (!found)
    throw new NotFoundError(
      `The sweep '${address.name}' was not found in experiment '${address.experiment}' of workspace '${address.workspace}'.`,
    );
  return found;
}

export async function listSweeps(
  deps: SweepServiceDeps,
  experiment: Omit<SweepAddress, 'name'>,
  page: PageRequest,
): Promise<Page<StoredSweep>> {
  validateRef(experimentRef(experiment));
  await requireExperiment(deps.services, experimentRef(experiment));
  return deps.sweeps.list(experiment, page);
}

/** Applies `change` to the sweep with its ETag, re-reading on a concurrent write. */
async function updateSweep(
  deps: SweepServiceDeps,
  address: SweepAddress,
  change: (record: SweepRecord) => SweepRecord | undefined,
): Promise<StoredSweep> {
  for (;;) {
    const current = await getSweep(deps, address);
    const next = change(current.record);
    if (!next) return current;
    try {
      return await deps.sweeps.replace(next, current.etag);
    } catch (error: unknown) {
      if (!(error instanceof PreconditionFailedError)) throw error;
    }
  }
}

/** The sweep's orchestration still has trials to observe or stop (a failed sweep may have left some running). */
function stillRuns(record: SweepRecord): boolean {
  return record.status.executionState === 'running' || hasActiveTrials(record.status);
}

/**
 * Asks the sweep's orchestration to stop its running trials and create no more; a finished sweep is unchanged
 * (except one that failed and left trials running: they are stopped, and it stays failed).
 */
export async function cancelSweep(deps: SweepServiceDeps, address: SweepAddress): Promise<StoredSweep> {
  const stored = await updateSweep(deps, address, (record) =>
    !stillRuns(record) || record.cancelRequested ? undefined : { ...record, cancelRequested: true },
  );
  await deps.runner.ensureStarted(stored.record);
  return stored;
}

/**
 * Deletes a finished sweep at once ('deleted'); a running one (or a failed one that left trials running) is cancelled first and its orchestration removes the
 * record when the trials have stopped ('deleting'); 'absent' when there was none. Trial jobs stay in the experiment
 * (so a sweep created again under that name is refused until they are deleted: `createSweep`).
 */
export async function deleteSweep(
  deps: SweepServiceDeps,
  address: SweepAddress,
): Promise<'deleted' | 'deleting' | 'absent'> {
  validateSweepAddress(address);
  await requireExperiment(deps.services, experimentRef(address));
  for (;;) {
    const current = await deps.sweeps.get(address);
    if (!current) return 'absent';
    if (!stillRuns(current.record)) {
      try {
        if (await deps.sweeps.delete(address, current.etag)) return 'deleted';
        return 'absent';
      } catch (error: unknown) {
        if (!(error instanceof PreconditionFailedError)) throw error;
        continue;
      }
    }
    try {
      const marked = await deps.sweeps.replace(
        { ...current.record, cancelRequested: true, deleteRequested: true },
        current.etag,
      );
      await deps.runner.ensureStarted(marked.record);
      return 'deleting';
    } catch (error: unknown) {
      if (!(error instanceof PreconditionFailedError)) throw error;
    }
  }
}
