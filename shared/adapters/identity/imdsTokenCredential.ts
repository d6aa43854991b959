// A TokenCredential of a user-assigned managed identity through the (configurable) Instance Metadata Service: what a
// VM node uses for its identity, and what a control plane hosted where IMDS serves tokens (or a local test, against
// the IMDS fake) can use for the app's.
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { MetadataServiceClient } from './metadataServiceClient';

export class ImdsTokenCredential implements TokenCredential {
  constructor(
    private readonly imds: MetadataServiceClient,
    private readonly clientId: string,
  ) {}

  async getToken(scopes: string | string[]): Promise<AccessToken> {
    const scope = Array.isArray(scopes) ? scopes[0] : scopes;
    return this.imds.identityToken(scope.replace(/\/\.default$/, ''), this.clientId);
  }
}
