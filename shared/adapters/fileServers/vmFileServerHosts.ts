// Azure file servers: one Linux VM per Batch AI file server, with its empty managed data disks assembled (RAID 0
// when several), formatted ext4, mounted at /mnt/data and exported over NFS to the private address ranges by a
// CustomScript extension; no public IP (nodes reach it inside the virtual network). The file server monitor calls
// ensure() every few seconds, so each call advances at most one step and returns at once: a VM or an extension is
// started, never waited for.
import { bootsGeneration1Only } from '../../domain/vmSizeFeatures';
import type {
  CachingTypes,
  ComputeManagementClient,
  InstanceViewStatus,
  VirtualMachine,
  VirtualMachineExtension,
} from '@azure/arm-compute';
import type { NetworkInterface, NetworkManagementClient } from '@azure/arm-network';
import { clusterTag } from '../../contracts/nodeQueueNames';
import { armRefusalOf, isTransientConflict, type ArmRefusal } from '../compute/armRefusal';
import type {
  FileServerHostSpec,
  FileServerHostState,
  FileServerHosts,
  FileServerMountSettings,
} from '../../ports/fileServerHosts';
import { fileServerMountPoint } from './localFileServerHosts';

export interface VmFileServerHostsOptions {
  compute: ComputeManagementClient;
  network: NetworkManagementClient;
  resourceGroup: string;
  location: string;
  /** Subnet used when the file server names none (ARM id): the deployment's COMPUTE_SUBNET_ID. */
  defaultSubnetId?: string;
  /** Poll interval of the network interface's create and delete operations (default: the SDK's). */
  pollIntervalMs?: number;
}

type Failure = ArmRefusal;

/** Name of the CustomScript extension that sets the server up. */
export const fileServerSetupExtensionName = 'batchai-fileserver-setup';

/** The private address ranges (RFC 1918) the export is open to: every virtual network a node may be in. */
const exportOptions = 'rw,sync,no_root_squash,no_subtree_check';
export const fileServerExportsLine = `${fileServerMountPoint} ${[
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
]
  .map((range) => `${range}(${exportOptions})`)
  .join(' ')}`;

const cachingTypes: Record<FileServerHostSpec['dataDisks']['cachingType'], CachingTypes> = {
  none: 'None',
  readonly: 'ReadOnly',
  readwrite: 'ReadWrite',
};

/**
 * The setup script the CustomScript extension runs as root. Idempotent (a rerun keeps the array, the file system,
 * the data and the export); holds no secret.
 */
