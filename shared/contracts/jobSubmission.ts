// The message another service puts on the `job-submissions` queue to submit a job, and the result message sent
// back to the reply queue it names. Versioned; the job body itself is validated later by the job service.
import { ContractError } from './contractError';
import { checkSchemaHeader } from './schemaVersion';
import { optionalString, requireObject, requireString, type WireObject } from './wireFields';

export const jobSubmissionSchema = 'batchai.jobSubmission';
export const jobSubmissionResultSchema = 'batchai.jobSubmissionResult';

export interface JobSubmission {
  schema: typeof jobSubmissionSchema;
  version: 1;
  /** The sender's id of this submission: the same id always means the same job (idempotency key). */
  submissionId: string;
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  experiment: string;
  /** Absent: derived from the submissionId (see shared/domain/eventSources/eventJobName.ts). */
  jobName?: string;
  /** A JobCreateParameters body (`{ properties: {...} }`), as the HTTP API takes it. */
  job: WireObject;
  /** A queue in the same storage account that receives a JobSubmissionResult. */
  replyTo?: string;
}

export interface JobSubmissionResult {
  schema: typeof jobSubmissionResultSchema;
  version: 1;
  submissionId: string;
  status: 'accepted' | 'rejected';
  /** The job's ARM id and name when accepted. */
  jobId?: string;
  jobName?: string;
  /** True when an earlier delivery of the same submission had already created the job. */
  alreadyExisted?: boolean;
  error?: { code: string; message: string; target?: string };
}

const submissionIdPattern = /^[A-Za-z0-9._:@-]+$/;
// Storage queue names: 3-63 lower-case letters, digits and single dashes, starting and ending with a letter or digit.
const queueNamePattern = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;

export function parseJobSubmission(value: unknown): JobSubmission {
  const obj = checkSchemaHeader(value, jobSubmissionSchema, [1]);
  const submissionId = requireString(obj, 'submissionId', 'message', 128);
  if (!submissionIdPattern.test(submissionId)) {
    throw new ContractError(
      'message.submissionId',
      "must contain only letters, digits and '.', '_', ':', '@', '-'.",
    );
  }
  const replyTo = optionalString(obj, 'replyTo', 'message', 63);
  if (replyTo !== undefined && !queueNamePattern.test(replyTo)) {
    throw new ContractError('message.replyTo', 'must be a storage queue name (3-63 of a-z, 0-9 and -).');
  }
  return {
    schema: jobSubmissionSchema,
    version: 1,
    submissionId,
    subscriptionId: requireString(obj, 'subscriptionId', 'message', 64),
    resourceGroup: requireString(obj, 'resourceGroup', 'message', 90),
    workspace: requireString(obj, 'workspace', 'message', 64),
    experiment: requireString(obj, 'experiment', 'message', 64),
    jobName: optionalString(obj, 'jobName', 'message', 64),
    job: requireObject(obj.job, 'message.job'),
    replyTo,
  };
}

// Property names whose values are secrets in a JobCreateParameters body (see shared/domain/specValidator.ts).
const secretKeys = new Set(['password', 'accountKey', 'adminUserPassword', 'instrumentationKey']);

/**
 * A copy of a message that is safe to keep in a dead-letter queue: secret values of the job body (secrets[].value,
 * registry passwords, storage account keys) are replaced, since the rejected copy outlives the original.
 */
export function redactSubmission(value: unknown): unknown {
  const redact = (node: unknown, inSecrets: boolean): unknown => {
    if (Array.isArray(node)) return node.map((item) => redact(item, inSecrets));
    if (typeof node !== 'object' || node === null) return node;
    const out: WireObject = {};
    for (const [key, child] of Object.entries(node)) {
      if (secretKeys.has(key) || (inSecrets && key === 'value')) out[key] = '***';
      else out[key] = redact(child, key === 'secrets');
    }
    return out;
  };
  return redact(value, false);
}
