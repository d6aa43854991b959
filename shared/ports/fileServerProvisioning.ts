// The seam between the resource API and whoever provisions file servers: the API records a file server (or marks
// it deleting) and says so here; the file server monitor then makes its host match the record, asynchronously.
import type { ResourceRecord } from '../domain/resourceRecord';

export interface FileServerProvisioning {
  /** The file server was created or is being deleted: bring its host in line with the record. Idempotent. */
  fileServerChanged(fileServer: ResourceRecord): Promise<void>;
}
