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
 * Clusters of a subscription in a location and the cores their current nodes use: what Usages reports and what a
 * cluster's scale settings are checked against (`except`: the cluster being checked, counted by its request).
 */
/**
 * vCPUs of one node of a cluster: as the VM size catalogue said at its creation; for a cluster recorded before
 * sizes were checked, the built-in table's figure, else none.
 */
export function vCpusOf(record: ResourceRecord): number {
  return record.cluster?.vmSize?.vCpus ?? builtInVmSize(String(record.spec.vmSize))?.vCpus ?? 0;
}

export async function locationUsage(
  deps: ServiceDeps,
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
