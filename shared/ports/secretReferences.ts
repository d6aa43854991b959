// The seam to users' Key Vaults: reads the secret a Batch AI `KeyVaultSecretReference` names
// (`{ sourceVault: { id }, secretUrl }`), with the app's identity.
export interface KeyVaultSecretReference {
  /** ARM id of the vault (`.../providers/Microsoft.KeyVault/vaults/<name>`). */
  sourceVaultId: string;
  /** `https://<vault>.vault.azure.net/secrets/<name>[/<version>]`. */
  secretUrl: string;
}

export class SecretReferenceError extends Error {}

export interface SecretReferenceResolver {
  /** The secret's value; throws SecretReferenceError saying why it cannot be read (for the caller's 400). */
  resolve(reference: KeyVaultSecretReference): Promise<string>;
}
