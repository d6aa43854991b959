// ARM ids of resources named on the command line: `-c mycluster` means the cluster of the same workspace, a value
// starting with `/subscriptions/` is taken as the full id (a cluster or file server of another workspace).
export function workspaceChildId(
  subscriptionId: string,
  resourceGroup: string,
  workspace: string,
  collection: 'clusters' | 'fileServers',
  nameOrId: string,
): string {
  if (nameOrId.startsWith('/')) return nameOrId;
  return (
    `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.BatchAI` +
    `/workspaces/${workspace}/${collection}/${nameOrId}`
  );
}
