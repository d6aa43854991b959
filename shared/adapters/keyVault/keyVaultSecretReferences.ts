// Reads the secrets users reference from their own Key Vaults (Batch AI's KeyVaultSecretReference), with the app's
// identity (the user grants it Key Vault Secrets User on the vault). Only Key Vault hosts are contacted (the Azure
// clouds' vault DNS suffixes, or the hosts an operator lists), and the vault named by `sourceVault.id` must be the
// one in `secretUrl`: a body cannot make the app send its token, or a request, anywhere else. The deployment's own
// vaults are refused: the identity reads them for the service (the sealing key, node keys), never for a user.
import type { TokenCredential } from '@azure/core-auth';
import type { SecretClient } from '@azure/keyvault-secrets';
import { createSecretClient } from '../compute/keyVaultNodeKeys';
import {
  SecretReferenceError,
  type KeyVaultSecretReference,
  type SecretReferenceResolver,
} from '../../ports/secretReferences';

/** Key Vault DNS suffixes of the Azure clouds (public, China, US Government, Germany). */
export const keyVaultHostSuffixes = [
  '.vault.azure.net',
  '.vault.azure.cn',
  '.vault.usgovcloudapi.net',
  '.vault.microsoftazure.de',
];

export interface KeyVaultSecretReferencesOptions {
  credential: TokenCredential;
  /** Entries starting with '.' are DNS suffixes; others exact `host[:port]` (a local fake). Default: the clouds'. */
  allowedHosts?: string[];
  /** PEM trusted for these clients only (the local HTTPS fake). */
  trustedCertificate?: string;
  /** Vault names never read for a reference (the deployment's own). */
  deniedVaults?: string[];
}

function statusOf(error: unknown): { status?: number; code?: string } {
  const { statusCode, code } = error as { statusCode?: number; code?: string };
  return { status: statusCode, code };
}

export class KeyVaultSecretReferences implements SecretReferenceResolver {
  private readonly clients = new Map<string, SecretClient>();
  private readonly allowedHosts: string[];

  constructor(private readonly options: KeyVaultSecretReferencesOptions) {
    this.allowedHosts = (options.allowedHosts ?? keyVaultHostSuffixes).map((h) => h.toLowerCase());
  }

  async resolve(reference: KeyVaultSecretReference): Promise<string> {
    let url: URL;
    try {
      url = new URL(reference.secretUrl);
    } catch {
      throw new SecretReferenceError(`'${reference.secretUrl}' is not a URL.`);
    }
    const [secrets, name, version, ...rest] = url.pathname.split('/').filter((part) => part !== '');
    if (url.protocol !== 'https:' || secrets !== 'secrets' || !name || rest.length > 0 || url.search !== '') {
      throw new SecretReferenceError(
        `'${reference.secretUrl}' is not a Key Vault secret URL (https://<vault>.vault.azure.net/secrets/<name>[/<version>]).`,
      );
    }
    const host = url.host.toLowerCase();
    const bySuffix = this.allowedHosts.find((entry) => entry.startsWith('.') && url.hostname.endsWith(entry));
    if (!bySuffix && !this.allowedHosts.includes(host)) {
      throw new SecretReferenceError(
        `'${url.host}' is not a Key Vault host this service reads secrets from.`,
      );
    }
    const vaultName = /\/providers\/Microsoft\.KeyVault\/vaults\/([^/]+)$/i.exec(
      reference.sourceVaultId,
    )?.[1];
    if (!vaultName) {
      throw new SecretReferenceError(
        `sourceVault.id '${reference.sourceVaultId}' is not a Key Vault resource id (.../providers/Microsoft.KeyVault/vaults/<name>).`,
      );
    }
    if (bySuffix && url.hostname.slice(0, -bySuffix.length).toLowerCase() !== vaultName.toLowerCase()) {
      throw new SecretReferenceError(
        `The secret URL is in vault '${url.hostname}', not in the vault '${vaultName}' that sourceVault.id names.`,
      );
    }
    const denied = this.options.deniedVaults ?? [];
    const hostVault = url.hostname.split('.')[0].toLowerCase();
    if (denied.includes(vaultName.toLowerCase()) || denied.includes(hostVault)) {
      throw new SecretReferenceError(
        `The vault '${vaultName}' holds this service's own keys: its secrets cannot be referenced.`,
      );
    }
    const client = this.clientFor(url.origin);
    try {
      const secret = await client.getSecret(decodeURIComponent(name), {
        version: version ? decodeURIComponent(version) : undefined,
      });
      if (secret.value === undefined)
        throw new SecretReferenceError(`The secret '${reference.secretUrl}' has no value.`);
      return secret.value;
    } catch (error: unknown) {
      if (error instanceof SecretReferenceError) throw error;
      const { status, code } = statusOf(error);
      if (status === 404)
        throw new SecretReferenceError(`The secret '${reference.secretUrl}' does not exist.`);
      if (status === 401 || status === 403) {
        throw new SecretReferenceError(
          `The service's identity may not read '${reference.secretUrl}' (${status} ${code ?? ''}): grant it the ` +
            `Key Vault Secrets User role on the vault '${vaultName}'.`,
        );
      }
      throw new SecretReferenceError(
        `The secret '${reference.secretUrl}' could not be read: ${(error as Error).message}`,
      );
    }
  }

  private clientFor(vaultUrl: string): SecretClient {
    let client = this.clients.get(vaultUrl);
    if (!client) {
      client = createSecretClient({
        vaultUrl,
        credential: this.options.credential,
        trustedCertificate: this.options.trustedCertificate,
      });
      this.clients.set(vaultUrl, client);
    }
    return client;
  }
}
