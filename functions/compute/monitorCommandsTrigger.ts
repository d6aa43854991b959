// A queue trigger for commands to a singleton monitor orchestration (a cluster's, a file server's): a command the
// contract refuses is set aside with the reason on the compute rejected-messages queue; a valid one starts the
// monitor or wakes it with an event (startOrSignal).
import { app, output, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { computeRejectedMessagesQueue } from '../../shared/config/resourceNames';
import { startOrSignal, type WakeTarget } from '../../orchestrations/startOrSignal';
import { acceptQueueMessage } from './queuePayload';

export function monitorCommandsTrigger<T>(
  name: string,
  queueName: string,
  parse: (value: unknown) => T,
  what: string,
  wake: (command: T) => WakeTarget,
): void {
  const rejected = output.storageQueue({
    queueName: computeRejectedMessagesQueue,
    connection: 'AzureWebJobsStorage',
  });
  app.storageQueue(name, {
    queueName,
    connection: 'AzureWebJobsStorage',
    extraInputs: [df.input.durableClient()],
    extraOutputs: [rejected],
    handler: async (payload: unknown, context: InvocationContext): Promise<void> => {
      const command = acceptQueueMessage(payload, parse, queueName, context, rejected, what);
      if (command) await startOrSignal(context, wake(command));
    },
  });
}
