// The Azure compute adapter: one VM scale set per cluster (@azure/arm-compute), with the cluster's VM size and
// image, Spot priority (eviction policy Delete) for low-priority clusters, a user-assigned managed identity, the
// subnet, and cloud-init custom data that installs and starts the node agent. Node ids are the VM names. The
// cluster's node data key goes to Key Vault (the VMs read it with their identity), never into custom data.
import type { ComputeManagementClient, VirtualMachineScaleSet } from '@azure/arm-compute';
import { gzipSync } from 'zlib';
import { agentConfigSchema, agentConfigVersion, type AgentConfig } from '../../contracts/agentConfig';
import { clusterTag } from '../../contracts/nodeQueueNames';
import { rdmaCapable } from '../../domain/vmSizeFeatures';
import {
  ComputePoolError,
  type ComputePool,
  type NodeAccess,
  type PoolDefinition,
  type PoolNode,
} from '../../ports/computePool';
import { armRefusalOf } from './armRefusal';
import { cloudInitCustomData, type AgentInstallation } from './cloudInitCustomData';
import { nodeKeySecretName, type KeyVaultNodeKeys } from './keyVaultNodeKeys';

export interface VmssComputePoolOptions {
  client: ComputeManagementClient;
  resourceGroup: string;
  location: string;
  /** ARM id of the user-assigned identity the VMs run as (Storage access, agent package download). */
  managedIdentityId: string;
  managedIdentityClientId: string;
  storage: { blobEndpoint: string; queueEndpoint: string };
  agentInstallation: Omit<AgentInstallation, 'managedIdentityClientId'>;
  /** Subnet used when the cluster names none (ARM id). */
  defaultSubnetId?: string;
  /** Poll interval of long-running operations (default: the SDK's, from Retry-After). */
  pollIntervalMs?: number;
  /**
   * Where node data keys are published for the VMs (Key Vault). Without it nodes get no key and refuse every
   * sealed secret (jobs with secrets, mounts with account keys, setup secrets fail with a clear reason).
   */
  nodeKeys?: KeyVaultNodeKeys;
}

const operationStates: Record<string, PoolNode['state']> = {
  creating: 'creating',
  updating: 'running',
  succeeded: 'running',
  deleting: 'deleting',
  failed: 'failed',
};

/** ARM/SDK failures (quota, capacity, bad image) become ComputePoolErrors; transient ones propagate (retried). */
function isNotFound(error: unknown): boolean {
  return error instanceof ComputePoolError && /NotFound$/.test(error.code);
}

function asPoolError(error: unknown): unknown {
  const refusal = armRefusalOf(error);
  return refusal ? new ComputePoolError(refusal.code, refusal.message) : error;
}

/**
 * Resource Manager's limit on `osProfile.customData`: 65,535 bytes once decoded, 87,380 base64 characters. Larger
 * custom data is refused (InvalidParameter), so it is checked here, before the scale set is sent.
 */
export const customDataMaxLength = 87_380;

/** Conditional writes tried again after a concurrent change of the scale set (412), before the pass fails. */
const conditionalWriteAttempts = 5;

/** Resource Manager's answer to a write whose If-Match (or If-None-Match) no longer holds: read again and retry. */
function preconditionFailed(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode === 412;
}

/** Resource Manager's refusal of an instance delete naming an instance that is not active (being deleted, gone). */
function notActiveInstance(error: unknown): boolean {
  const { statusCode, code, message } = error as { statusCode?: number; code?: string; message?: string };
  return statusCode === 400 && code === 'InvalidParameter' && /not an active/i.test(message ?? '');
}

export class VmssComputePool implements ComputePool {
  readonly kind = 'vmss';

  constructor(private readonly options: VmssComputePoolOptions) {}

  scaleSetName(clusterKey: string): string {
    return `batchai-${clusterTag(clusterKey)}`;
  }

