// Composition root of the sweep activities: the resource API's services (createJob, terminateJob, the store),
// the sweeps' Cosmos store and the job-files container where trials' stdout is streamed.
import { blobServiceClient } from '../../shared/adapters/storage/storageClients';
import { getServiceDeps } from '../../functions/api/apiServices';
import { createCosmosClient } from '../../shared/adapters/cosmos/cosmosClientFactory';
import { CosmosSweepStore } from '../../shared/adapters/cosmos/cosmosSweepStore';
import { readAppConfig } from '../../shared/config/appConfig';
import { readComputeConfig } from '../../shared/config/computeConfig';
import { jobFilesContainer } from '../../shared/config/resourceNames';
import type { ServiceDeps } from '../../shared/domain/services/serviceDeps';
import type { SweepStore } from '../../shared/domain/sweeps/sweepStore';
import type { ContainerClient } from '@azure/storage-blob';

export interface SweepActivityServices {
  deps: ServiceDeps;
  sweeps: SweepStore;
  jobFiles: ContainerClient;
}

let services: Promise<SweepActivityServices> | undefined;

export function getSweepActivityServices(): Promise<SweepActivityServices> {
  services ??= getServiceDeps().then((deps) => {
    const config = readAppConfig(process.env);
    const { storage } = readComputeConfig(process.env);
    return {
      deps,
      sweeps: new CosmosSweepStore(createCosmosClient(config.cosmos), config.cosmos.database),
      jobFiles: blobServiceClient(storage).getContainerClient(jobFilesContainer),
    };
  });
  services.catch(() => (services = undefined));
  return services;
}
