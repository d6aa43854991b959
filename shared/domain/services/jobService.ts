// Jobs: validated, recorded `queued` with everything the lifecycle needs (full properties, canonical cluster id,
// priority, node count, sealed secrets, an attempt list); terminate; output files and remote login information.
import { NotImplementedError, PreconditionFailedError, ValidationError } from '../errors';
import { checkJobProperties } from '../jobRules';
import { checkJobLaunchable } from '../toolkits/launchCheck';
import { transitionJob } from '../jobExecutionState';
import { parseDurationSeconds } from '../duration';
import { armIdOf, keyOf, validateRef, type ResourceRef } from '../resourceId';
import type { OperationRecord } from '../operationRecord';
import type { ResourceRecord, Stored } from '../resourceRecord';
import { isJsonObject, validateCreateBody, type JsonObject } from '../specValidator';
import type { JobFilesPage, JobFilesRequest } from '../../ports/jobOutputFiles';
import type { RemoteLogin } from '../../ports/clusterCompute';
import { assertUnchanged, createOrConfirm, creationStatus, type PutResult } from './createOrConfirm';
import { recordOperation } from './operationService';
import { recheckExperiment, requireExperiment, requireResource } from './parentLookup';
import { normalizeReferenceId, resolveFileServerMounts, resolveReference } from './referenceResolver';
import { resolveSecretReferences, secretReferencesOf } from './secretReferences';
import { sealSecrets } from './secretSealing';
import type { ServiceDeps } from './serviceDeps';

/**
 * A job's task messages carry its command line, environment and (sealed) secrets, with the launch's own paths and
 * files, base64-encoded on a node's queue, whose messages hold at most 64 KiB. Measured at the PUT (the launch's
 * message needs the nodes, unknown until then): the serialized properties plus the secrets at their sealed size
 * (base64, 4/3) must fit in 32 KiB, which at 4/3 again leaves a quarter of the message for the launch's own fields.
 */
export const jobMessageBudget = 32 * 1024;

function serializedSize(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

/** The path and serialized size of the largest leaf under `value`. */
function largestLeaf(value: unknown, at: string): { path: string; size: number } {
  if (value === null || typeof value !== 'object') return { path: at, size: serializedSize(value) };
  let largest: { path: string; size: number } = { path: at, size: 0 };
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const leaf = largestLeaf(child, Array.isArray(value) ? `${at}[${key}]` : `${at}.${key}`);
    if (leaf.size > largest.size) largest = leaf;
  }
  return largest;
}

function checkTaskMessageSize(properties: JsonObject, secrets: Record<string, string>): void {
  const sealed = (size: number) => Math.ceil((size * 4) / 3);
  const secretSizes = Object.entries(secrets).map(([path, value]) => ({
    path,
    size: sealed(serializedSize(value)),
  }));
  const size = serializedSize(properties) + secretSizes.reduce((sum, secret) => sum + secret.size, 0);
  if (size <= jobMessageBudget) return;
  const largest = [largestLeaf(properties, 'properties'), ...secretSizes].reduce((a, b) =>
    b.size > a.size ? b : a,
  );
  throw new ValidationError(
    largest.path,
    `The job is too large to send to its nodes: its properties and secrets take ${size} bytes, more than ` +
      `${jobMessageBudget} (a task message holds at most 64 KiB); the largest is '${largest.path}' ` +
      `(${largest.size} bytes). Put large inputs in a file the job reads instead.`,
    'RequestBodyTooLarge',
  );
}

