// What nodes need of the file servers a `mountVolumes` object names, read from each file server's record when a
// cluster's pool definition or a job's task is built: the server's internal address and mount point, the local
// export directory for local nodes, or why it cannot be mounted (deleted, not provisioned).
import * as path from 'path';
import { keyOf, parseChildId } from '../../shared/domain/resourceId';
import type { JsonObject } from '../../shared/domain/specValidator';
import type { ResourceStore } from '../../shared/ports/resourceStore';

export interface FileServerEndpoint {
  server: string;
  mountPoint: string;
  localExport?: string;
}

/** By file server key (lower-cased id): its endpoint, or why it cannot be mounted. */
export type FileServerEndpoints = ReadonlyMap<string, FileServerEndpoint | string>;

const list = (v: unknown): JsonObject[] =>
  Array.isArray(v) ? v.filter((x): x is JsonObject => !!x && typeof x === 'object') : [];

/** The key of a file server id as stored in a mount volume (validated when the resource was created). */
export function fileServerKeyOf(id: string): string {
  return keyOf(parseChildId('fileServer.id', id, 'fileServer'));
}

export async function fileServerEndpointsOf(
  store: ResourceStore,
  ...volumeSets: (JsonObject | undefined)[]
): Promise<FileServerEndpoints> {
  const endpoints = new Map<string, FileServerEndpoint | string>();
  for (const volumes of volumeSets) {
    for (const volume of list(volumes?.fileServers)) {
      const id = String((volume.fileServer as JsonObject | undefined)?.id ?? '');
      const ref = parseChildId('fileServer.id', id, 'fileServer');
      const key = keyOf(ref);
      if (endpoints.has(key)) continue;
      const stored = await store.get(ref);
      const settings = stored?.record.status.mountSettings as JsonObject | undefined;
      const state = stored?.record.status.provisioningState;
      if (!stored) {
        endpoints.set(key, `The file server '${id}' no longer exists.`);
      } else if (state !== 'succeeded' || typeof settings?.fileServerInternalIP !== 'string') {
        endpoints.set(key, `The file server '${id}' is ${String(state)}, not ready to be mounted.`);
      } else {
        endpoints.set(key, {
          server: settings.fileServerInternalIP,
          mountPoint: String(settings.mountPoint ?? '/'),
          localExport: stored.record.fileServer?.localExport,
        });
      }
    }
  }
  return endpoints;
}

/**
 * A volume's sourceDirectory inside the server's export, as a path that cannot leave it ('..' stops at the export).
 * Given as a path on the server (starting with its mount point) or relative to the mount point: both mean the same.
 */
export function exportRelativePath(mountPoint: string, sourceDirectory: string | undefined): string {
  const root = path.posix.normalize(`/${mountPoint}`).replace(/\/+$/, '');
  let rel = path.posix.normalize(`/${sourceDirectory ?? ''}`);
  if (root && (rel === root || rel.startsWith(`${root}/`))) rel = rel.slice(root.length) || '/';
  return rel === '/' ? '' : rel.replace(/\/+$/, '').slice(1);
}
