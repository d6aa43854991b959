// Commands from the resource API to the cluster monitor, carried by the cluster-commands queue: a cluster was
// created or re-scaled ('apply'), or is being deleted ('release'). The queue decouples the API from Durable.
import { ContractError } from './contractError';
import { checkSchemaHeader } from './schemaVersion';
import { requireObject, requireOneOf, requireString } from './wireFields';

export const clusterCommandSchema = 'batchai.clusterCommand';

export interface ClusterRefWire {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  name: string;
}

export interface ClusterCommand {
  schema: typeof clusterCommandSchema;
  version: 1;
  kind: 'apply' | 'release';
  clusterKey: string;
  cluster: ClusterRefWire;
}

export function parseClusterCommand(value: unknown): ClusterCommand {
  const obj = checkSchemaHeader(value, clusterCommandSchema, [1]);
  const ref = requireObject(obj.cluster, 'message.cluster');
  const cluster: ClusterRefWire = {
    subscriptionId: requireString(ref, 'subscriptionId', 'message.cluster', 64),
    resourceGroup: requireString(ref, 'resourceGroup', 'message.cluster', 90),
    workspace: requireString(ref, 'workspace', 'message.cluster', 64),
    name: requireString(ref, 'name', 'message.cluster', 64),
  };
  const clusterKey = requireString(obj, 'clusterKey', 'message', 1024);
  if (!clusterKey.endsWith(`/clusters/${cluster.name.toLowerCase()}`)) {
    throw new ContractError('message.clusterKey', 'does not match message.cluster.');
  }
  return {
    schema: clusterCommandSchema,
    version: 1,
    kind: requireOneOf(obj, 'kind', 'message', ['apply', 'release'] as const),
    clusterKey,
    cluster,
  };
}
