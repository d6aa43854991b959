// Composition root of the event sources: the resource API's service dependencies (one createJob path), the
// definitions store on Cosmos and the queue sender (replies, batch wake-ups), built once per process.
import { createCosmosClient } from '../../shared/adapters/cosmos/cosmosClientFactory';
import { CosmosEventSourceStore } from '../../shared/adapters/cosmos/cosmosEventSourceStore';
import { queueServiceClient } from '../../shared/adapters/storage/storageClients';
import { QueueMessageSender } from '../../shared/adapters/storage/queueMessageSender';
import { readAppConfig } from '../../shared/config/appConfig';
import { readComputeConfig } from '../../shared/config/computeConfig';
import { scoringBatchesQueue } from '../../shared/config/resourceNames';
import type { EventSourceDeps } from '../../shared/domain/eventSources/eventSourceDeps';
import { getServiceDeps } from '../api/apiServices';

export interface EventSourceServices extends EventSourceDeps {
  queues: QueueMessageSender;
}

let services: Promise<EventSourceServices> | undefined;

export function getEventSourceServices(): Promise<EventSourceServices> {
  services ??= getServiceDeps().then((service) => {
    const config = readAppConfig(process.env);
    const { storage } = readComputeConfig(process.env);
    const queues = new QueueMessageSender(queueServiceClient(storage), scoringBatchesQueue);
    return {
      service,
      store: new CosmosEventSourceStore(createCosmosClient(config.cosmos), config.cosmos.database),
      batches: queues,
      queues,
    };
  });
  services.catch(() => (services = undefined)); // a configuration error is reported per invocation, then retried
  return services;
}
