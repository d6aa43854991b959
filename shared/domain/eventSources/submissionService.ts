// Jobs submitted by queue message: the submission's job body goes through createJob (validation, sealed secrets,
// `queued`, its cluster's scheduler told) under a name fixed by the submission, so a redelivered message finds its job.
// Errors name the field as a path in the message: its own fields as `message.<field>`, the job body's as `job.<path>`.
import { ApiError, ConflictError, NotFoundError, ValidationError } from '../errors';
import { validateRef, type ResourceRef } from '../resourceId';
import { createJob } from '../services/jobService';
import type { ServiceDeps } from '../services/serviceDeps';
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
    // A redelivery after its job's cluster (a file server, a Key Vault secret) went is confirmed by createJob.
    throw inJobBody(error);
  }
}
