// Queue trigger: jobs submitted by other services on the job-submissions queue. A malformed or refused submission
// (bad schema, invalid job, missing workspace) is set aside at once in job-submissions-rejected with the reason,
// never retried; a transient failure throws, so the host retries it and finally moves it to the poison queue.
import { createHash } from 'crypto';
import { app, output, type InvocationContext } from '@azure/functions';
import { jobSubmissionsQueue, jobSubmissionsRejectedQueue } from '../../shared/config/resourceNames';
import { ContractError } from '../../shared/contracts/contractError';
import {
  jobSubmissionResultSchema,
  parseJobSubmission,
  redactSubmission,
  type JobSubmission,
  type JobSubmissionResult,
} from '../../shared/contracts/jobSubmission';
import type { ErrorDetail } from '../../shared/domain/errors';
import { permanentFailure } from '../../shared/domain/eventSources/failureKind';
import { submitJob } from '../../shared/domain/eventSources/submissionService';
import { parseQueuePayload } from '../compute/queuePayload';
import { getEventSourceServices } from './eventSourceServices';

const rejected = output.storageQueue({
  queueName: jobSubmissionsRejectedQueue,
  connection: 'AzureWebJobsStorage',
});

/**
 * The original message with its secrets redacted. One that is not JSON cannot be redacted (a truncated message may
 * still hold secret values), so only its length and SHA-256 are kept: the sender finds it by that hash.
 */
function originalOf(payload: unknown): unknown {
  let value = payload;
  try {
    value = parseQueuePayload(payload);
  } catch {
    const text = typeof payload === 'string' ? payload : String(payload);
    return {
      unreadable: 'The message is not JSON; its text is not kept (it may hold secret values).',
      length: text.length,
      sha256: createHash('sha256').update(text, 'utf8').digest('hex'),
    };
  }
  return redactSubmission(value);
}

export async function handleJobSubmission(payload: unknown, context: InvocationContext): Promise<void> {
  const reject = (reason: ErrorDetail, submissionId?: string): void => {
    context.warn(
      `Rejected job submission${submissionId ? ` '${submissionId}'` : ''}: ${reason.code}${reason.target ? ` (${reason.target})` : ''}: ${reason.message}`,
    );
    context.extraOutputs.set(rejected, {
      queue: jobSubmissionsQueue,
      reason,
      ...(submissionId ? { submissionId } : {}),
      rejectedTime: new Date().toISOString(),
      dequeueCount: context.triggerMetadata?.dequeueCount,
      message: originalOf(payload),
    });
  };
  let submission: JobSubmission;
  let value: unknown;
  try {
    value = parseQueuePayload(payload);
    submission = parseJobSubmission(value);
  } catch (error: unknown) {
    if (!(error instanceof ContractError)) throw error;
    // The sender correlates rejections by its submissionId, when the message got far enough to carry one.
    const id = (value as { submissionId?: unknown } | undefined)?.submissionId;
    reject(
      { code: 'InvalidMessage', message: error.message, target: error.field },
      typeof id === 'string' && id.length <= 128 ? id : undefined,
    );
    return;
  }
  const services = await getEventSourceServices();
  const reply = async (
    result: Omit<JobSubmissionResult, 'schema' | 'version' | 'submissionId'>,
  ): Promise<void> => {
    if (!submission.replyTo) return;
    await services.queues.send(submission.replyTo, {
      schema: jobSubmissionResultSchema,
      version: 1,
      submissionId: submission.submissionId,
      ...result,
    });
  };
  try {
    const job = await submitJob(services.service, submission);
    context.log(
      `Submission '${submission.submissionId}': job ${job.jobId} ${job.created ? 'created' : 'already existed'}.`,
    );
    await reply({ status: 'accepted', jobId: job.jobId, jobName: job.jobName, alreadyExisted: !job.created });
  } catch (error: unknown) {
    const reason = permanentFailure(error);
    if (!reason) throw error;
    // submitJob names the field as a path in the message (`message.jobName`, `job.properties.nodeCount`).
    reject(reason, submission.submissionId);
    await reply({ status: 'rejected', error: reason });
  }
}

app.storageQueue('jobSubmissions', {
  queueName: jobSubmissionsQueue,
  connection: 'AzureWebJobsStorage',
  extraOutputs: [rejected],
  handler: handleJobSubmission,
});
