// Jobs submitted by queue message: the submission's job body goes through createJob (validation, sealed secrets,
// `queued`, lifecycle started) under a name fixed by the submission, so a redelivered message finds its job.
// Errors name the field as a path in the message: its own fields as `message.<field>`, the job body's as `job.<path>`.
import { ApiError, ConflictError, NotFoundError, ValidationError } from '../errors';
import { checkJobProperties } from '../jobRules';
import { validateRef, type ResourceRef } from '../resourceId';
import type { Stored } from '../resourceRecord';
import { assertUnchanged } from '../services/createOrConfirm';
import { createJob } from '../services/jobService';
import { secretReferencesOf } from '../services/secretReferences';
import type { ServiceDeps } from '../services/serviceDeps';
import { isJsonObject, validateCreateBody, type JsonObject } from '../specValidator';
import { submissionJobName } from './eventJobName';

export interface SubmissionRequest {
  submissionId: string;
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  experiment: string;
  jobName?: string;
  job: unknown;
}

export interface SubmittedJob {
  jobId: string;
  jobName: string;
  /** False when an earlier delivery already created it. */
  created: boolean;
}

/** The message field that holds each part of the job's address (validateRef names them as in a request path). */
const addressFields: Record<string, string> = {
  subscriptionId: 'message.subscriptionId',
  resourceGroupName: 'message.resourceGroup',
  workspaceName: 'message.workspace',
  experimentName: 'message.experiment',
  jobName: 'message.jobName',
};

function checkAddress(ref: ResourceRef): void {
  try {
    validateRef(ref);
  } catch (error: unknown) {
    const field = error instanceof ValidationError ? addressFields[error.target ?? ''] : undefined;
    if (!field || !(error instanceof ValidationError)) throw error;
    throw new ValidationError(field, error.message, error.code);
  }
}

/**
 * The job service names fields of the job body; in the message they sit under `job`. A missing or departing parent
 * is named by its path parameter (`workspaceName`): in the message, the field that holds it.
 */
function inJobBody(error: unknown): unknown {
  const addressField = error instanceof ApiError ? addressFields[error.target ?? ''] : undefined;
  if (addressField && error instanceof NotFoundError)
    return new NotFoundError(error.message, error.code as 'ParentResourceNotFound', addressField);
  if (addressField && error instanceof ConflictError)
    return new ConflictError(error.code, error.message, addressField);
  if (error instanceof ValidationError && error.target)
    return new ValidationError(`job.${error.target}`, error.message, error.code);
  if (error instanceof ConflictError && error.target)
    return new ConflictError(error.code, error.message, `job.${error.target}`);
  return error;
}

export async function submitJob(deps: ServiceDeps, request: SubmissionRequest): Promise<SubmittedJob> {
  const ref: ResourceRef = {
    kind: 'job',
    subscriptionId: request.subscriptionId,
    resourceGroup: request.resourceGroup,
    workspace: request.workspace,
    experiment: request.experiment,
    name: request.jobName ?? submissionJobName(request.submissionId),
  };
  checkAddress(ref);
  try {
    const result = await createJob(deps, ref, structuredClone(request.job));
    return { jobId: result.stored.record.armId, jobName: ref.name, created: result.created };
  } catch (error: unknown) {
    // A redelivery of the message that created the job, after its cluster (a file server, a Key Vault secret) went:
    // what it asked for is done, so it is confirmed, not refused because the request no longer validates.
    const existing = error instanceof ValidationError ? await sameJob(deps, ref, request.job) : undefined;
    if (existing) return { jobId: existing.record.armId, jobName: ref.name, created: false };
    throw inJobBody(error);
  }
}

/** Kept as given, except the singular 'workspace' segment the job service corrects (referenceResolver.ts). */
const normalizedId = (holder: unknown): void => {
  if (isJsonObject(holder) && typeof holder.id === 'string')
    holder.id = holder.id.replace(/\/workspace\//i, '/workspaces/');
};

/**
 * The job of that name when it holds exactly what `body` asks for (what createJob would confirm as an identical
 * PUT, without resolving its references, which may be gone by now); otherwise undefined.
 */
async function sameJob(deps: ServiceDeps, ref: ResourceRef, body: unknown): Promise<Stored | undefined> {
  const found = await deps.store.get(ref);
  if (!found) return undefined;
  try {
    // The job service's own normalization of the body (jobService.ts createJob), which is pure.
    const { secrets, properties } = validateCreateBody('JobCreateParameters', structuredClone(body));
    checkJobProperties(properties);
    const constraints = (properties.constraints as JsonObject | undefined) ?? {};
    constraints.maxWallClockTime ??= 'P7D';
    properties.constraints = constraints;
    normalizedId(properties.cluster);
    const mounts = (properties.mountVolumes as JsonObject | undefined)?.fileServers;
    if (Array.isArray(mounts)) for (const mount of mounts) normalizedId((mount as JsonObject).fileServer);
    const referenced = secretReferencesOf(properties, 'properties').map((r) => r.valuePath);
    assertUnchanged(deps, found.record, properties, secrets, referenced);
    return found;
  } catch {
    return undefined; // another body (or one invalid in itself): the original error stands
  }
}
