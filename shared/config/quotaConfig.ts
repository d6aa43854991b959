// The quotas a deployment enforces per subscription and location (the Usages API reports them; cluster PUT and
// PATCH refuse node counts past them). Batch AI's were raised through a support request; ours are app settings.
import type { Quotas } from '../domain/services/serviceDeps';
import { integerSetting } from './jobLifecycleConfig';

export const defaultQuotas: Quotas = {
  clustersPerLocation: 20,
  dedicatedCoresPerLocation: 600,
  lowPriorityCoresPerLocation: 150,
};

/** BATCHAI_QUOTA_CLUSTERS, BATCHAI_QUOTA_DEDICATED_CORES, BATCHAI_QUOTA_LOW_PRIORITY_CORES (defaults above). */
export function readQuotas(env: Readonly<Record<string, string | undefined>>): Quotas {
  const most = 10_000_000;
  return {
    clustersPerLocation: integerSetting(
      env,
      'BATCHAI_QUOTA_CLUSTERS',
      defaultQuotas.clustersPerLocation,
      most,
      0,
    ),
    dedicatedCoresPerLocation: integerSetting(
      env,
      'BATCHAI_QUOTA_DEDICATED_CORES',
      defaultQuotas.dedicatedCoresPerLocation,
      most,
      0,
    ),
    lowPriorityCoresPerLocation: integerSetting(
      env,
      'BATCHAI_QUOTA_LOW_PRIORITY_CORES',
      defaultQuotas.lowPriorityCoresPerLocation,
      most,
      0,
    ),
  };
}
