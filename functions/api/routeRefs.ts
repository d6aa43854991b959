// Route templates of the Batch AI paths and the resource references built from their parameters.
import type { HttpRequest } from '@azure/functions';
import type { ResourceKind, ResourceRef } from '../../shared/domain/resourceId';

export const resourceGroupRoute =
  'subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.BatchAI';
export const workspaceRoute = `${resourceGroupRoute}/workspaces/{workspaceName}`;
export const experimentRoute = `${workspaceRoute}/experiments/{experimentName}`;
export const jobRoute = `${experimentRoute}/jobs/{jobName}`;
export const clusterRoute = `${workspaceRoute}/clusters/{clusterName}`;
export const fileServerRoute = `${workspaceRoute}/fileServers/{fileServerName}`;

const nameParameter: Record<ResourceKind, string> = {
  workspace: 'workspaceName',
  experiment: 'experimentName',
  job: 'jobName',
  cluster: 'clusterName',
  fileServer: 'fileServerName',
};

export function refFromRoute(request: HttpRequest, kind: ResourceKind): ResourceRef {
  const p = request.params;
  return {
    kind,
    subscriptionId: p.subscriptionId ?? '',
    resourceGroup: p.resourceGroupName ?? '',
    workspace: p.workspaceName ?? '',
    ...(p.experimentName !== undefined ? { experiment: p.experimentName } : {}),
    name: p[nameParameter[kind]] ?? '',
  };
}
