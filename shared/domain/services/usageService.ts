// Usages per subscription and location: clusters and the cores their current nodes use, against the quotas.
import { ValidationError } from '../errors';
import { keyOf, validateSubscriptionId, type ResourceRef } from '../resourceId';
import { builtInVmSize } from '../vmSizeTable';
import type { ResourceRecord } from '../resourceRecord';
import type { ServiceDeps } from './serviceDeps';

export interface Usage {
  unit: 'Count';
  currentValue: number;
  limit: number;
  name: { value: string; localizedValue: string };
}

function usage(name: string, localizedValue: string, currentValue: number, limit: number): Usage {
  return { unit: 'Count', currentValue, limit, name: { value: name, localizedValue } };
}

export interface LocationUsage {
  clusters: number;
  dedicatedCores: number;
  lowPriorityCores: number;
  /** Whether the excepted cluster exists (it is not counted). */
  excepted: boolean;
}

/**
 * vCPUs of one node of a cluster: as the VM size catalogue said at its creation; for a cluster recorded before
 * sizes were checked, the built-in table's figure, else none.
 */
export function vCpusOf(record: ResourceRecord): number {
  return record.cluster?.vmSize?.vCpus ?? builtInVmSize(String(record.spec.vmSize))?.vCpus ?? 0;
}

/**
 * Clusters of a subscription in a location and the cores their current nodes use: what Usages reports and what a
 * cluster's scale settings are checked against (`except`: the cluster being checked, counted by its request).
 */
export async function locationUsage(
  deps: Pick<ServiceDeps, 'store'>,
  subscriptionId: string,
  location: string,
  except?: ResourceRef,
): Promise<LocationUsage> {
  const usage: LocationUsage = { clusters: 0, dedicatedCores: 0, lowPriorityCores: 0, excepted: false };
  const exceptKey = except && keyOf(except);
  let continuationToken: string | undefined;
  do {
    const page = await deps.store.listClustersInLocation(subscriptionId, location, {
      maxItems: 500,
      continuationToken,
    });
    for (const { record } of page.items) {
      if (exceptKey !== undefined && keyOf(record.ref) === exceptKey) {
        usage.excepted = true;
        continue;
      }
      usage.clusters += 1;
      const nodes = Number(record.status.currentNodeCount ?? 0);
      const cores = nodes * vCpusOf(record);
      if (record.spec.vmPriority === 'lowpriority') usage.lowPriorityCores += cores;
      else usage.dedicatedCores += cores;
    }
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return usage;
}

/** How many nodes of a cluster the location's core quota lets it have now, and why. */
export interface CoreQuotaRoom {
  /** Nodes of the cluster's size that fit in the quota less what the subscription's other clusters there use. */
  nodeCount: number;
  /** vCPUs of one node. */
  cores: number;
  lowPriority: boolean;
  /** The location's dedicated or low-priority core quota. */
  limit: number;
  usedByOthers: number;
}

/**
 * The room the location's core quota leaves a cluster now (the quota less its subscription's other clusters' current
 * nodes, as Usages counts them), in nodes of its size; undefined for a cluster whose size's vCPUs are unknown.
 * Scale settings are checked against it when they are set; the cluster monitor grows a pool only as far as it goes,
 * since other clusters may have grown since.
 */
export async function coreQuotaRoom(
  deps: Pick<ServiceDeps, 'store' | 'quotas'>,
  record: ResourceRecord,
): Promise<CoreQuotaRoom | undefined> {
  const cores = vCpusOf(record);
  if (!cores) return undefined;
  const lowPriority = record.spec.vmPriority === 'lowpriority';
  const others = await locationUsage(deps, record.ref.subscriptionId, record.location, record.ref);
  const limit = lowPriority ? deps.quotas.lowPriorityCoresPerLocation : deps.quotas.dedicatedCoresPerLocation;
  const usedByOthers = lowPriority ? others.lowPriorityCores : others.dedicatedCores;
  return {
    nodeCount: Math.floor(Math.max(0, limit - usedByOthers) / cores),
    cores,
    lowPriority,
    limit,
    usedByOthers,
  };
}

export async function listUsages(
  deps: ServiceDeps,
  subscriptionId: string,
  location: string,
): Promise<Usage[]> {
  validateSubscriptionId(subscriptionId);
  // The spec's pattern of the location parameter.
  if (!/^[-\w._]+$/.test(location)) {
    throw new ValidationError(
      'location',
      `'location' must be an Azure location name (letters, digits, '-', '_', '.'); it is '${location}'.`,
      'InvalidLocation',
    );
  }
  const { clusters, dedicatedCores, lowPriorityCores } = await locationUsage(deps, subscriptionId, location);
  return [
    usage('Clusters', 'Clusters', clusters, deps.quotas.clustersPerLocation),
    usage(
      'Total Cluster Dedicated Regional vCPUs',
      'Total Cluster Dedicated Regional vCPUs',
      dedicatedCores,
      deps.quotas.dedicatedCoresPerLocation,
    ),
    usage(
      'Total Cluster LowPriority Regional vCPUs',
      'Total Cluster Low Priority Regional vCPUs',
      lowPriorityCores,
      deps.quotas.lowPriorityCoresPerLocation,
    ),
  ];
}