export function fileServerSetupScript(diskCount: number): string {
  const raid =
    diskCount > 1
      ? [
          '# Several disks: one RAID 0 array across them.',
          'command -v mdadm >/dev/null 2>&1 || apt_install mdadm',
          'device=/dev/md0',
          'if ! mdadm --detail "$device" >/dev/null 2>&1; then',
          '  if mdadm --examine "${disks[0]}" >/dev/null 2>&1; then',
          '    mdadm --assemble "$device" "${disks[@]}"',
          '  else',
          '    mdadm --create "$device" --run --level=0 --raid-devices="$DISK_COUNT" "${disks[@]}"',
          '  fi',
          'fi',
          'if ! grep -q "^ARRAY $device " /etc/mdadm/mdadm.conf 2>/dev/null; then',
          '  mdadm --detail --brief "$device" >>/etc/mdadm/mdadm.conf',
          '  update-initramfs -u',
          'fi',
        ]
      : ['device="${disks[0]}"'];
  return [
    '#!/bin/bash',
    `# Batch AI file server setup: ${diskCount} data disk(s) as one ext4 file system at ${fileServerMountPoint},`,
    '# exported over NFS to the private address ranges. Safe to run again.',
    'set -euo pipefail',
    'export DEBIAN_FRONTEND=noninteractive',
    `MOUNT_POINT=${fileServerMountPoint}`,
    `DISK_COUNT=${diskCount}`,
    `EXPORT_LINE='${fileServerExportsLine}'`,
    'apt_install() {',
    '  apt-get -o DPkg::Lock::Timeout=600 update -q',
    '  apt-get -o DPkg::Lock::Timeout=600 install -y -q "$@"',
    '}',
    '',
    '# The data disks by LUN, once all are attached (udev links of the Azure data disk controller).',
    'disks=()',
    'for _ in $(seq 1 60); do',
    "  mapfile -t disks < <(find /dev/disk/azure/scsi1 -maxdepth 1 -name 'lun*' ! -name '*-part*' 2>/dev/null | sort -V)",
    '  [ "${#disks[@]}" -ge "$DISK_COUNT" ] && break',
    '  sleep 5',
    'done',
    'if [ "${#disks[@]}" -lt "$DISK_COUNT" ]; then',
    '  echo "expected $DISK_COUNT data disks in /dev/disk/azure/scsi1, found ${#disks[@]}" >&2',
    '  exit 1',
    'fi',
    'disks=("${disks[@]:0:$DISK_COUNT}")',
    '',
    ...raid,
    '',
    '# Format once: a rerun keeps the data.',
    'if [ -z "$(blkid -o value -s TYPE "$device" || true)" ]; then',
    '  mkfs.ext4 -F -q "$device"',
    '  udevadm settle',
    'fi',
    'uuid=$(blkid -o value -s UUID "$device")',
    'mkdir -p "$MOUNT_POINT"',
    'if ! grep -q "^UUID=$uuid " /etc/fstab; then',
    '  echo "UUID=$uuid $MOUNT_POINT ext4 defaults,nofail 0 2" >>/etc/fstab',
    '  systemctl daemon-reload',
    'fi',
    'mountpoint -q "$MOUNT_POINT" || mount "$MOUNT_POINT"',
    '# Every job user of every node writes here.',
    'chmod 777 "$MOUNT_POINT"',
    '',
    'dpkg -s nfs-kernel-server >/dev/null 2>&1 || apt_install nfs-kernel-server',
    'grep -q "^$MOUNT_POINT " /etc/exports || echo "$EXPORT_LINE" >>/etc/exports',
    'systemctl enable --now nfs-kernel-server',
    'exportfs -ra',
    'echo "file server ready: $device at $MOUNT_POINT, exported over NFS"',
    '',
  ].join('\n');
}

const isNotFound = (error: unknown): boolean => (error as { statusCode?: unknown })?.statusCode === 404;

/** The `ProvisioningState/failed/<code>` status of an instance view, as a failure. */
function failedStatus(statuses: InstanceViewStatus[] | undefined): Failure | undefined {
  const status = statuses?.find((s) => s.code?.toLowerCase().startsWith('provisioningstate/failed'));
  if (!status) return undefined;
  return {
    code: status.code?.split('/')[2] || 'ProvisioningFailed',
    message: status.message ?? status.displayStatus ?? 'Provisioning failed.',
  };
}

export class VmFileServerHosts implements FileServerHosts {
  readonly kind = 'vm';

  constructor(private readonly options: VmFileServerHostsOptions) {}

  /** The names of what is made for a file server: its VM and the VM's network interface. */
  namesOf(key: string): { vm: string; nic: string } {
    const vm = `batchai-fs-${clusterTag(key)}`;
    return { vm, nic: `${vm}-nic` };
  }

  private tagsOf(key: string): Record<string, string> {
    return { 'batchai-fileserver': key.slice(0, 256) };
  }

  private get lro(): { updateIntervalInMs?: number } {
    return this.options.pollIntervalMs === undefined
      ? {}
      : { updateIntervalInMs: this.options.pollIntervalMs };
  }

