// CPU and GPU counts of a node from its VM size: CPUs from the shared vCPU table (a local node's CPU slots),
// GPUs from the N-series naming (NC6 = 1 GPU, NC12 = 2, NC24 = 4; likewise ND and NV).
import { coresOf } from '../../shared/domain/vmCores';

export function cpuCountOf(vmSize: string): number {
  return coresOf(vmSize) ?? 1;
}

export function gpuCountOf(vmSize: string): number {
  const match = /^standard_n[cdv](\d+)/i.exec(vmSize);
  if (!match) return 0;
  const size = Number(match[1]);
  return size >= 24 ? 4 : size >= 12 ? 2 : 1;
}
