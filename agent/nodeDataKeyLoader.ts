// Where a node gets its cluster's node data key (the key that opens the secrets sealed for it): from its own
// agent.json on a local node, from Key Vault with the VM's managed identity on a scale set node. Memory only.
import type { AgentConfig } from '../shared/contracts/agentConfig';
import { createSecretClient, KeyVaultNodeKeys } from '../shared/adapters/compute/keyVaultNodeKeys';
import { decodeNodeDataKey } from '../shared/crypto/nodeSecretSealing';
import type { MetadataServiceClient } from '../shared/adapters/identity/metadataServiceClient';
import { ImdsTokenCredential } from '../shared/adapters/identity/imdsTokenCredential';

export interface NodeDataKeyLoadOptions {
  imds?: MetadataServiceClient;
  /** PEM certificate trusted for the Key Vault client only (tests against the local fake). */
  trustedCertificate?: string;
  attempts?: number;
  retryDelayMs?: number;
}

/** The node data key, or undefined when the cluster gave this node none (it then refuses sealed values). */
export async function loadNodeDataKey(
  config: AgentConfig,
  options: NodeDataKeyLoadOptions = {},
): Promise<Buffer | undefined> {
  if (config.nodeDataKey) return decodeNodeDataKey(config.nodeDataKey, 'config.nodeDataKey');
  const source = config.nodeDataKeySource;
  if (!source) return undefined;
  const clientId = config.storage.managedIdentityClientId;
  if (!options.imds || !clientId) {
    throw new Error(
      'Reading the node data key from Key Vault needs the metadata service and an identity client id.',
    );
  }
  const keys = new KeyVaultNodeKeys(
    createSecretClient({
      vaultUrl: source.keyVaultUrl,
      credential: new ImdsTokenCredential(options.imds, clientId),
      trustedCertificate: options.trustedCertificate,
    }),
    source.keyVaultUrl,
  );
  const attempts = options.attempts ?? 10;
  for (let attempt = 1; ; attempt++) {
    try {
      return await keys.read(config.clusterKey);
    } catch (error: unknown) {
      // A role assignment can take minutes to apply to a new identity: retry before giving up on the node.
      if (attempt >= attempts) {
        throw new Error(
          `The node data key could not be read from ${source.keyVaultUrl}: ${(error as Error).message}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs ?? 3_000));
    }
  }
}
