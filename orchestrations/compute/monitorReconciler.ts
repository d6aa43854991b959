// The monitor reconciler: every cluster must have its monitor orchestration running (it runs while the cluster
// exists), and every file server being made or removed its own. One can be missing: the command that starts it was
// lost (a PUT that failed after writing the record, and was not sent again), or an operator terminated or purged
// the instance, or the task hub was changed. The reconciler starts the missing ones; each takes up from its record.
import type { DurableClient } from 'durable-functions';
import { keyOf } from '../../shared/domain/resourceId';
import type { ResourceRecord } from '../../shared/domain/resourceRecord';
import { isActiveStatus } from '../startOrSignal';
import { clusterMonitorInstanceId, clusterMonitorName, type ReconcileInput } from './clusterMonitorContract';
import { getComputeServices } from './computeServices';
import {
  fileServerMonitorInstanceId,
  fileServerMonitorName,
  type FileServerMonitorInput,
} from './fileServerMonitorContract';

export interface ReconcileMonitorsResult {
  /** Resources looked at. */
  checked: number;
  /** ARM ids of the resources whose monitor was started. */
  started: string[];
  /** ARM ids and reasons of those that could not be looked at or started (the next round tries again). */
  failed: { resource: string; message: string }[];
}

/** The monitor a resource must have: its orchestrator, instance id and the input of a new instance. */
function monitorOf(record: ResourceRecord): { name: string; instanceId: string; input: unknown } {
  const key = keyOf(record.ref);
  const { subscriptionId, resourceGroup, workspace, name } = record.ref;
  const ref = { subscriptionId, resourceGroup, workspace, name };
  if (record.kind === 'cluster') {
    const input: ReconcileInput = { clusterKey: key, cluster: ref, firstPass: true };
    return { name: clusterMonitorName, instanceId: clusterMonitorInstanceId(key), input };
  }
  const input: FileServerMonitorInput = { fileServerKey: key, fileServer: ref };
  return { name: fileServerMonitorName, instanceId: fileServerMonitorInstanceId(key), input };
}

export async function reconcileMonitors(client: DurableClient): Promise<ReconcileMonitorsResult> {
  const { store } = getComputeServices();
  const result: ReconcileMonitorsResult = { checked: 0, started: [], failed: [] };
  let continuationToken: string | undefined;
  do {
    const page = await store.listMonitored({ maxItems: 100, continuationToken });
    for (const { record } of page.items) {
      result.checked += 1;
      const monitor = monitorOf(record);
      try {
        const status = await client.getStatus(monitor.instanceId).catch(() => undefined);
        if (status && isActiveStatus(status.runtimeStatus)) continue;
        await client.startNew(monitor.name, { instanceId: monitor.instanceId, input: monitor.input });
        result.started.push(record.armId);
      } catch (error: unknown) {
        result.failed.push({ resource: record.armId, message: (error as Error).message });
      }
    }
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return result;
}