export async function createJob(
  deps: ServiceDeps,
  ref: ResourceRef,
  body: unknown,
  /** `createdBy`: kept on the new record (JobRuntime.createdBy). */
  options: { createdBy?: string } = {},
): Promise<PutResult> {
  validateRef(ref);
  const { secrets, properties } = validateCreateBody('JobCreateParameters', body);
  const toolType = checkJobProperties(properties);
  // What the body holds; Key Vault secrets are counted again once read.
  checkTaskMessageSize(properties, secrets);
  const constraints = (properties.constraints as JsonObject | undefined) ?? {};
  constraints.maxWallClockTime ??= 'P7D';
  if (
    parseDurationSeconds('properties.constraints.maxWallClockTime', String(constraints.maxWallClockTime)) <= 0
  ) {
    throw new ValidationError(
      'properties.constraints.maxWallClockTime',
      `'properties.constraints.maxWallClockTime' must be longer than zero.`,
    );
  }
  properties.constraints = constraints;
  const experiment = await requireExperiment(deps, ref, true);
  let cluster: Stored;
  let referenced: Record<string, string>;
  try {
    cluster = await resolveReference(
      deps,
      'properties.cluster.id',
      properties.cluster as JsonObject,
      'cluster',
      ref,
    );
    await resolveFileServerMounts(
      deps,
      'properties.mountVolumes',
      properties.mountVolumes as JsonObject | undefined,
      ref,
    );
    referenced = await resolveSecretReferences(deps, properties);
  } catch (error: unknown) {
    // The same job again (a retried PUT, a redelivered submission) after its cluster, a file server or a Key Vault
    // secret went: what it asked for is done, so it is confirmed rather than refused for what no longer resolves.
    const existing =
      error instanceof ValidationError ? await sameJob(deps, ref, properties, secrets) : undefined;
    if (existing) return { created: false, stored: existing };
    throw error;
  }
  checkTaskMessageSize(properties, { ...secrets, ...referenced });
  // What its references say comes first; then what only the launch used to find (a toolkit without its command).
  checkJobLaunchable(properties);
  const armId = armIdOf(ref);
  const uuid = deps.newId();
  const now = deps.now().toISOString();
  const record: ResourceRecord = {
    kind: 'job',
    ref,
    armId,
    location: experiment.record.location,
    spec: properties,
    status: {
      toolType,
      jobOutputDirectoryPathSegment: `${ref.subscriptionId}/${ref.resourceGroup}/workspaces/${ref.workspace}/experiments/${ref.experiment}/jobs/${ref.name}/${uuid}`,
      ...creationStatus(deps),
      executionState: 'queued',
      executionStateTransitionTime: now,
    },
    encryptedSecrets: sealSecrets(deps.secrets, armId, { ...secrets, ...referenced }),
    job: {
      uuid,
      clusterId: cluster.record.armId,
      clusterKey: keyOf(cluster.record.ref),
      priority: properties.schedulingPriority as 'low' | 'normal' | 'high',
      nodeCount: properties.nodeCount as number,
      executionState: 'queued',
      attempts: [],
      ...(options.createdBy !== undefined ? { createdBy: options.createdBy } : {}),
    },
  };
  const trace = deps.traceContext?.();
  if (trace) record.job!.trace = trace;
  const result = await createOrConfirm(
    deps,
    () => record,
    (existing) => assertUnchanged(deps, existing, properties, secrets, Object.keys(referenced)),
    async (stored) => {
      // Its experiment may have begun to be deleted since it was checked above, and the delete's listing of its
      // jobs missed this one: then this job goes again, and the request fails as if the delete had come first.
      try {
        await recheckExperiment(deps, ref);
      } catch (error: unknown) {
        await deps.store.delete(stored.record.ref, stored.etag);
        throw error;
      }
      await deps.lifecycle?.jobQueued(stored.record);
    },
  );
  // The same job again (a retried PUT, a redelivered submission) that is still queued: the first request may have
  // failed after the record was written, before the scheduler was told, and nothing else would look at it soon on
  // an idle cluster. Telling it again is idempotent.
  if (!result.created && result.stored.record.job?.executionState === 'queued')
    await deps.lifecycle?.jobQueued(result.stored.record);
  return result;
}

/** The job of that name when it holds exactly `properties` and `secrets` (what an identical PUT confirms). */
async function sameJob(
  deps: ServiceDeps,
  ref: ResourceRef,
  properties: JsonObject,
  secrets: Record<string, string>,
): Promise<Stored | undefined> {
  const found = await deps.store.get(ref);
  if (!found) return undefined;
  const body = structuredClone(properties);
  normalizeReferenceId(body.cluster);
  const mounts = (body.mountVolumes as JsonObject | undefined)?.fileServers;
  if (Array.isArray(mounts))
    for (const mount of mounts) normalizeReferenceId((mount as JsonObject).fileServer);
  const referenced = secretReferencesOf(body, 'properties').map((reference) => reference.valuePath);
  try {
    assertUnchanged(deps, found.record, body, secrets, referenced);
    return found;
  } catch {
    return undefined; // another body: the original error stands
  }
}

