// Builds the @azure/arm-network client (file servers' network interfaces). As for the compute client, a trusted
// certificate (the local ARM fake's) is scoped to this client's requests through a pipeline policy, never
// process-wide.
import { NetworkManagementClient } from '@azure/arm-network';
import type { TokenCredential } from '@azure/core-auth';
import { trustedCertificatePolicies } from '../trustedCertificatePolicy';

export interface NetworkClientSettings {
  subscriptionId: string;
  credential: TokenCredential;
  /** Resource Manager endpoint; default Azure public cloud. */
  endpoint?: string;
  /** PEM certificate to trust for this client only (a local HTTPS fake of ARM). */
  trustedCertificate?: string;
}

export function createNetworkClient(settings: NetworkClientSettings): NetworkManagementClient {
  const additionalPolicies = trustedCertificatePolicies(settings.trustedCertificate);
  return new NetworkManagementClient(settings.credential, settings.subscriptionId, {
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    additionalPolicies,
  });
}
