// ARM identity of Batch AI resources: names, ids, the keys the store uses, and parsing of ids given in bodies
// (cluster and file server references). ARM names are case-insensitive, so keys are lower-cased.
import { ValidationError } from './errors';

export const PROVIDER = 'Microsoft.BatchAI';

export type ResourceKind = 'workspace' | 'cluster' | 'fileServer' | 'experiment' | 'job';

/** Path segment and ARM `type` of each kind (types as the 2018-05-01 service returned them). */
export const kindInfo: Record<ResourceKind, { segment: string; type: string; label: string }> = {
  workspace: { segment: 'workspaces', type: 'Microsoft.BatchAI/Workspaces', label: 'workspace' },
  cluster: { segment: 'clusters', type: 'Microsoft.BatchAI/Clusters', label: 'cluster' },
  fileServer: { segment: 'fileServers', type: 'Microsoft.BatchAI/FileServers', label: 'file server' },
  experiment: { segment: 'experiments', type: 'Microsoft.BatchAI/Experiments', label: 'experiment' },
  job: { segment: 'jobs', type: 'Microsoft.BatchAI/Jobs', label: 'job' },
};

const resourceNamePattern = /^[-\w_]+$/;
const resourceGroupPattern = /^[-\w._]+$/;
const subscriptionPattern = /^[-\w]+$/;

/** Where a resource lives: subscription and resource group always; workspace and experiment for children. */
export interface ResourceRef {
  kind: ResourceKind;
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  experiment?: string;
  /** Name of the resource itself (equals `workspace` for a workspace). */
  name: string;
}

export function validateResourceName(field: string, value: string): void {
  if (value.length < 1 || value.length > 64 || !resourceNamePattern.test(value)) {
    throw new ValidationError(
      field,
      `The ${field} '${value}' is invalid: it must be 1 to 64 characters of letters, digits, '-' and '_'.`,
      'InvalidResourceName',
    );
  }
}

export function validateResourceGroupName(value: string): void {
  if (value.length < 1 || value.length > 90 || !resourceGroupPattern.test(value)) {
    throw new ValidationError(
      'resourceGroupName',
      `The resource group name '${value}' is invalid: it must be 1 to 90 characters of letters, digits, '-', '_' and '.'.`,
      'InvalidResourceGroupName',
    );
  }
}

export function validateSubscriptionId(value: string): void {
  if (value.length < 1 || value.length > 64 || !subscriptionPattern.test(value)) {
    throw new ValidationError(
      'subscriptionId',
      `The subscription id '${value}' is invalid.`,
      'InvalidSubscriptionId',
    );
  }
}

/** Validates every name of a reference taken from a request path. */
export function validateRef(ref: ResourceRef): void {
  validateSubscriptionId(ref.subscriptionId);
  validateResourceGroupName(ref.resourceGroup);
  validateResourceName('workspaceName', ref.workspace);
  if (ref.kind === 'job' || ref.kind === 'experiment')
    validateResourceName('experimentName', ref.experiment ?? '');
  if (ref.kind !== 'workspace' && ref.kind !== 'experiment')
    validateResourceName(`${ref.kind}Name`, ref.name);
}

export function workspaceRefOf(ref: ResourceRef): ResourceRef {
  return {
    kind: 'workspace',
    subscriptionId: ref.subscriptionId,
    resourceGroup: ref.resourceGroup,
    workspace: ref.workspace,
    name: ref.workspace,
  };
}

export function experimentRefOf(ref: ResourceRef): ResourceRef {
  const experiment = ref.experiment ?? ref.name;
  return { ...workspaceRefOf(ref), kind: 'experiment', experiment, name: experiment };
}

/** The ARM id, e.g. /subscriptions/s/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/w/clusters/c. */
export function armIdOf(ref: ResourceRef): string {
  const workspaceId = `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}/providers/${PROVIDER}/workspaces/${ref.workspace}`;
  switch (ref.kind) {
    case 'workspace':
      return workspaceId;
    case 'experiment':
      return `${workspaceId}/experiments/${ref.name}`;
    case 'job':
      return `${workspaceId}/experiments/${ref.experiment}/jobs/${ref.name}`;
    default:
      return `${workspaceId}/${kindInfo[ref.kind].segment}/${ref.name}`;
  }
}

/** The case-insensitive key of a resource (its ARM id lower-cased): used as partition key values and for joins. */
export function keyOf(ref: ResourceRef): string {
  return armIdOf(ref).toLowerCase();
}

/**
 * Parses a cluster or file server id given in a request body. Accepts the singular `workspace` segment too, since
 * the service's own example (PutJob.json) sends it and the service answered with the canonical id.
 */
export function parseChildId(field: string, id: string, kind: 'cluster' | 'fileServer'): ResourceRef {
  const segment = kind === 'cluster' ? 'clusters' : 'fileservers';
  const pattern = new RegExp(
    `^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/${PROVIDER}/workspaces?/([^/]+)/${segment}/([^/]+)/?$`,
    'i',
  );
  const match = pattern.exec(id);
  if (!match) {
    throw new ValidationError(
      field,
      `'${id}' is not a ${kindInfo[kind].label} resource id: expected /subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/${PROVIDER}/workspaces/{workspaceName}/${kindInfo[kind].segment}/{name}.`,
      'InvalidResourceId',
    );
  }
  const [, subscriptionId, resourceGroup, workspace, name] = match;
  const ref: ResourceRef = { kind, subscriptionId, resourceGroup, workspace, name };
  try {
    validateRef(ref);
  } catch {
    throw new ValidationError(field, `'${id}' contains an invalid name.`, 'InvalidResourceId');
  }
  return ref;
}
