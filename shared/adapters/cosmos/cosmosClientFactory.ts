// Builds the app's CosmosClient from configuration. The TLS exception for the local emulator's self-signed
// certificate is scoped to this client's own agent, never process-wide.
import { CosmosClient } from '@azure/cosmos';
import https from 'https';
import type { CosmosSettings } from '../../config/appConfig';

export function createCosmosClient(settings: CosmosSettings): CosmosClient {
  return new CosmosClient({
    endpoint: settings.endpoint,
    key: settings.key,
    ...(settings.allowSelfSignedCertificate
      ? { agent: new https.Agent({ rejectUnauthorized: false, keepAlive: true }) }
      : {}),
    // The emulator serves one endpoint; discovery would redirect to addresses it does not answer on.
    connectionPolicy: { enableEndpointDiscovery: !settings.allowSelfSignedCertificate },
  });
}
