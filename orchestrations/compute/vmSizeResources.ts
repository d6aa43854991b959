// CPU and GPU counts of a node from its VM size: CPUs from the shared vCPU table (a local node's CPU slots), GPUs
// from Azure's published sizes (a VM agent then reports what nvidia-smi finds, which wins: agent/gpuCount.ts).
import { coresOf } from '../../shared/domain/vmCores';

/** GPUs of the N-series sizes whose count does not follow the first generations' rule (below). */
const gpusBySize: Record<string, number> = {
  // NCasT4_v3
  standard_nc4as_t4_v3: 1,
  standard_nc8as_t4_v3: 1,
  standard_nc16as_t4_v3: 1,
  standard_nc64as_t4_v3: 4,
  // NC A100 v4, NC H100 v5
  standard_nc24ads_a100_v4: 1,
  standard_nc48ads_a100_v4: 2,
  standard_nc96ads_a100_v4: 4,
  standard_nc40ads_h100_v5: 1,
  standard_nc80adis_h100_v5: 2,
  standard_ncc40ads_h100_v5: 1,
  // NDv2, ND A100 v4, ND H100/H200 v5, ND MI300X v5
  standard_nd40rs_v2: 8,
  standard_nd96asr_v4: 8,
  standard_nd96amsr_a100_v4: 8,
  standard_nd96isr_h100_v5: 8,
  standard_nd96isr_h200_v5: 8,
  standard_nd96isr_mi300x_v5: 8,
  // NVv3, NVv4 (a share of one GPU), NVadsA10 v5 (shares up to NV36, then whole GPUs)
  standard_nv12s_v3: 1,
  standard_nv24s_v3: 2,
  standard_nv48s_v3: 4,
  standard_nv4as_v4: 1,
  standard_nv8as_v4: 1,
  standard_nv16as_v4: 1,
  standard_nv32as_v4: 1,
  standard_nv6ads_a10_v5: 1,
  standard_nv12ads_a10_v5: 1,
  standard_nv18ads_a10_v5: 1,
  standard_nv36ads_a10_v5: 1,
  standard_nv36adms_a10_v5: 1,
  standard_nv72ads_a10_v5: 2,
};

export function cpuCountOf(vmSize: string): number {
  return coresOf(vmSize) ?? 1;
}

export function gpuCountOf(vmSize: string): number {
  const listed = gpusBySize[vmSize.toLowerCase()];
  if (listed !== undefined) return listed;
  // The first generations (NC, NCv2, NCv3, ND, NV): NC6 = 1 GPU, NC12 = 2, NC24 = 4.
  const match = /^standard_n[cdv](\d+)(r|s|rs)?(_v[23])?$/i.exec(vmSize);
  if (match) {
    const size = Number(match[1]);
    return size >= 24 ? 4 : size >= 12 ? 2 : 1;
  }
  // Another GPU size: at least one; its agent reports how many it has.
  return /^standard_n/i.test(vmSize) ? 1 : 0;
}
