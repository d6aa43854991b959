// Usages per subscription and location: clusters and the cores their current nodes use, against the quotas.
import { validateSubscriptionId } from '../resourceId';
import { coresOf } from '../vmCores';
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

export async function listUsages(
  deps: ServiceDeps,
  subscriptionId: string,
  location: string,
): Promise<Usage[]> {
  validateSubscriptionId(subscriptionId);
  let clusters = 0;
  let dedicatedCores = 0;
  let lowPriorityCores = 0;
  let continuationToken: string | undefined;
  do {
    const page = await deps.store.listClustersInLocation(subscriptionId, location, {
      maxItems: 500,
      continuationToken,
    });
    for (const { record } of page.items) {
      clusters += 1;
      const nodes = Number(record.status.currentNodeCount ?? 0);
      const cores = nodes * (coresOf(String(record.spec.vmSize)) ?? 0);
      if (record.spec.vmPriority === 'lowpriority') lowPriorityCores += cores;
      else dedicatedCores += cores;
    }
    continuationToken = page.continuationToken;
  } while (continuationToken);
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
