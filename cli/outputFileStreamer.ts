// `job file stream`: prints a job's output file as it grows (like `tail -f`) until the job ends. Each round lists
// the directory again (a fresh SAS link), reads the bytes past what was printed with a Range request, then checks
// whether the job has finished; a file the job has not created yet is waited for.
import { BatchAiRestError } from '../shared/client/batchAiRestError';
import type { Job, OutputFile } from '../shared/client/batchAiTypes';
import type { FetchFunction } from '../shared/client/restPipeline';

export interface StreamSource {
  /** The files of the directory, with download links. */
  listFiles(): Promise<OutputFile[]>;
  getJob(): Promise<Job>;
}

export interface StreamOptions {
  fileName: string;
  /** Directory inside the output directory the file is in (`.` for its root). */
  directory: string;
  intervalMs: number;
  fetch: FetchFunction;
  sleep(ms: number): Promise<void>;
  write(text: string): void;
  /** Where notes to the user go (stderr): e.g. that the file is not there while other files are. */
  note?(text: string): void;
}

export interface StreamOutcome {
  bytes: number;
  found: boolean;
  executionState: string | undefined;
  /** When the file never appeared: the files the directory had (last listing), to name the right one. */
  otherFiles: string[];
}

const FINISHED = new Set(['succeeded', 'failed']);

/** The listing entry for `fileName`: the server may give the bare name or the path inside the output directory. */
export function findFile(files: OutputFile[], fileName: string, directory: string): OutputFile | undefined {
  const dir = directory.replace(/^\.\/?|\/+$/g, '');
  const wanted = new Set([fileName, dir ? `${dir}/${fileName}` : fileName]);
  return files.find((f) => f.fileType !== 'directory' && f.name !== undefined && wanted.has(f.name));
}

export async function streamOutputFile(source: StreamSource, options: StreamOptions): Promise<StreamOutcome> {
  const decoder = new TextDecoder();
  let offset = 0;
  let found = false;
  let noted = false;
  let otherFiles: string[] = [];
  for (;;) {
    // Read the state before the bytes: once it says finished, the read that follows has seen everything.
    const state = (await source.getJob()).properties?.executionState;
    const files = await source.listFiles();
    const file = findFile(files, options.fileName, options.directory);
    if (!found && !file) {
      otherFiles = files.filter((f) => f.fileType !== 'directory' && f.name).map((f) => f.name as string);
      // Running and writing other files but not this one: most likely the wrong name (e.g. stdout.txt of a job
      // whose toolkit writes stdout-wk-0.txt). Said once; the job may still create it, so keep waiting.
      if (!noted && state === 'running' && otherFiles.length > 0 && options.note) {
        noted = true;
        options.note(
          `Waiting for '${options.fileName}': the job is running and the directory has ${otherFiles.join(', ')} but not it.\n`,
        );
      }
    }
    if (file?.downloadUrl) {
      found = true;
      const chunk = await readFrom(file.downloadUrl, offset, options.fetch);
      if (chunk.length > 0) {
        offset += chunk.length;
        options.write(decoder.decode(chunk, { stream: true }));
      }
    }
    if (state !== undefined && FINISHED.has(state)) {
      const rest = decoder.decode();
      if (rest) options.write(rest);
      return { bytes: offset, found, executionState: state, otherFiles: found ? [] : otherFiles };
    }
    await options.sleep(options.intervalMs);
  }
}

/** The bytes from `offset` on: 206 is the range, 416 means nothing new, a server ignoring Range answers 200. */
async function readFrom(url: string, offset: number, fetchFn: FetchFunction): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetchFn(url, { headers: offset > 0 ? { range: `bytes=${offset}-` } : {} });
  } catch (error: unknown) {
    throw new BatchAiRestError({
      code: 'DownloadFailed',
      message: `Cannot download ${new URL(url).origin}${new URL(url).pathname}: ${(error as Error).message}`,
    });
  }
  if (response.status === 416) {
    await response.arrayBuffer();
    return new Uint8Array(0);
  }
  if (response.status === 404) {
    // The link was listed but the blob is not there yet (or was just replaced): try again next round.
    await response.arrayBuffer();
    return new Uint8Array(0);
  }
  if (response.status !== 200 && response.status !== 206) {
    const text = await response.text();
    throw BatchAiRestError.fromResponse(
      response.status,
      text,
      response.headers.get('x-ms-request-id') ?? undefined,
    );
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  return response.status === 206 ? bytes : bytes.subarray(Math.min(offset, bytes.length));
}
