// Seals and opens the secrets of a record; the seal context is the resource id and the JSON path, so a sealed
// value only opens where it was written.
import type { SecretProtector } from '../../ports/secretProtector';
import type { ResourceRecord } from '../resourceRecord';

export function sealSecrets(
  protector: SecretProtector,
  armId: string,
  secrets: Record<string, string>,
): Record<string, string> {
  const sealed: Record<string, string> = {};
  for (const [path, value] of Object.entries(secrets))
    sealed[path] = protector.seal(value, `${armId.toLowerCase()}#${path}`);
  return sealed;
}

/** The plain secrets of a record by path: for the lifecycle and the node agent, never for API responses. */
export function openSecrets(protector: SecretProtector, record: ResourceRecord): Record<string, string> {
  const opened: Record<string, string> = {};
  for (const [path, sealed] of Object.entries(record.encryptedSecrets)) {
    opened[path] = protector.open(sealed, `${record.armId.toLowerCase()}#${path}`);
  }
  return opened;
}

export function sameSecrets(
  protector: SecretProtector,
  record: ResourceRecord,
  secrets: Record<string, string>,
  /** Paths not compared (values read from Key Vault references: the references themselves are in the spec). */
  ignored: readonly string[] = [],
): boolean {
  const current = openSecrets(protector, record);
  const paths = new Set([...Object.keys(current), ...Object.keys(secrets)]);
  for (const path of paths) if (!ignored.includes(path) && current[path] !== secrets[path]) return false;
  return true;
}
