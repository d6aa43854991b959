// Paged lists of every kind; the parent must exist (ARM answers ParentResourceNotFound otherwise).
import {
  experimentRefOf,
  validateResourceGroupName,
  validateResourceName,
  validateSubscriptionId,
  workspaceRefOf,
  type ResourceRef,
} from '../resourceId';
import type { Stored } from '../resourceRecord';
import type { ListScope, Page } from '../../ports/resourceStore';
import { requireExperiment, requireWorkspace } from './parentLookup';
import type { ServiceDeps } from './serviceDeps';

export async function listWorkspaces(
  deps: ServiceDeps,
  subscriptionId: string,
  resourceGroup: string | undefined,
  maxItems: number,
  continuationToken?: string,
): Promise<Page<Stored>> {
  validateSubscriptionId(subscriptionId);
  if (resourceGroup !== undefined) validateResourceGroupName(resourceGroup);
  return deps.store.list(
    { kind: 'workspace', subscriptionId, resourceGroup },
    { maxItems, continuationToken },
  );
}

export async function listChildren(
  deps: ServiceDeps,
  kind: 'cluster' | 'fileServer' | 'experiment' | 'job',
  parent: ResourceRef,
  maxItems: number,
  continuationToken?: string,
): Promise<Page<Stored>> {
  validateSubscriptionId(parent.subscriptionId);
  validateResourceGroupName(parent.resourceGroup);
  validateResourceName('workspaceName', parent.workspace);
  let scope: ListScope;
  if (kind === 'job') {
    validateResourceName('experimentName', parent.experiment ?? '');
    await requireExperiment(deps, parent);
    scope = { kind, experiment: experimentRefOf(parent) };
  } else {
    await requireWorkspace(deps, parent);
    scope = { kind, workspace: workspaceRefOf(parent) };
  }
  return deps.store.list(scope, { maxItems, continuationToken });
}
