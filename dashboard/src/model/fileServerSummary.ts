// File server facts for the clusters page: its data disks in words, where nodes mount it from, why it failed, and
// the PUT body of the create form (validated, naming the field). Pure: no DOM, so unit tests run it under Node.
import { adminAccountOf, wholeNumber, type FormResult } from './clusterSummary.js';

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

export const fileServerStorageSkus = ['Standard_LRS', 'Premium_LRS'] as const;

export interface FileServerForm {
  vmSize: string;
  diskCount: string;
  diskSizeInGB: string;
  storageAccountType: string;
  adminUserName: string;
  adminUserSshPublicKey: string;
  /** ARM id of a subnet, or '' for the deployment's default. */
  subnetId: string;
}

export function buildFileServerBody(
  form: FileServerForm,
): FormResult<{ properties: Record<string, unknown> }> {
  const vmSize = form.vmSize.trim();
  if (!/^standard_[a-z0-9_-]+$/i.test(vmSize)) {
    return { ok: false, field: 'vmSize', message: "VM size must be an Azure size such as 'STANDARD_D2_V2'." };
  }
  const diskCount = wholeNumber('Data disk count', form.diskCount, 1, 64);
  if (typeof diskCount === 'string') return { ok: false, field: 'diskCount', message: diskCount };
  const diskSizeInGB = wholeNumber('Disk size (GB)', form.diskSizeInGB, 1, 32767);
  if (typeof diskSizeInGB === 'string') return { ok: false, field: 'diskSizeInGB', message: diskSizeInGB };
  if (!(fileServerStorageSkus as readonly string[]).includes(form.storageAccountType)) {
    return {
      ok: false,
      field: 'storageAccountType',
      message: `Disk type must be ${fileServerStorageSkus.join(' or ')}.`,
    };
  }
  const userAccountSettings = adminAccountOf(form);
  if (!userAccountSettings.ok) return userAccountSettings;
  const subnetId = form.subnetId.trim();
  if (
    subnetId !== '' &&
    !/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+\/subnets\/[^/]+$/i.test(
      subnetId,
    )
  ) {
    return {
      ok: false,
      field: 'subnet',
      message:
        'Subnet must be a subnet resource id (/subscriptions/.../virtualNetworks/<vnet>/subnets/<name>).',
    };
  }
  return {
    ok: true,
    body: {
      properties: {
        vmSize,
        dataDisks: { diskCount, diskSizeInGB, storageAccountType: form.storageAccountType },
        sshConfiguration: { userAccountSettings: userAccountSettings.body },
        ...(subnetId ? { subnet: { id: subnetId } } : {}),
      },
    },
  };
}
