// Queue trigger: cluster commands from the resource API ('apply', 'release') start the cluster's monitor
// orchestration or wake it with a 'clusterChanged' event. Malformed commands are set aside with the reason.
import { app, output, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { clusterCommandsQueue, computeRejectedMessagesQueue } from '../../shared/config/resourceNames';
import { parseClusterCommand } from '../../shared/contracts/clusterCommand';
import {
  clusterChangedEvent,
  clusterMonitorInstanceId,
  clusterMonitorName,
  type ReconcileInput,
} from '../../orchestrations/compute/clusterMonitorContract';
import { startOrSignal } from '../../orchestrations/startOrSignal';
import { acceptQueueMessage } from './queuePayload';

const rejected = output.storageQueue({
  queueName: computeRejectedMessagesQueue,
  connection: 'AzureWebJobsStorage',
});

app.storageQueue('clusterCommands', {
  queueName: clusterCommandsQueue,
  connection: 'AzureWebJobsStorage',
  extraInputs: [df.input.durableClient()],
  extraOutputs: [rejected],
  handler: async (payload: unknown, context: InvocationContext): Promise<void> => {
    const command = acceptQueueMessage(
      payload,
      parseClusterCommand,
      clusterCommandsQueue,
      context,
      rejected,
      'cluster command',
    );
    if (!command) return;
    const input: ReconcileInput = {
      clusterKey: command.clusterKey,
      cluster: command.cluster,
      firstPass: true,
    };
    await startOrSignal(context, {
      orchestrator: clusterMonitorName,
      instanceId: clusterMonitorInstanceId(command.clusterKey),
      input,
      event: clusterChangedEvent,
      eventData: { kind: command.kind },
    });
  },
});