  async ensure(spec: FileServerHostSpec): Promise<FileServerHostState> {
    const subnetId = spec.subnetId ?? this.options.defaultSubnetId;
    if (!subnetId) {
      return {
        state: 'failed',
        code: 'SubnetRequired',
        message:
          'A file server needs a subnet: give properties.subnet, or set COMPUTE_SUBNET_ID for the deployment.',
      };
    }
    const { resourceGroup } = this.options;
    const names = this.namesOf(spec.key);

    const nic = await this.networkInterface(names.nic);
    if (!nic) {
      return this.start('created the network interface', () =>
        this.options.network.networkInterfaces.beginCreateOrUpdateAndWait(
          resourceGroup,
          names.nic,
          this.networkInterfaceModel(spec.key, subnetId),
          this.lro,
        ),
      );
    }
    if (nic.provisioningState === 'Failed') {
      return {
        state: 'failed',
        code: 'NetworkInterfaceFailed',
        message: `The file server's network interface ${names.nic} failed to provision.`,
      };
    }
    const internalIP = nic.ipConfigurations?.[0]?.privateIPAddress;
    if (nic.provisioningState !== 'Succeeded' || !nic.id || !internalIP) {
      return { state: 'creating', detail: 'waiting for the network interface' };
    }
    const nicId = nic.id;

    const vm = await this.virtualMachine(names.vm);
    if (!vm) {
      // Only the request: the VM takes minutes, the next calls watch it.
      return this.start('creating the VM', () =>
        this.options.compute.virtualMachines
          .createOrUpdate(resourceGroup, names.vm, this.virtualMachineModel(spec, nicId))
          .submitted(),
      );
    }
    switch (vm.provisioningState) {
      case 'Succeeded':
        break;
      case 'Failed':
        return {
          state: 'failed',
          ...(failedStatus(vm.instanceView?.statuses) ?? {
            code: 'VMProvisioningFailed',
            message: `The file server's VM ${names.vm} failed to provision.`,
          }),
        };
      case 'Deleting':
        return { state: 'creating', detail: 'waiting for the previous VM to be deleted' };
      default:
        return { state: 'creating', detail: 'creating the VM' };
    }

    const setup = await this.setupExtension(names.vm);
    if (!setup) {
      return this.start('setting up NFS', () =>
        this.options.compute.virtualMachineExtensions
          .createOrUpdate(
            resourceGroup,
            names.vm,
            fileServerSetupExtensionName,
            this.setupExtensionModel(spec),
          )
          .submitted(),
      );
    }
    switch (setup.provisioningState) {
      case 'Succeeded': {
        const mountSettings: FileServerMountSettings = {
          mountPoint: fileServerMountPoint,
          fileServerInternalIP: internalIP,
        };
        return { state: 'ready', mountSettings };
      }
      case 'Failed':
        return { state: 'failed', code: 'FileServerSetupFailed', message: setupFailureMessage(setup) };
      default:
        return { state: 'creating', detail: 'setting up NFS' };
    }
  }

  async remove(key: string): Promise<boolean> {
    const { resourceGroup } = this.options;
    const names = this.namesOf(key);
    const vm = await this.virtualMachine(names.vm, false);
    if (vm) {
      // Its disks and network interface go with it (deleteOption Delete); the next calls watch it go.
      if (vm.provisioningState !== 'Deleting')
        await this.options.compute.virtualMachines.delete(resourceGroup, names.vm).submitted();
      return false;
    }
    // A network interface left without its VM (the VM was never created, or failed before owning it).
    if (await this.networkInterface(names.nic)) {
      await this.options.network.networkInterfaces.beginDeleteAndWait(resourceGroup, names.nic, this.lro);
    }
    return true;
  }

  /** The network interface model: a dynamic private IP in the subnet, nothing public. */
  networkInterfaceModel(key: string, subnetId: string): NetworkInterface {
    return {
      location: this.options.location,
      tags: this.tagsOf(key),
      ipConfigurations: [
        { name: 'ipconfig', primary: true, privateIPAllocationMethod: 'Dynamic', subnet: { id: subnetId } },
      ],
    };
  }

