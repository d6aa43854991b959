// The agent part of a scale-set pool definition that the VM scale set tests share: a GPU node of `vmSize` reporting
// to the usual queues, at the timings a VM agent runs with.
import type { PoolDefinition } from '../../../shared/ports/computePool';

export function vmssAgentSettings(clusterKey: string, vmSize: string): PoolDefinition['agent'] {
  return {
    clusterKey,
    vmSize,
    cpuCount: 6,
    gpuCount: 1,
    nodeEventsQueue: 'node-events',
    setupOutputContainer: 'node-setup-output',
    heartbeatIntervalMs: 15_000,
    taskPollIntervalMs: 1_000,
    scheduledEventsPollIntervalMs: 1_000,
    mountVolumes: [],
  };
}
