// Commands from the resource API to the job lifecycle: a job was queued ('start') or a running job must be stopped
// ('terminate'). The API's HTTP functions carry them out at once; the job-commands queue carries them otherwise (and
// when that fails), which decouples the API from Durable Functions.
import { ContractError } from './contractError';
import { checkSchemaHeader } from './schemaVersion';
import { requireObject, requireOneOf, requireString } from './wireFields';

export const jobCommandSchema = 'batchai.jobCommand';

export interface JobRefWire {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  experiment: string;
  name: string;
}

export interface JobCommand {
  schema: typeof jobCommandSchema;
  version: 1;
  kind: 'start' | 'terminate';
  /** The job's GUID (its lifecycle orchestration is named after it). */
  jobUuid: string;
  /** Lower-cased key of the job's cluster. */
  clusterKey: string;
  job: JobRefWire;
}

/** The wire form of a job's ref (what job commands and lifecycles carry). */
export function jobRefWireOf(ref: {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  experiment?: string;
  name: string;
}): JobRefWire {
  return {
    subscriptionId: ref.subscriptionId,
    resourceGroup: ref.resourceGroup,
    workspace: ref.workspace,
    experiment: ref.experiment ?? '',
    name: ref.name,
  };
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseJobCommand(value: unknown): JobCommand {
  const obj = checkSchemaHeader(value, jobCommandSchema, [1]);
  const ref = requireObject(obj.job, 'message.job');
  const job: JobRefWire = {
    subscriptionId: requireString(ref, 'subscriptionId', 'message.job', 64),
    resourceGroup: requireString(ref, 'resourceGroup', 'message.job', 90),
    workspace: requireString(ref, 'workspace', 'message.job', 64),
    experiment: requireString(ref, 'experiment', 'message.job', 64),
    name: requireString(ref, 'name', 'message.job', 64),
  };
  const jobUuid = requireString(obj, 'jobUuid', 'message', 36);
  if (!uuidPattern.test(jobUuid)) throw new ContractError('message.jobUuid', 'must be a GUID.');
  const clusterKey = requireString(obj, 'clusterKey', 'message', 1024);
  if (!clusterKey.includes('/clusters/')) {
    throw new ContractError('message.clusterKey', 'must be the key of a cluster.');
  }
  return {
    schema: jobCommandSchema,
    version: 1,
    kind: requireOneOf(obj, 'kind', 'message', ['start', 'terminate'] as const),
    jobUuid: jobUuid.toLowerCase(),
    clusterKey,
    job,
  };
}