  private get lro(): { updateIntervalInMs?: number } {
    return this.options.pollIntervalMs === undefined
      ? {}
      : { updateIntervalInMs: this.options.pollIntervalMs };
  }

  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error: unknown) {
      throw asPoolError(error);
    }
  }

  private async current(clusterKey: string): Promise<VirtualMachineScaleSet | undefined> {
    try {
      return await this.options.client.virtualMachineScaleSets.get(
        this.options.resourceGroup,
        this.scaleSetName(clusterKey),
      );
    } catch (error: unknown) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw asPoolError(error);
    }
  }

  /** The scale set model for a cluster (exported for tests and for infra reviews). */
  scaleSetModel(definition: PoolDefinition, capacity: number): VirtualMachineScaleSet {
    const o = this.options;
    const agent: AgentConfig = {
      schema: agentConfigSchema,
      version: agentConfigVersion,
      mode: 'vm',
      workRoot: '/mnt/batch/tasks',
      storage: { ...o.storage, managedIdentityClientId: o.managedIdentityClientId },
      metadataServiceUrl: 'http://169.254.169.254',
      ...definition.agent,
      // The node identity signs the performance counters in, for a component that takes Entra ID tokens only.
      ...(definition.agent.performanceCounters
        ? {
            performanceCounters: {
              ...definition.agent.performanceCounters,
              managedIdentityClientId: o.managedIdentityClientId,
            },
          }
        : {}),
      nodeDataKeySource: o.nodeKeys
        ? { keyVaultUrl: o.nodeKeys.vaultUrl, secretName: nodeKeySecretName(definition.clusterKey) }
        : undefined,
    };
    const customData = cloudInitCustomData(agent, {
      ...o.agentInstallation,
      managedIdentityClientId: o.managedIdentityClientId,
    });
    const image = definition.image;
    const subnetId = definition.subnetId ?? o.defaultSubnetId;
    const spot = definition.vmPriority === 'lowpriority';
    return {
      location: o.location,
      tags: { 'batchai-cluster': definition.clusterKey.slice(0, 256) },
      sku: { name: definition.vmSize, tier: 'Standard', capacity },
      identity: { type: 'UserAssigned', userAssignedIdentities: { [o.managedIdentityId]: {} } },
      // Node ids are `<set>_<instanceId>`, nodes are listed and deleted by instance id: the Uniform mode's model.
      orchestrationMode: 'Uniform',
      overprovision: false, // node ids must be stable: no extra VMs that are deleted later
      upgradePolicy: { mode: 'Manual' },
      // InfiniBand joins the VMs of one placement group only (at most 100): RDMA sizes get one, others may grow past.
      singlePlacementGroup: rdmaCapable(definition.vmSize),
      virtualMachineProfile: {
        priority: spot ? 'Spot' : 'Regular',
        ...(spot ? { evictionPolicy: 'Delete', billingProfile: { maxPrice: -1 } } : {}),
        // Terminate notifications cannot be enabled on Spot instances (Azure refuses the set); a Spot VM's
        // eviction comes as a Preempt scheduled event instead, which the agent handles the same way.
        ...(spot
          ? {}
          : {
              scheduledEventsProfile: {
                terminateNotificationProfile: { enable: true, notBeforeTimeout: 'PT5M' },
              },
            }),
        osProfile: {
          computerNamePrefix: 'batchai',
          adminUsername: definition.adminUserName ?? 'batchai',
          ...(definition.adminPassword ? { adminPassword: definition.adminPassword } : {}),
          linuxConfiguration: {
            disablePasswordAuthentication: !definition.adminPassword,
            ssh: definition.adminSshPublicKey
              ? {
                  publicKeys: [
                    {
                      path: `/home/${definition.adminUserName ?? 'batchai'}/.ssh/authorized_keys`,
                      keyData: definition.adminSshPublicKey,
                    },
                  ],
                }
              : undefined,
          },
          // gzip: cloud-init takes compressed user data, and the agent configuration in it is base64 already
          // (base64 of base64), which would reach Resource Manager's limit with a few tens of KB of setup settings.
          customData: gzipSync(Buffer.from(customData, 'utf8'), { level: 9 }).toString('base64'),
        },
        storageProfile: {
          imageReference:
            image.kind === 'custom'
              ? { id: image.imageId }
              : { publisher: image.publisher, offer: image.offer, sku: image.sku, version: image.version },
          osDisk: {
            createOption: 'FromImage',
            caching: 'ReadWrite',
            managedDisk: { storageAccountType: 'Standard_LRS' },
          },
        },
        networkProfile: {
          networkInterfaceConfigurations: [
            {
              name: 'nic',
              primary: true,
              ipConfigurations: [
                { name: 'ipconfig', primary: true, ...(subnetId ? { subnet: { id: subnetId } } : {}) },
              ],
            },
          ],
        },
      },
    };
  }

  async ensurePool(definition: PoolDefinition, access?: NodeAccess): Promise<void> {
    if (!(definition.subnetId ?? this.options.defaultSubnetId)) {
      // A Uniform scale set's VMs need a subnet: Resource Manager refuses the set without one (no network is made).
      throw new ComputePoolError(
        'SubnetRequired',
        'A cluster on VM scale sets needs a subnet: give properties.subnet, or set COMPUTE_SUBNET_ID for the deployment.',
      );
    }
    // Before any VM boots: an agent reads the key at start.
    if (access && this.options.nodeKeys)
      await this.options.nodeKeys.publish(definition.clusterKey, access.nodeDataKey);
    for (let attempt = 1; ; attempt++) {
      const existing = await this.current(definition.clusterKey);
      const model = this.poolModel(definition, existing);
      try {
        // The full PUT carries the capacity read above: If-Match on that read's ETag (If-None-Match for a new set),
        // so a resize or an instance delete in between is not undone; the set is read again and the PUT retried.
        await this.options.client.virtualMachineScaleSets.createOrUpdate(
          this.options.resourceGroup,
          this.scaleSetName(definition.clusterKey),
          model,
          {
            ...this.lro,
            ...(existing?.etag ? { ifMatch: existing.etag } : existing ? {} : { ifNoneMatch: '*' }),
          },
        );
        return;
      } catch (error: unknown) {
        if (!preconditionFailed(error) || attempt >= conditionalWriteAttempts) throw asPoolError(error);
      }
    }
  }

  /** The model to PUT over `existing` (or a new set): what cannot change on an existing set is kept as it is. */
  private poolModel(
    definition: PoolDefinition,
    existing: VirtualMachineScaleSet | undefined,
  ): VirtualMachineScaleSet {
    const capacity = existing?.sku?.capacity ?? 0;
    const model = this.scaleSetModel(definition, capacity);
    const customData = model.virtualMachineProfile?.osProfile?.customData ?? '';
    if (customData.length > customDataMaxLength) {
      throw new ComputePoolError(
        'CustomDataTooLarge',
        `The node setup is too large for a VM's custom data: ${customData.length} base64 characters after ` +
          `compression, Azure takes at most ${customDataMaxLength}. Make properties.nodeSetup.setupTask's ` +
          'environmentVariables and secrets smaller (or fewer mountVolumes), e.g. pass large values in a file on a ' +
          'mounted volume.',
      );
    }
    if (existing) {
      // Neither can change on an existing set (a set made before InfiniBand sizes got one placement group keeps it).
      model.singlePlacementGroup = existing.singlePlacementGroup ?? model.singlePlacementGroup;
      model.orchestrationMode = existing.orchestrationMode ?? model.orchestrationMode;
    }
    const linux = existing?.virtualMachineProfile?.osProfile?.linuxConfiguration;
    if (existing && model.virtualMachineProfile?.osProfile?.linuxConfiguration) {
      // A scale set keeps the sign-in it was created with (Resource Manager refuses changing it, and never returns
      // the password): only a set created from here on gets the password. The cluster's settings cannot change.
      delete model.virtualMachineProfile.osProfile.adminPassword;
      model.virtualMachineProfile.osProfile.linuxConfiguration.disablePasswordAuthentication =
        linux?.disablePasswordAuthentication ?? true;
    }
    return model;
  }

  /**
   * Grows the set to `targetCount` instances; never shrinks it. The monitor removes nodes only by deleting chosen
   * instances, and Resource Manager may still count instances being deleted in the capacity: an absolute capacity
   * below the current one would be a scale-in, where the platform picks which VMs go (running nodes maybe). So the
   * capacity asked is max(current, target), with If-Match on the ETag read (retried after a concurrent change);
   * when the deletions finish the capacity drops, and the next pass grows the set then.
   */
  async resize(clusterKey: string, targetCount: number): Promise<void> {
    const name = this.scaleSetName(clusterKey);
    for (let attempt = 1; ; attempt++) {
      const existing = await this.current(clusterKey);
      if (!existing) {
        throw new ComputePoolError(
          'ResourceNotFound',
          `The scale set '${name}' of the cluster was not found.`,
        );
      }
      const current = existing.sku?.capacity ?? 0;
      if (targetCount <= current) return;
      try {
        await this.options.client.virtualMachineScaleSets.update(
          this.options.resourceGroup,
          name,
          { sku: { capacity: targetCount } },
          { ...this.lro, ...(existing.etag ? { ifMatch: existing.etag } : {}) },
        );
        return;
      } catch (error: unknown) {
        if (!preconditionFailed(error) || attempt >= conditionalWriteAttempts) throw asPoolError(error);
      }
    }
  }

  /**
   * Starts deleting the instances and returns once Resource Manager accepted it: the operation is not waited for
   * (with terminate notifications it waits up to their 5 minutes for a node that may be dead, which held the whole
   * monitor pass); the next passes see the instances `deleting`, and then gone. An instance that is no longer active
   * (deleted meanwhile) makes Resource Manager refuse the whole request: it is asked again for the active ones.
   */
  async deleteNodes(clusterKey: string, nodeIds: string[]): Promise<void> {
    const prefix = `${this.scaleSetName(clusterKey)}_`;
    let instanceIds = nodeIds.filter((id) => id.startsWith(prefix)).map((id) => id.slice(prefix.length));
    for (let attempt = 0; instanceIds.length > 0; attempt++) {
      try {
        await this.options.client.virtualMachineScaleSets
          .deleteInstances(
            this.options.resourceGroup,
            this.scaleSetName(clusterKey),
            { instanceIds },
            { ...this.lro, forceDeletion: false },
          )
          .submitted();
        return;
      } catch (error: unknown) {
        if (attempt > 0 || !notActiveInstance(error)) throw asPoolError(error);
        const active = new Set(
          (await this.listNodes(clusterKey)).filter((n) => n.state !== 'deleting').map((n) => n.nodeId),
        );
        instanceIds = instanceIds.filter((id) => active.has(`${prefix}${id}`));
      }
    }
  }

  async listNodes(clusterKey: string): Promise<PoolNode[]> {
    const nodes: PoolNode[] = [];
    try {
      for await (const vm of this.options.client.virtualMachineScaleSetVMs.list(
        this.options.resourceGroup,
        this.scaleSetName(clusterKey),
      )) {
        nodes.push({
          nodeId: vm.name ?? `${this.scaleSetName(clusterKey)}_${vm.instanceId}`,
          state: operationStates[(vm.provisioningState ?? 'creating').toLowerCase()] ?? 'creating',
          createdTime: vm.timeCreated?.toISOString(),
        });
      }
    } catch (error: unknown) {
      if ((error as { statusCode?: number }).statusCode === 404) return [];
      throw asPoolError(error);
    }
    return nodes;
  }

  async deletePool(clusterKey: string): Promise<void> {
    try {
      await this.call(() =>
        this.options.client.virtualMachineScaleSets.delete(
          this.options.resourceGroup,
          this.scaleSetName(clusterKey),
          this.lro,
        ),
      );
    } catch (error: unknown) {
      // Gone already (a retry after the delete went through, or its resource group was removed): nothing to delete.
      if ((error as { statusCode?: number }).statusCode !== 404 && !isNotFound(error)) throw error;
    }
    await this.options.nodeKeys?.remove(clusterKey);
  }
}
