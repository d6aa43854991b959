// File server facts for the clusters page: its data disks in words, where nodes mount it from, and why it failed.
// Pure: no DOM, so unit tests run it under Node.

export interface FileServerRow {
  name: string;
  vmSize: string;
  disks: string;
  /** `<internal IP>:<mount point>` once provisioned, else ''. */
  mount: string;
  provisioningState: string;
  errors: string;
  creationTime: unknown;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

export function fileServerRow(server: {
  name?: string;
  properties?: Record<string, unknown>;
}): FileServerRow {
  const p = server.properties ?? {};
  const disks = (p.dataDisks ?? {}) as Record<string, unknown>;
  const mount = (p.mountSettings ?? {}) as Record<string, unknown>;
  const count = Number(disks.diskCount ?? 0);
  const caching = text(disks.cachingType);
  const ip = text(mount.fileServerInternalIP);
  return {
    name: server.name ?? '',
    vmSize: text(p.vmSize),
    disks:
      `${count} × ${Number(disks.diskSizeInGB ?? 0)} GB ${text(disks.storageAccountType)}` +
      (count > 1 ? ', RAID 0' : '') +
      (caching && caching !== 'none' ? `, caching ${caching}` : ''),
    mount: ip ? `${ip}:${text(mount.mountPoint)}` : '',
    provisioningState: text(p.provisioningState),
    errors: Array.isArray(p.errors)
      ? (p.errors as { code?: string; message?: string }[])
          .map((e) => [e.code, e.message].filter(Boolean).join(': '))
          .join('; ')
      : '',
    creationTime: p.creationTime,
  };
}
