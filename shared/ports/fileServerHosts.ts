// The seam to whatever hosts a Batch AI file server (an NFS server with data disks): a VM with its disks in RAID 0
// exporting them over NFS on Azure, a directory of this machine for local nodes. The file server monitor
// (orchestrations/fileServers) calls it until the server is ready, failed, or gone.

/** What a file server is made of: its stored properties, the admin password opened. */
export interface FileServerHostSpec {
  /** The file server's lower-cased key (resourceId keyOf): names everything made for it. */
  key: string;
  vmSize: string;
  dataDisks: {
    diskCount: number;
    diskSizeInGB: number;
    storageAccountType: string;
    cachingType: 'none' | 'readonly' | 'readwrite';
  };
  adminUserName: string;
  adminSshPublicKey?: string;
  /** Opened from the record's sealed secrets; goes to Resource Manager only. */
  adminPassword?: string;
  /** ARM id of the subnet (the file server's own, else the deployment's default). */
  subnetId?: string;
}

/** Batch AI's read-only `mountSettings` of a file server. */
export interface FileServerMountSettings {
  /** Where the data disks are mounted on the server, and what it exports. */
  mountPoint: string;
  fileServerInternalIP: string;
  fileServerPublicIP?: string;
}

export type FileServerHostState =
  /** Still being made; `detail` says which step, for logs. */
  | { state: 'creating'; detail: string }
  | {
      state: 'ready';
      mountSettings: FileServerMountSettings;
      /** Local hosts: the directory of this machine that stands for the export (local nodes link to it). */
      localExport?: string;
    }
  /** The platform refused it (quota, size, subnet): recorded on the file server, not retried. */
  | { state: 'failed'; code: string; message: string };

export interface FileServerHosts {
  readonly kind: 'local' | 'vm';
  /** Creates what is missing and reports how far the server is (idempotent: called until ready or failed). */
  ensure(spec: FileServerHostSpec): Promise<FileServerHostState>;
  /** Starts removing everything made for the server (idempotent); true once nothing of it remains. */
  remove(key: string): Promise<boolean>;
}
