// Whether and how the API reads users' Key Vault secret references: on Azure (COMPUTE_BACKEND=vmss) with the app's
// identity from the Azure clouds' vault hosts; elsewhere only when KEY_VAULT_REFERENCE_HOSTS names hosts to read
// from (comma-separated: `.suffix` or exact `host[:port]`), with KEY_VAULT_REFERENCE_CA_FILE trusted for them (a
// local HTTPS fake). The app's identity: DefaultAzureCredential, or, with KEY_VAULT_REFERENCE_IMDS_URL, the
// user-assigned identity AZURE_CLIENT_ID through that Instance Metadata Service (a host where IMDS serves tokens; the
// IMDS fake in tests). Without hosts or Azure, a reference is refused with a 400 that says so.
import { ConfigurationError, readCertificateSetting } from './appConfig';

export interface KeyVaultReferenceSettings {
  /** Undefined: the clouds' Key Vault DNS suffixes. */
  allowedHosts?: string[];
  trustedCertificate?: string;
  /** Tokens from this Instance Metadata Service for `clientId`, instead of DefaultAzureCredential. */
  imds?: { url: string; clientId: string };
}

export function readKeyVaultReferenceSettings(
  env: Readonly<Record<string, string | undefined>>,
): KeyVaultReferenceSettings | undefined {
  const hostsText = env.KEY_VAULT_REFERENCE_HOSTS?.trim();
  const onAzure =
    (env.COMPUTE_BACKEND?.trim() || (env.COMPUTE_SUBSCRIPTION_ID ? 'vmss' : 'local')).toLowerCase() ===
    'vmss';
  if (!hostsText && !onAzure) return undefined;
  const allowedHosts = hostsText
    ? hostsText
        .split(',')
        .map((host) => host.trim().toLowerCase())
        .filter((host) => host !== '')
    : undefined;
  for (const host of allowedHosts ?? []) {
    if (!/^(\.[a-z0-9-]+(\.[a-z0-9-]+)+|[a-z0-9.-]+(:\d{1,5})?)$/.test(host)) {
      throw new ConfigurationError(
        'KEY_VAULT_REFERENCE_HOSTS',
        `has '${host}', which is neither '.suffix' nor 'host[:port]'.`,
      );
    }
  }
  const trustedCertificate = readCertificateSetting(env, 'KEY_VAULT_REFERENCE_CA_FILE');
  const imdsUrl = env.KEY_VAULT_REFERENCE_IMDS_URL?.trim();
  let imds: KeyVaultReferenceSettings['imds'];
  if (imdsUrl) {
    if (!/^https?:\/\/[^/]+/.test(imdsUrl)) {
      throw new ConfigurationError(
        'KEY_VAULT_REFERENCE_IMDS_URL',
        `must be an http(s) URL; it is '${imdsUrl}'.`,
      );
    }
    const clientId = env.AZURE_CLIENT_ID?.trim();
    if (!clientId) {
      throw new ConfigurationError(
        'AZURE_CLIENT_ID',
        'is required with KEY_VAULT_REFERENCE_IMDS_URL (the identity).',
      );
    }
    imds = { url: imdsUrl, clientId };
  }
  return { allowedHosts, trustedCertificate, ...(imds ? { imds } : {}) };
}