  /** The VM model (exported for tests and infra reviews); the admin password goes to Resource Manager only. */
  virtualMachineModel(spec: FileServerHostSpec, nicId: string): VirtualMachine {
    const names = this.namesOf(spec.key);
    const disks = spec.dataDisks;
    return {
      location: this.options.location,
      tags: this.tagsOf(spec.key),
      hardwareProfile: { vmSize: spec.vmSize },
      storageProfile: {
        imageReference: {
          publisher: 'Canonical',
          offer: '0001-com-ubuntu-server-jammy',
          // Generation 2, as the newest sizes require, unless the size boots generation 1 only.
          sku: bootsGeneration1Only(spec.vmSize) ? '22_04-lts' : '22_04-lts-gen2',
          version: 'latest',
        },
        osDisk: {
          name: `${names.vm}-os`,
          createOption: 'FromImage',
          caching: 'ReadWrite',
          managedDisk: { storageAccountType: 'Standard_LRS' },
          deleteOption: 'Delete',
        },
        dataDisks: Array.from({ length: disks.diskCount }, (_, lun) => ({
          lun,
          name: `${names.vm}-data-${lun}`,
          createOption: 'Empty',
          diskSizeGB: disks.diskSizeInGB,
          caching: cachingTypes[disks.cachingType],
          managedDisk: { storageAccountType: disks.storageAccountType },
          deleteOption: 'Delete',
        })),
      },
      osProfile: {
        computerName: names.vm,
        adminUsername: spec.adminUserName,
        ...(spec.adminPassword ? { adminPassword: spec.adminPassword } : {}),
        linuxConfiguration: {
          disablePasswordAuthentication: !spec.adminPassword,
          ...(spec.adminSshPublicKey
            ? {
                ssh: {
                  publicKeys: [
                    {
                      path: `/home/${spec.adminUserName}/.ssh/authorized_keys`,
                      keyData: spec.adminSshPublicKey,
                    },
                  ],
                },
              }
            : {}),
        },
      },
      networkProfile: { networkInterfaces: [{ id: nicId, primary: true, deleteOption: 'Delete' }] },
    };
  }

  /** The CustomScript (Linux) extension that runs the setup script; the script travels in protected settings. */
  setupExtensionModel(spec: FileServerHostSpec): VirtualMachineExtension {
    const script = fileServerSetupScript(spec.dataDisks.diskCount);
    return {
      location: this.options.location,
      tags: this.tagsOf(spec.key),
      publisher: 'Microsoft.Azure.Extensions',
      typePropertiesType: 'CustomScript',
      typeHandlerVersion: '2.1',
      autoUpgradeMinorVersion: true,
      protectedSettings: { script: Buffer.from(script, 'utf8').toString('base64') },
    };
  }

  /**
   * Sends one create; a refusal becomes the failed state, a conflict that passes (409 OperationNotAllowed: an
   * operation in progress, a VM being deleted) leaves the server creating for the next pass to ask again, anything
   * else transient is thrown.
   */
  private async start(detail: string, create: () => Promise<unknown>): Promise<FileServerHostState> {
    try {
      await create();
    } catch (error: unknown) {
      if (isTransientConflict(error)) {
        const message = String((error as { message?: unknown }).message ?? '');
        return { state: 'creating', detail: `waiting to ask again (${detail}): ${message}` };
      }
      const refusal = armRefusalOf(error);
      if (refusal) return { state: 'failed', ...refusal };
      throw error;
    }
    return { state: 'creating', detail };
  }

  private async networkInterface(name: string): Promise<NetworkInterface | undefined> {
    try {
      return await this.options.network.networkInterfaces.get(this.options.resourceGroup, name);
    } catch (error: unknown) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  private async virtualMachine(name: string, withInstanceView = true): Promise<VirtualMachine | undefined> {
    try {
      return await this.options.compute.virtualMachines.get(
        this.options.resourceGroup,
        name,
        withInstanceView ? { expand: 'instanceView' } : {},
      );
    } catch (error: unknown) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  private async setupExtension(vmName: string): Promise<VirtualMachineExtension | undefined> {
    try {
      return await this.options.compute.virtualMachineExtensions.get(
        this.options.resourceGroup,
        vmName,
        fileServerSetupExtensionName,
        { expand: 'instanceView' },
      );
    } catch (error: unknown) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }
}

/** What the failed setup reported (CustomScript puts the script's exit and output in its status messages). */
function setupFailureMessage(setup: VirtualMachineExtension): string {
  const view = setup.instanceView;
  const statuses = [...(view?.statuses ?? []), ...(view?.substatuses ?? [])];
  const messages = statuses
    .filter((s) => s.level === 'Error' || s.code?.toLowerCase().startsWith('provisioningstate/failed'))
    .map((s) => s.message?.trim())
    .filter((m): m is string => !!m);
  return messages.length > 0
    ? messages.join('\n')
    : `The file server setup script failed on its VM (extension ${fileServerSetupExtensionName}).`;
}
