// Names and payloads shared by the cluster monitor orchestrator, its reconcile activity and the trigger that
// starts it (kept apart so the orchestrator imports no I/O code).
import type { ClusterRefWire } from '../../shared/contracts/clusterCommand';
import { clusterTag } from '../../shared/contracts/nodeQueueNames';

export const clusterMonitorName = 'ClusterMonitor';
export const clusterChangedEvent = 'clusterChanged';
export const reconcileClusterActivityName = 'ReconcileCluster';

export interface ReconcileInput {
  clusterKey: string;
  cluster: ClusterRefWire;
  firstPass: boolean;
  /** Hash of the pool definition last applied (the pool is re-applied only when it changes). */
  definitionHash?: string;
  /** When the previous pass ran (ISO, the activity's clock): a long gap means the control plane was not running. */
  previousPassAt?: string;
  /** Silence before this time (ISO) does not count against nodes (clusterScalingPolicy.ts `heartbeatsDueFrom`). */
  heartbeatsDueFrom?: string;
}

export interface ReconcileResult {
  released: boolean;
  nextCheckMs: number;
  definitionHash?: string;
  /** When this pass ran, and the grace it found or carried on: for the next pass's input. */
  passAt?: string;
  heartbeatsDueFrom?: string;
}

/** One monitor per cluster: its instance id derives from the cluster key. */
export function clusterMonitorInstanceId(clusterKey: string): string {
  return `clustermonitor-${clusterTag(clusterKey)}`;
}
