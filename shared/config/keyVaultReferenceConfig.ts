// Whether and how the API reads users' Key Vault secret references: on Azure (COMPUTE_BACKEND=vmss) with the app's
// identity from the Azure clouds' vault hosts; elsewhere only when KEY_VAULT_REFERENCE_HOSTS names hosts to read
// from (comma-separated: `.suffix` or exact `host[:port]`), with KEY_VAULT_REFERENCE_CA_FILE trusted for them (a
// local HTTPS fake). The app's identity: DefaultAzureCredential, or, with KEY_VAULT_REFERENCE_IMDS_URL, the
// user-assigned identity AZURE_CLIENT_ID through that Instance Metadata Service (a host where IMDS serves tokens; the
// IMDS fake in tests). Without hosts or Azure, a reference is refused with a 400 that says so.
// The deployment's own vaults are never read for a reference, whatever the identity may read there (it holds the
// key that seals every secret, and the clusters' node keys): KEY_VAULT_REFERENCE_DENIED_VAULTS (comma-separated
// vault names; infra sets the app's two) and the vault of COMPUTE_KEY_VAULT_URL.
import { ConfigurationError, readCertificateSetting } from './appConfig';

export interface KeyVaultReferenceSettings {
  /** Undefined: the clouds' Key Vault DNS suffixes. */
  allowedHosts?: string[];
  trustedCertificate?: string;
  /** Tokens from this Instance Metadata Service for `clientId`, instead of DefaultAzureCredential. */
  imds?: { url: string; clientId: string };
  /** Vault names (lower case) a reference may never name: the deployment's own. */
  deniedVaults: string[];
}

/** The deployment's own vaults (names, lower case): listed, and the node keys' vault. */
function deniedVaultsOf(env: Readonly<Record<string, string | undefined>>): string[] {
  const names = (env.KEY_VAULT_REFERENCE_DENIED_VAULTS ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  for (const name of names) {
    if (!/^[a-z0-9-]{1,127}$/.test(name)) {
      throw new ConfigurationError(
        'KEY_VAULT_REFERENCE_DENIED_VAULTS',
        `has '${name}', which is not a vault name.`,
      );
    }
  }
  const nodeKeys = env.COMPUTE_KEY_VAULT_URL?.trim();
  if (nodeKeys) {
    try {
      names.push(new URL(nodeKeys).hostname.split('.')[0].toLowerCase());
    } catch {
      throw new ConfigurationError('COMPUTE_KEY_VAULT_URL', `must be a URL; it is '${nodeKeys}'.`);
    }
  }
  return [...new Set(names)];
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
  return { allowedHosts, trustedCertificate, deniedVaults: deniedVaultsOf(env), ...(imds ? { imds } : {}) };
}
