// The compute port: a pool of nodes per cluster (a VM scale set on Azure, agent processes on one machine).
// Every operation is idempotent, because activities that call it may run more than once.
import type { AgentConfig } from '../contracts/agentConfig';

/** What every node of a cluster runs with; each adapter adds node identity, work root, storage access and IMDS. */
export type AgentTemplate = Omit<
  AgentConfig,
  'schema' | 'version' | 'mode' | 'nodeId' | 'workRoot' | 'storage' | 'metadataServiceUrl'
>;

export type PoolImage =
  | { kind: 'marketplace'; publisher: string; offer: string; sku: string; version: string }
  | { kind: 'custom'; imageId: string };

export interface PoolDefinition {
  clusterKey: string;
  vmSize: string;
  vmPriority: 'dedicated' | 'lowpriority';
  image: PoolImage;
  subnetId?: string;
  adminUserName?: string;
  adminSshPublicKey?: string;
  agent: AgentTemplate;
}

/** A node as the pool sees it (the control plane's node records add what the agent reports). */
export interface PoolNode {
  nodeId: string;
  /** 'failed': the VM failed or the local process is gone; it still counts until deleted. */
  state: 'creating' | 'running' | 'deleting' | 'failed';
  createdTime?: string;
}

export interface ComputePool {
  readonly kind: 'local' | 'vmss';
  /** Creates the pool (with no nodes) or updates its definition. */
  ensurePool(definition: PoolDefinition): Promise<void>;
  /** Sets the number of nodes; shrinking removes nodes the pool chooses (call deleteNodes to choose). */
  resize(clusterKey: string, targetCount: number): Promise<void>;
  /** Removes the given nodes (unknown ids are ignored). */
  deleteNodes(clusterKey: string, nodeIds: string[]): Promise<void>;
  /** Nodes of the pool; empty when the pool does not exist. */
  listNodes(clusterKey: string): Promise<PoolNode[]>;
  /** Removes the pool and every node. */
  deletePool(clusterKey: string): Promise<void>;
}

/** The platform refused a pool operation (quota, capacity, bad image): recorded as a cluster error, not retried. */
export class ComputePoolError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ComputePoolError';
  }
}
