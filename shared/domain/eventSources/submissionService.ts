// Jobs submitted by queue message: the submission's job body goes through createJob (validation, sealed secrets,
// `queued`, lifecycle started) under a name fixed by the submission, so a redelivered message finds its job.
import type { ResourceRef } from '../resourceId';
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

export async function submitJob(deps: ServiceDeps, request: SubmissionRequest): Promise<SubmittedJob> {
  const ref: ResourceRef = {
    kind: 'job',
    subscriptionId: request.subscriptionId,
    resourceGroup: request.resourceGroup,
    workspace: request.workspace,
    experiment: request.experiment,
    name: request.jobName ?? submissionJobName(request.submissionId),
  };
  const result = await createJob(deps, ref, request.job);
  return { jobId: result.stored.record.armId, jobName: ref.name, created: result.created };
}
