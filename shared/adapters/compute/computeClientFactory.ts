// Builds the @azure/arm-compute client. A trusted certificate (the local ARM fake's) is scoped to this client's
// requests through a pipeline policy that sets their agent, never process-wide.
import { ComputeManagementClient } from '@azure/arm-compute';
import type { TokenCredential } from '@azure/core-auth';
import { trustedCertificatePolicies } from '../trustedCertificatePolicy';

export interface ComputeClientSettings {
  subscriptionId: string;
  credential: TokenCredential;
  /** Resource Manager endpoint; default Azure public cloud. */
  endpoint?: string;
  /** PEM certificate to trust for this client only (a local HTTPS fake of ARM). */
  trustedCertificate?: string;
}

export function createComputeClient(settings: ComputeClientSettings): ComputeManagementClient {
  const additionalPolicies = trustedCertificatePolicies(settings.trustedCertificate);
  return new ComputeManagementClient(settings.credential, settings.subscriptionId, {
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    additionalPolicies,
  });
}
