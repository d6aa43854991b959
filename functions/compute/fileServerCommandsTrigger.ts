// Queue trigger: file server commands from the resource API start the file server's monitor orchestration or
// wake it with a 'fileServerChanged' event. Malformed commands are set aside with the reason.
import { app, output, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { computeRejectedMessagesQueue, fileServerCommandsQueue } from '../../shared/config/resourceNames';
import { parseFileServerCommand } from '../../shared/contracts/fileServerCommand';
import {
  fileServerChangedEvent,
  fileServerMonitorInstanceId,
  fileServerMonitorName,
  type FileServerMonitorInput,
} from '../../orchestrations/compute/fileServerMonitorContract';
import { startOrSignal } from '../../orchestrations/startOrSignal';
import { acceptQueueMessage } from './queuePayload';

const rejected = output.storageQueue({
  queueName: computeRejectedMessagesQueue,
  connection: 'AzureWebJobsStorage',
});

app.storageQueue('fileServerCommands', {
  queueName: fileServerCommandsQueue,
  connection: 'AzureWebJobsStorage',
  extraInputs: [df.input.durableClient()],
  extraOutputs: [rejected],
  handler: async (payload: unknown, context: InvocationContext): Promise<void> => {
    const command = acceptQueueMessage(
      payload,
      parseFileServerCommand,
      fileServerCommandsQueue,
      context,
      rejected,
      'file server command',
    );
    if (!command) return;
    const input: FileServerMonitorInput = {
      fileServerKey: command.fileServerKey,
      fileServer: command.fileServer,
    };
    await startOrSignal(context, {
      orchestrator: fileServerMonitorName,
      instanceId: fileServerMonitorInstanceId(command.fileServerKey),
      input,
      event: fileServerChangedEvent,
      eventData: {},
    });
  },
});
