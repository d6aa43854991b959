// The seam to job files: lists a job's output directory with download links (the storage issue implements it
// over Blob Storage / Azure Files; `stdouterr` is the built-in directory of stdout and stderr).
import type { ResourceRecord } from '../domain/resourceRecord';

export interface JobFile {
  name: string;
  fileType: 'file' | 'directory';
  downloadUrl?: string;
  properties?: { lastModified?: string; contentLength?: number };
}

/** One page of a directory: at most `maxResults` entries, and where the next page starts when there is one. */
export interface JobFilesPage {
  files: JobFile[];
  /** The storage service's continuation marker (opaque); absent on the last page. */
  continuationToken?: string;
}

export interface JobFilesRequest {
  outputDirectoryId: string;
  directory: string;
  linkExpiryInMinutes: number;
  maxResults: number;
  /** From the previous page; absent for the first. */
  continuationToken?: string;
}

export interface JobOutputFiles {
  list(job: ResourceRecord, request: JobFilesRequest): Promise<JobFilesPage>;
}
