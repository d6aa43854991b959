// Local file servers: a directory of this machine stands for the server's NFS export
// (`<DATA_DIR>/fileservers/<tag>/export`). Local nodes that mount the file server link their mount path to it, so
// every local node sees the same files, as NFS clients of one server do. Reported at 127.0.0.1, mount point
// /mnt/data as on the VMs.
import * as fs from 'fs';
import * as path from 'path';
import { clusterTag } from '../../contracts/nodeQueueNames';
import type { FileServerHostSpec, FileServerHostState, FileServerHosts } from '../../ports/fileServerHosts';

export const fileServerMountPoint = '/mnt/data';

export class LocalFileServerHosts implements FileServerHosts {
  readonly kind = 'local';

  constructor(private readonly dataDir: string) {}

  /** The directory that holds everything of a file server. */
  directoryOf(key: string): string {
    return path.join(this.dataDir, 'fileservers', clusterTag(key));
  }

  ensure(spec: FileServerHostSpec): Promise<FileServerHostState> {
    const localExport = path.join(this.directoryOf(spec.key), 'export');
    fs.mkdirSync(localExport, { recursive: true, mode: 0o777 });
    // As the VM's `chmod 777 /mnt/data`: every job's user may write.
    fs.chmodSync(localExport, 0o777);
    return Promise.resolve({
      state: 'ready',
      mountSettings: {
        mountPoint: fileServerMountPoint,
        fileServerInternalIP: '127.0.0.1',
        fileServerPublicIP: '127.0.0.1',
      },
      localExport,
    });
  }

  remove(key: string): Promise<boolean> {
    fs.rmSync(this.directoryOf(key), { recursive: true, force: true });
    return Promise.resolve(true);
  }
}
