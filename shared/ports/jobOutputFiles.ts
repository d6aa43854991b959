// The seam to job files: lists a job's output directory with download links (the storage issue implements it
// over Blob Storage / Azure Files; `stdouterr` is the built-in directory of stdout and stderr).
import type { ResourceRecord } from '../domain/resourceRecord';

export interface JobFile {
  name: string;
  fileType: 'file' | 'directory';
  downloadUrl?: string;
  properties?: { lastModified?: string; contentLength?: number };
}

export interface JobOutputFiles {
  list(
    job: ResourceRecord,
    request: {
      outputDirectoryId: string;
      directory: string;
      linkExpiryInMinutes: number;
      maxResults: number;
    },
  ): Promise<JobFile[]>;
}
