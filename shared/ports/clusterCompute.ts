// The seam to compute: what the resource API asks of whoever provisions nodes (scale sets on Azure, local
// processes on one machine). Implemented by the compute issue; until then the API records clusters with zero
// nodes and a steady allocation state, and reports no remote login endpoints.
import type { ResourceRecord } from '../domain/resourceRecord';

export interface RemoteLogin {
  nodeId: string;
  ipAddress: string;
  port: number;
}

export interface ClusterCompute {
  /** A cluster was created or its scale settings changed: bring the node pool towards them (asynchronously). */
  applyScaleSettings(cluster: ResourceRecord): Promise<void>;
  /** A cluster is being deleted: release all its nodes. */
  releaseCluster(cluster: ResourceRecord): Promise<void>;
  /** Remote login endpoints of the cluster's nodes (optionally only those running a job). */
  listRemoteLogins(cluster: ResourceRecord, jobId?: string): Promise<RemoteLogin[]>;
}
