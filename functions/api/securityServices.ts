// Composition root of API security: the AUTH_* settings, the token validator (Entra ID keys fetched over HTTPS, a
// test CA trusted for those fetches only) and the role assignment store, built once per process.
import * as fs from 'fs';
import type { AccessPolicy } from '../../shared/security/accessDecision';
import { readAuthSettings, type AuthSettings } from '../../shared/security/authSettings';
import { BearerTokenValidator } from '../../shared/security/bearerTokenValidator';
import { httpsJsonFetcher } from '../../shared/security/httpsJsonFetcher';
import { OpenIdKeySet } from '../../shared/security/openIdKeySet';
import { ConfigurationError } from '../../shared/config/appConfig';

export interface SecurityServices {
  settings: AuthSettings;
  policy: AccessPolicy;
  /** Present when AUTH_MODE is `entra`. */
  validator?: BearerTokenValidator;
  /** The tenant's OpenID metadata and keys, present when AUTH_MODE is `entra`. */
  keySet?: OpenIdKeySet;
}

let services: SecurityServices | undefined;

function build(env: Readonly<Record<string, string | undefined>>): SecurityServices {
  const settings = readAuthSettings(env);
  const policy: AccessPolicy = {
    adminPrincipals: settings.adminPrincipals,
    workspaceCreators: settings.workspaceCreators,
  };
  const entra = settings.entra;
  if (!entra) return { settings, policy };
  let trustedCertificate: string | undefined;
  if (entra.caFile) {
    try {
      trustedCertificate = fs.readFileSync(entra.caFile, 'utf8');
    } catch {
      throw new ConfigurationError('AUTH_OPENID_CA_FILE', `names '${entra.caFile}', which cannot be read.`);
    }
  }
  const keySet = new OpenIdKeySet({
    configurationUrl: entra.openIdConfigurationUrl,
    fetchJson: httpsJsonFetcher({ trustedCertificate }),
  });
  const validator = new BearerTokenValidator({
    tenantId: entra.tenantId,
    audiences: entra.audiences,
    clockSkewSeconds: entra.clockSkewSeconds,
    keySet,
  });
  return { settings, policy, validator, keySet };
}

/** The security services of this process; a configuration error is thrown (and reported) on every request. */
export function getSecurityServices(): SecurityServices {
  services ??= build(process.env);
  return services;
}
