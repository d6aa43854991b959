// CPU and GPU counts of a cluster's nodes: what the VM size catalogue said at the cluster's creation (the record),
// else the built-in table (shared/domain/vmSizeTable.ts). A VM's agent then reports what nvidia-smi finds, which
// wins (agent/gpuCount.ts).
import type { ResourceRecord } from '../../shared/domain/resourceRecord';
import { vCpusOf } from '../../shared/domain/services/usageService';
import { builtInVmSize } from '../../shared/domain/vmSizeTable';

export function cpuCountOf(cluster: ResourceRecord): number {
  return vCpusOf(cluster) || 1;
}

export function gpuCountOf(cluster: ResourceRecord): number {
  const recorded = cluster.cluster?.vmSize?.gpus;
  if (recorded !== undefined) return recorded;
  const vmSize = String(cluster.spec.vmSize);
  const known = builtInVmSize(vmSize);
  if (known) return known.gpus;
  // Another GPU size (a cluster recorded before sizes were checked): at least one; its agent reports the rest.
  return /^standard_n/i.test(vmSize) ? 1 : 0;
}
