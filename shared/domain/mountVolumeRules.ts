// Rules for MountVolumes beyond the schema: mount paths are relative, distinct, and stay under the mount root.
import { isSafeRelativeMountPath } from '../contracts/agentConfig';
import { ValidationError } from './errors';
import { isJsonObject, type JsonObject } from './specValidator';

const lists = ['azureFileShares', 'azureBlobFileSystems', 'fileServers', 'unmanagedFileSystems'];

export function validateMountVolumes(path: string, volumes: JsonObject): void {
  const seen = new Map<string, string>();
  for (const list of lists) {
    const entries = volumes[list];
    if (!Array.isArray(entries)) continue;
    entries.forEach((entry, index) => {
      if (!isJsonObject(entry)) return;
      const field = `${path}.${list}[${index}].relativeMountPath`;
      const mountPath = String(entry.relativeMountPath);
      if (mountPath.length === 0 || mountPath.startsWith('/') || mountPath.split('/').includes('..')) {
        throw new ValidationError(
          field,
          `'${field}' must be a non-empty relative path without '..'; it is '${mountPath}'.`,
        );
      }
      const key = mountPath.replace(/\/+$/, '');
      // What nodes mount it at: the agent uses it in paths and mount commands as it is.
      if (!isSafeRelativeMountPath(key)) {
        throw new ValidationError(
          field,
          `'${field}' must be '/'-separated names of letters, digits, '_', '.', '-'; it is '${mountPath}'.`,
        );
      }
      if (seen.has(key))
        throw new ValidationError(field, `The mount path '${mountPath}' is also used by ${seen.get(key)}.`);
      seen.set(key, field);
    });
  }
}

/** File server references of a MountVolumes object, with the JSON path of each id. */
export function fileServerIdsOf(
  path: string,
  volumes: JsonObject | undefined,
): { field: string; id: string }[] {
  const entries = volumes?.fileServers;
  if (!Array.isArray(entries)) return [];
  return entries.filter(isJsonObject).map((entry, index) => ({
    field: `${path}.fileServers[${index}].fileServer.id`,
    id: String((entry.fileServer as JsonObject).id),
  }));
}
