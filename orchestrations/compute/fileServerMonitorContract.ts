// Names and payloads shared by the file server monitor orchestrator, its reconcile activity and the trigger that
// starts it (kept apart so the orchestrator imports no I/O code).
import type { ClusterRefWire } from '../../shared/contracts/clusterCommand';
import { clusterTag } from '../../shared/contracts/nodeQueueNames';

export const fileServerMonitorName = 'FileServerMonitor';
export const fileServerChangedEvent = 'fileServerChanged';
export const reconcileFileServerActivityName = 'ReconcileFileServer';

export interface FileServerMonitorInput {
  fileServerKey: string;
  fileServer: ClusterRefWire;
}

export interface FileServerReconcileResult {
  /** Nothing left to do: the server is ready or failed, or it and its record are gone. */
  done: boolean;
  /** What the pass found (the orchestration's output when done). */
  state: string;
  nextCheckMs: number;
}

/** One monitor per file server: its instance id derives from the file server key. */
export function fileServerMonitorInstanceId(fileServerKey: string): string {
  return `fileservermonitor-${clusterTag(fileServerKey)}`;
}
