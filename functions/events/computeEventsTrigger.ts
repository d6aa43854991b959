// Event Grid trigger: Azure Resource Manager events (Microsoft.Resources.*) about the clusters' scale sets are
// logged and wake the cluster's monitor orchestration (`clusterChanged`), so a VM deleted or changed outside the
// service is reconciled at once. Other events are logged and acknowledged.
import { app, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { clusterChangedEvent } from '../../orchestrations/compute/clusterMonitorContract';
import { parseComputeEvent } from '../../shared/domain/eventSources/computeEvent';
import { durableClientOf } from '../../orchestrations/durableClientOf';

export async function handleComputeEvent(event: unknown, context: InvocationContext): Promise<void> {
  const compute = parseComputeEvent(event);
  if (!compute) {
    context.log('Ignored an event that is not a Microsoft.Resources event with a subject.');
    return;
  }
  context.log(
    `Compute event ${compute.eventType} ${compute.operationName ?? ''} on ${compute.resourceId} (${compute.eventId}).`,
  );
  if (!compute.clusterTag) return;
  // The monitor's instance id is `clustermonitor-<clusterTag>` (clusterMonitorInstanceId) and its scale set is
  // `batchai-<clusterTag>`, so the event names the instance without a lookup.
  const instanceId = `clustermonitor-${compute.clusterTag}`;
  await durableClientOf(context)
    .raiseEvent(instanceId, clusterChangedEvent, { kind: 'computeEvent', eventType: compute.eventType })
    .catch((error: unknown) =>
      // No running monitor (cluster deleted or not ours): nothing to wake.
      context.warn(`Could not signal ${instanceId}: ${(error as Error).message}`),
    );
}

app.eventGrid('computeEvents', { extraInputs: [df.input.durableClient()], handler: handleComputeEvent });
