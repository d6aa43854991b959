// Key Vault secret references in a create body (`valueSecretReference`, `accountKeySecretReference`,
// `passwordSecretReference`, `instrumentationKeySecretReference`) are read when the resource is created, with the
// app's identity, and sealed like a value given in the body, at the path that value would have had: everything that
// uses secrets later (nodes, listings) is the same for both. The spec keeps the reference, never the value.
import { ValidationError } from '../errors';
import { isJsonObject, type JsonObject, type JsonValue } from '../specValidator';
import { SecretReferenceError } from '../../ports/secretReferences';
import type { ServiceDeps } from './serviceDeps';

/** Reference property -> the property whose path its value takes. */
const referenceProperties: Record<string, string> = {
  valueSecretReference: 'value',
  passwordSecretReference: 'password',
  accountKeySecretReference: 'accountKey',
  instrumentationKeySecretReference: 'instrumentationKey',
};

export interface SecretReferenceAt {
  /** JSON path of the reference (named in errors). */
  field: string;
  /** JSON path its value is sealed at. */
  valuePath: string;
  sourceVaultId: string;
  secretUrl: string;
}

/** Every Key Vault reference under `value` (the spec validator checked their shape). */
export function secretReferencesOf(value: JsonValue, path: string): SecretReferenceAt[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => secretReferencesOf(item, `${path}[${i}]`));
  if (!isJsonObject(value)) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const plain = referenceProperties[key];
    if (plain && isJsonObject(child)) {
      const vault = child.sourceVault as JsonObject | undefined;
      return [
        {
          field: `${path}.${key}`,
          valuePath: `${path}.${plain}`,
          sourceVaultId: String(vault?.id ?? ''),
          secretUrl: String(child.secretUrl ?? ''),
        },
      ];
    }
    return secretReferencesOf(child, `${path}.${key}`);
  });
}

/** The referenced secrets' values by the path each takes; a reference that cannot be read is a 400 naming it. */
export async function resolveSecretReferences(
  deps: ServiceDeps,
  properties: JsonObject,
): Promise<Record<string, string>> {
  const references = secretReferencesOf(properties, 'properties');
  const resolved: Record<string, string> = {};
  for (const reference of references) {
    if (!deps.secretReferences) {
      throw new ValidationError(
        reference.field,
        `'${reference.field}': this deployment cannot read Key Vault secrets (it has no identity for users' ` +
          `vaults, see docs/api.md); give the value itself, which is stored encrypted.`,
      );
    }
    try {
      resolved[reference.valuePath] = await deps.secretReferences.resolve(reference);
    } catch (error: unknown) {
      if (!(error instanceof SecretReferenceError)) throw error;
      throw new ValidationError(reference.field, `'${reference.field}': ${error.message}`);
    }
  }
  return resolved;
}
