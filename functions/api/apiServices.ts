// Composition root of the resource API: builds the domain services' dependencies once per process from the app
// settings (Cosmos store, AES-GCM secret sealing). Compute, the job lifecycle and job files are wired here by the
// issues that implement those ports.
import { randomUUID } from 'crypto';
import { DefaultAzureCredential } from '@azure/identity';
import { KeyVaultSecretReferences } from '../../shared/adapters/keyVault/keyVaultSecretReferences';
import { ImdsTokenCredential } from '../../shared/adapters/identity/imdsTokenCredential';
import { MetadataServiceClient } from '../../shared/adapters/identity/metadataServiceClient';
import { readKeyVaultReferenceSettings } from '../../shared/config/keyVaultReferenceConfig';
import { createCosmosClient } from '../../shared/adapters/cosmos/cosmosClientFactory';
import { CosmosResourceStore } from '../../shared/adapters/cosmos/cosmosResourceStore';
import { CosmosSweepStore } from '../../shared/adapters/cosmos/cosmosSweepStore';
import { CosmosEventSourceStore } from '../../shared/adapters/cosmos/cosmosEventSourceStore';
import { CosmosRoleAssignmentStore } from '../../shared/adapters/cosmos/cosmosRoleAssignmentStore';
import { readAppConfig } from '../../shared/config/appConfig';
import { activeTraceContext } from '../../shared/telemetry/traceContextPropagation';
import { AesGcmSecretProtector } from '../../shared/crypto/aesGcmSecretProtector';
import {
  createClusterCompute,
  createFileServerProvisioning,
  createVmSizeCatalog,
} from '../compute/clusterComputeFactory';
import { createJobLifecycle, createJobOutputFiles } from '../jobs/jobLifecycleFactory';
import type { ServiceDeps } from '../../shared/domain/services/serviceDeps';
import { readOperationRetentionDays } from '../../shared/config/operationConfig';
import { readQuotas } from '../../shared/config/quotaConfig';

let deps: Promise<ServiceDeps> | undefined;

export function getServiceDeps(): Promise<ServiceDeps> {
  deps ??= Promise.resolve().then(() => {
    const config = readAppConfig(process.env);
    const cosmos = createCosmosClient(config.cosmos);
    const store = new CosmosResourceStore(cosmos, config.cosmos.database);
    const secrets = new AesGcmSecretProtector(config.secretsEncryptionKey);
    const references = readKeyVaultReferenceSettings(process.env);
    return {
      store,
      compute: createClusterCompute(process.env, cosmos, config.cosmos.database),
      fileServers: createFileServerProvisioning(process.env),
      lifecycle: createJobLifecycle(process.env),
      outputFiles: createJobOutputFiles(process.env, store, secrets),
      workspaceAccess: new CosmosRoleAssignmentStore(cosmos, config.cosmos.database),
      sweeps: new CosmosSweepStore(cosmos, config.cosmos.database),
      eventSources: new CosmosEventSourceStore(cosmos, config.cosmos.database),
      secrets,
      secretReferences: references
        ? new KeyVaultSecretReferences({
            ...references,
            credential: references.imds
              ? new ImdsTokenCredential(
                  new MetadataServiceClient(references.imds.url),
                  references.imds.clientId,
                )
              : new DefaultAzureCredential(),
          })
        : undefined,
      quotas: readQuotas(process.env),
      operationRetentionDays: readOperationRetentionDays(process.env),
      vmSizes: createVmSizeCatalog(process.env),
      traceContext: activeTraceContext,
      now: () => new Date(),
      newId: randomUUID,
    };
  });
  deps.catch(() => (deps = undefined)); // A configuration error is reported per request, and fixed settings are picked up.
  return deps;
}
