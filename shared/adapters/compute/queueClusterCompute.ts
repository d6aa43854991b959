// The resource API's ClusterCompute seam: scale changes and releases become commands on the cluster-commands
// queue (the cluster monitor orchestration acts on them); remote logins come from the node records.
import type { QueueClient } from '@azure/storage-queue';
import { clusterCommandSchema, type ClusterCommand } from '../../contracts/clusterCommand';
import { encodeQueueMessage } from '../../contracts/wireEncoding';
import { keyOf } from '../../domain/resourceId';
import type { ResourceRecord } from '../../domain/resourceRecord';
import type { ClusterCompute, RemoteLogin } from '../../ports/clusterCompute';
import type { NodeStore } from '../../ports/nodeStore';

export class QueueClusterCompute implements ClusterCompute {
  constructor(
    private readonly commands: QueueClient,
    private readonly nodes: NodeStore,
  ) {}

  private async send(kind: ClusterCommand['kind'], cluster: ResourceRecord): Promise<void> {
    const { subscriptionId, resourceGroup, workspace, name } = cluster.ref;
    const command: ClusterCommand = {
      schema: clusterCommandSchema,
      version: 1,
      kind,
      clusterKey: keyOf(cluster.ref),
      cluster: { subscriptionId, resourceGroup, workspace, name },
    };
    await this.commands.sendMessage(encodeQueueMessage(command));
  }

  applyScaleSettings(cluster: ResourceRecord): Promise<void> {
    return this.send('apply', cluster);
  }

  releaseCluster(cluster: ResourceRecord): Promise<void> {
    return this.send('release', cluster);
  }

  async listRemoteLogins(cluster: ResourceRecord, jobId?: string): Promise<RemoteLogin[]> {
    const nodes = await this.nodes.list(keyOf(cluster.ref));
    const wanted = jobId?.toLowerCase();
    return nodes
      .filter((n) => n.remoteLogin && (!wanted || n.runningJobIds.some((j) => j.toLowerCase() === wanted)))
      .map((n) => ({ nodeId: n.nodeId, ipAddress: n.remoteLogin!.ipAddress, port: n.remoteLogin!.port }));
  }
}
