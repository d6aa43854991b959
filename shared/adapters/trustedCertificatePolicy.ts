// An Azure SDK pipeline policy that trusts one extra certificate for one client only (a local HTTPS fake of an
// Azure service in tests), instead of loosening TLS for the whole process.
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import https from 'https';

/** `additionalPolicies` for an Azure SDK client: none, or the scoped trust of `certificate` (PEM). */
export function trustedCertificatePolicies(
  certificate: string | undefined,
): { policy: PipelinePolicy; position: 'perCall' }[] {
  if (!certificate) return [];
  const agent = new https.Agent({ ca: certificate, keepAlive: true });
  return [
    {
      position: 'perCall',
      policy: {
        name: 'scopedTrustedCertificate',
        sendRequest: (request, next) => next(Object.assign(request, { agent })),
      },
    },
  ];
}