/**
 * Terminate: a queued job is finished at once (nothing runs; the lifecycle's ETag-checked move to `running` then
 * fails); a running job becomes `terminating` and the operation completes when the lifecycle has stopped it.
 */
export async function terminateJob(
  deps: ServiceDeps,
  ref: ResourceRef,
  /** `reason`: who stops it and why, when not its user (a sweep): the message of the job's JobTerminated error. */
  options: { reason?: string } = {},
): Promise<{ operation: OperationRecord; stored: Stored }> {
  validateRef(ref);
  for (;;) {
    const current = await requireResource(deps, ref);
    const state = current.record.job?.executionState;
    if (state === 'succeeded' || state === 'failed' || state === 'terminating') {
      const operation = await recordOperation(deps, 'terminate', current.record, state !== 'terminating');
      return { operation, stored: current };
    }
    const at = deps.now();
    const next =
      state === 'queued'
        ? transitionJob(current.record, 'failed', {
            at,
            outcome: 'terminated',
            errors: [
              {
                code: 'JobTerminated',
                message: options.reason ?? 'The job was terminated by the user before it started.',
              },
            ],
          })
        : transitionJob(current.record, 'terminating', { at });
    next.job!.terminationRequestedTime = at.toISOString();
    if (options.reason !== undefined) next.job!.terminationReason = options.reason;
    try {
      const stored = await deps.store.replace(next, current.etag);
      if (state === 'running') await deps.lifecycle?.terminationRequested(stored.record);
      const operation = await recordOperation(deps, 'terminate', stored.record, state === 'queued');
      return { operation, stored };
    } catch (error: unknown) {
      if (!(error instanceof PreconditionFailedError)) throw error;
    }
  }
}

export async function listOutputFiles(
  deps: ServiceDeps,
  ref: ResourceRef,
  request: JobFilesRequest,
): Promise<JobFilesPage> {
  validateRef(ref);
  const job = await requireResource(deps, ref);
  const outputs = Array.isArray(job.record.spec.outputDirectories)
    ? job.record.spec.outputDirectories.filter(isJsonObject)
    : [];
  const known = ['stdouterr', ...outputs.map((o) => String(o.id))];
  if (!known.some((id) => id.toLowerCase() === request.outputDirectoryId.toLowerCase())) {
    throw new ValidationError(
      'outputdirectoryid',
      `The job has no output directory '${request.outputDirectoryId}'; it has ${known.join(', ')}.`,
    );
  }
  if (request.directory.split('/').includes('..'))
    throw new ValidationError('directory', `'directory' must not contain '..'.`);
  if (job.record.job?.attempts.length === 0) return { files: [] }; // It never ran: no file exists yet.
  if (!deps.outputFiles) {
    throw new NotImplementedError(
      'Listing job files needs the job storage component, which this deployment does not configure.',
    );
  }
  return deps.outputFiles.list(job.record, request);
}

export async function listJobRemoteLogins(deps: ServiceDeps, ref: ResourceRef): Promise<RemoteLogin[]> {
  validateRef(ref);
  const job = await requireResource(deps, ref);
  if (job.record.job?.executionState !== 'running' || !deps.compute) return [];
  const cluster = await deps.store.get(parseClusterRef(job.record.job.clusterId));
  if (!cluster) return [];
  return deps.compute.listRemoteLogins(cluster.record, job.record.armId);
}

function parseClusterRef(clusterId: string): ResourceRef {
  const [, , subscriptionId, , resourceGroup, , , , workspace, , name] = clusterId.split('/');
  return { kind: 'cluster', subscriptionId, resourceGroup, workspace, name };
}

export async function listClusterRemoteLogins(deps: ServiceDeps, ref: ResourceRef): Promise<RemoteLogin[]> {
  validateRef(ref);
  const cluster = await requireResource(deps, ref);
  // No compute component means no nodes exist, so there is nothing to log in to.
  return deps.compute ? deps.compute.listRemoteLogins(cluster.record) : [];
}
