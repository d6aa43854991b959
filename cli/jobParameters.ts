// `job create`'s body: the job.json of a Batch AI recipe (-f, JobCreateParameters) with the cluster from -c (a name
// in the same workspace or a full ARM id) and az's storage flags and placeholders applied.
import type { JobBaseProperties, JobCreateParameters } from '../shared/client/batchAiTypes';
import { workspaceChildId } from './armResourceIds';
import type { CommandOptions } from './commandOptions';
import { readConfigFile } from './configFile';
import { completeMountVolumes, storageAccount } from './storageMounts';
import { UsageError } from './usageError';

export interface JobTarget {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  cwd: string;
}

/** The -f file as read (its JSON, az's storage placeholders filled in), keys beside `properties` included. */
export function jobConfigFile(options: CommandOptions, target: JobTarget): Record<string, unknown> {
  return readConfigFile(options.requiredText('config-file'), target.cwd, storageAccount(options));
}

export function jobCreateParameters(
  options: CommandOptions,
  target: JobTarget,
  config = jobConfigFile(options, target),
): JobCreateParameters {
  const configFile = options.requiredText('config-file');
  const given = config.properties;
  if (given === undefined || given === null || typeof given !== 'object' || Array.isArray(given))
    throw new UsageError(
      `--config-file: '${configFile}' must have a 'properties' object (JobCreateParameters).`,
    );
  const properties = { ...(given as Partial<JobBaseProperties>) };
  const childId = (collection: 'clusters' | 'fileServers', nameOrId: string): string =>
    workspaceChildId(target.subscriptionId, target.resourceGroup, target.workspace, collection, nameOrId);
  const cluster = options.text('cluster');
  if (cluster) properties.cluster = { id: childId('clusters', cluster) };
  if (!properties.cluster?.id)
    throw new UsageError(
      'the following argument is required: --cluster/-c (or properties.cluster.id in --config-file)',
    );
  const mountVolumes = completeMountVolumes(
    properties.mountVolumes,
    options,
    (nfs) => childId('fileServers', nfs),
    'properties.mountVolumes',
  );
  if (mountVolumes) properties.mountVolumes = mountVolumes;
  return { properties: properties as JobBaseProperties };
}
