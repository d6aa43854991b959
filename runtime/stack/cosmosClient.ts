// A CosmosClient for the local Cosmos emulator: trusts its self-signed certificate for this client only and turns
// off endpoint discovery (the emulator has one region). For the launcher, tests and benchmarks; the app has its own.
import { CosmosClient } from '@azure/cosmos';
import * as https from 'https';

export function createCosmosClient(endpoint: string, key: string): CosmosClient {
  return new CosmosClient({
    endpoint,
    key,
    agent: new https.Agent({ rejectUnauthorized: false, keepAlive: true }),
    connectionPolicy: { enableEndpointDiscovery: false },
  });
}
