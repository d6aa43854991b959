// The compute port: a pool of nodes per cluster (a VM scale set on Azure, agent processes on one machine).
// Every operation is idempotent, because activities that call it may run more than once.
import type { AgentConfig } from '../contracts/agentConfig';

/** What every node of a cluster runs with; each adapter adds node identity, work root, storage access and IMDS. */
export type AgentTemplate = Omit<
  AgentConfig,
  | 'schema'
  | 'version'
  | 'mode'
  | 'nodeId'
  | 'workRoot'
  | 'storage'
  | 'metadataServiceUrl'
  | 'nodeDataKey'
  | 'nodeDataKeySource'
>;

/**
 * What a pool needs to give its nodes the means to open sealed secrets: the cluster's node data key (32 bytes).
 * Local pools put it in each node's agent.json (0600); the scale set pool stores it as a Key Vault secret that
 * the nodes read with their identity. It never goes into a pool definition, custom data or a log.
 */
export interface NodeAccess {
  nodeDataKey: Buffer;
}

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
  /**
   * The admin user's password (userAccountSettings.adminUserPassword): in memory and in the scale set model sent to
   * Azure Resource Manager only, which stores it and never returns it. With it, SSH accepts passwords.
   */
  adminPassword?: string;
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
  /** Creates the pool (with no nodes) or updates its definition; publishes the node data key where nodes read it. */
  ensurePool(definition: PoolDefinition, access?: NodeAccess): Promise<void>;
  /** Sets the number of nodes; shrinking removes nodes the pool chooses (call deleteNodes to choose). */
  resize(clusterKey: string, targetCount: number, access?: NodeAccess): Promise<void>;
  /** Removes the given nodes (unknown ids are ignored). */
  deleteNodes(clusterKey: string, nodeIds: string[]): Promise<void>;
  /** Nodes of the pool; empty when the pool does not exist. */
  listNodes(clusterKey: string): Promise<PoolNode[]>;
  /** Removes the pool and every node. */
  deletePool(clusterKey: string): Promise<void>;
  /**
   * Optional hint after task messages were put on these nodes' queues: nodes that can be reached directly (local
   * agent processes) poll at once. Nodes poll their queues anyway; never fails.
   */
  wakeNodes?(clusterKey: string, nodeIds: string[]): void;
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
