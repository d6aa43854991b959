// Builds the app's CosmosClient from configuration: a key locally (the emulator), the managed identity on Azure
// (DefaultAzureCredential; AZURE_CLIENT_ID picks the user-assigned identity). The TLS exception for the local
// emulator's self-signed certificate is scoped to this client's own agent, never process-wide.
import { CosmosClient } from '@azure/cosmos';
import { DefaultAzureCredential } from '@azure/identity';
import https from 'https';
import type { CosmosSettings } from '../../config/appConfig';

// One client per account and credentials for the whole process, as the Cosmos DB SDK recommends: the API, the
// activities and the triggers share its connections and its cached metadata.
const clients = new Map<string, CosmosClient>();

export function createCosmosClient(settings: CosmosSettings): CosmosClient {
  const cacheKey = JSON.stringify([
    settings.endpoint,
    settings.key ?? '',
    settings.allowSelfSignedCertificate,
  ]);
  let client = clients.get(cacheKey);
  if (!client) {
    client = newCosmosClient(settings);
    clients.set(cacheKey, client);
  }
  return client;
}

function newCosmosClient(settings: CosmosSettings): CosmosClient {
  return new CosmosClient({
    endpoint: settings.endpoint,
    ...(settings.key ? { key: settings.key } : { aadCredentials: new DefaultAzureCredential() }),
    ...(settings.allowSelfSignedCertificate
      ? { agent: new https.Agent({ rejectUnauthorized: false, keepAlive: true }) }
      : {}),
    // The emulator serves one endpoint; discovery would redirect to addresses it does not answer on.
    connectionPolicy: { enableEndpointDiscovery: !settings.allowSelfSignedCertificate },
  });
}
