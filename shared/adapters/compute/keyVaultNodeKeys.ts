// The cluster's node data key as a Key Vault secret (`cluster-<clusterTag>-node-key`, base64): the control plane
// writes it with its identity (Key Vault Secrets Officer), VM nodes read it with theirs (Key Vault Secrets User).
import type { TokenCredential } from '@azure/core-auth';
import { SecretClient } from '@azure/keyvault-secrets';
import { clusterTag } from '../../contracts/nodeQueueNames';
import { decodeNodeDataKey } from '../../crypto/nodeSecretSealing';
import { trustedCertificatePolicies } from '../trustedCertificatePolicy';

/** The Key Vault REST version this project speaks (GA since 2023; the local fake implements it). */
export const keyVaultApiVersion = '7.4';

export function nodeKeySecretName(clusterKey: string): string {
  return `cluster-${clusterTag(clusterKey)}-node-key`;
}

export interface SecretClientSettings {
  vaultUrl: string;
  credential: TokenCredential;
  /** PEM certificate trusted for this client only (the local HTTPS fake of Key Vault). */
  trustedCertificate?: string;
}

export function createSecretClient(settings: SecretClientSettings): SecretClient {
  const additionalPolicies = trustedCertificatePolicies(settings.trustedCertificate);
  return new SecretClient(settings.vaultUrl, settings.credential, {
    serviceVersion: keyVaultApiVersion,
    // A loopback fake's host is not a *.vault.azure.net name; real vaults keep the check.
    disableChallengeResourceVerification: settings.trustedCertificate !== undefined,
    additionalPolicies,
  });
}

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

export class KeyVaultNodeKeys {
  constructor(
    private readonly client: SecretClient,
    readonly vaultUrl: string,
  ) {}

  /** Writes the key unless the vault already holds it (idempotent; no new version on every pass). */
  async publish(clusterKey: string, key: Buffer): Promise<void> {
    const name = nodeKeySecretName(clusterKey);
    const value = key.toString('base64');
    try {
      if ((await this.client.getSecret(name)).value === value) return;
    } catch (error: unknown) {
      if (statusOf(error) !== 404) throw error;
    }
    const write = () => this.client.setSecret(name, value, { contentType: 'base64 AES-256 node data key' });
    try {
      await write();
    } catch (error: unknown) {
      // A cluster of the same name deleted within the vault's retention left the secret deleted but recoverable
      // (and, with purge protection, not purgeable): recover it, then write this cluster's key over it.
      if (statusOf(error) !== 409) throw error;
      await (await this.client.beginRecoverDeletedSecret(name)).pollUntilDone();
      await write();
    }
  }

  async read(clusterKey: string): Promise<Buffer> {
    const secret = await this.client.getSecret(nodeKeySecretName(clusterKey));
    return decodeNodeDataKey(secret.value ?? '', `Key Vault secret ${nodeKeySecretName(clusterKey)}`);
  }

  /** Deletes the key when the cluster is released (soft delete; an absent secret is fine). */
  async remove(clusterKey: string): Promise<void> {
    try {
      await this.client.beginDeleteSecret(nodeKeySecretName(clusterKey));
    } catch (error: unknown) {
      if (statusOf(error) !== 404) throw error;
    }
  }
}
