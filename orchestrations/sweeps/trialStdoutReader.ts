// Reads a trial's stdout blob incrementally (a Range from the last offset, complete lines only while the job runs;
// a line longer than one read is dropped) and returns the objective's new reports. The blob is the master process's stdout of the job's current attempt,
// where the node agent streams it (shared/adapters/storage/jobFileLocation.ts computes the same folder).
import type { ContainerClient } from '@azure/storage-blob';
import { jobDirectoryBlobFolder } from '../../shared/adapters/storage/jobFileLocation';
import type { ResourceRecord } from '../../shared/domain/resourceRecord';
import type { JsonObject } from '../../shared/domain/specValidator';
import { isLineEnd, parseMetricText, takeLines } from '../../shared/domain/sweeps/metricLine';
import { numberReports } from '../../shared/domain/sweeps/objectiveSeries';
import type { ObservedTrial } from './sweepContract';

/**
 * At most this much of one trial's stdout is read per round (a chatty trial catches up over several rounds; an
 * ended one is read on until the end before it counts as ended). A line longer than this is dropped, so every full
 * read moves the offset on.
 */
export const maxBytesPerRead = 4 * 1024 * 1024;
/** The master's stdout file, by toolkit: custom/Python toolkits, per-rank toolkits, TensorFlow workers. */
const stdoutPreference = ['stdout.txt', 'stdout-0.txt', 'stdout-wk-0.txt'];

export interface TrialStdoutProgress {
  attempt: number;
  stdoutBlob?: string;
  offset: number;
  points: { step: number; value: number }[];
  /** The read reached the end of what the blob holds (or there is none): nothing is left to read for now. */
  atEnd: boolean;
}

function statusCodeOf(error: unknown): number | undefined {
  return error && typeof error === 'object' && 'statusCode' in error
    ? Number((error as { statusCode: unknown }).statusCode)
    : undefined;
}

async function bufferOf(stream: NodeJS.ReadableStream | undefined): Promise<Buffer> {
  if (!stream) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(typeof part === 'string' ? Buffer.from(part) : part);
  return Buffer.concat(parts);
}

async function findStdoutBlob(files: ContainerClient, folder: string): Promise<string | undefined> {
  const names: string[] = [];
  for await (const blob of files.listBlobsFlat({ prefix: `${folder}/stdout` })) {
    const file = blob.name.slice(folder.length + 1);
    if (!file.includes('/') && !file.startsWith('stdout-job_prep')) names.push(file);
  }
  const chosen = stdoutPreference.find((name) => names.includes(name)) ?? names.sort()[0];
  return chosen === undefined ? undefined : `${folder}/${chosen}`;
}

/**
 * New objective reports of `job` since `seen`. `final`: the job has ended, so a last line without a newline counts.
 * A new attempt (a requeued trial) is read from its own stdout from the start; its reports continue the series.
 */
export async function readTrialStdout(
  files: ContainerClient,
  job: ResourceRecord,
  clusterMountVolumes: JsonObject | undefined,
  seen: ObservedTrial,
  metric: string,
  final: boolean,
): Promise<TrialStdoutProgress> {
  const attempt = job.job?.attempts.length ?? 0;
  if (attempt === 0) return { attempt, offset: 0, points: [], atEnd: true };
  let { stdoutBlob, offset } = seen;
  if (attempt !== seen.attempt || stdoutBlob === undefined) {
    const folder = jobDirectoryBlobFolder(job, 'stdouterr', attempt, clusterMountVolumes);
    stdoutBlob = await findStdoutBlob(files, folder);
    offset = 0;
    if (stdoutBlob === undefined) return { attempt, offset: 0, points: [], atEnd: true };
  }
  // From the byte before the offset (when there is one): whether the offset starts a line or falls inside a line
  // too long for one read, which is being dropped.
  const lookBack = offset > 0 ? 1 : 0;
  let read: Buffer;
  try {
    // download (not downloadToBuffer): a range past the end of a growing blob returns what exists.
    const response = await files
      .getBlobClient(stdoutBlob)
      .download(offset - lookBack, maxBytesPerRead + lookBack);
    read = await bufferOf(response.readableStreamBody);
  } catch (error: unknown) {
    const status = statusCodeOf(error);
    // 416: nothing beyond the offset yet; 404: the blob was not created yet (or was removed).
    if (status === 416 || status === 404) return { attempt, stdoutBlob, offset, points: [], atEnd: true };
    throw error;
  }
  const midLine = lookBack === 1 && read.length > 0 && !isLineEnd(read[0]);
  const chunk = read.subarray(Math.min(lookBack, read.length));
  const full = chunk.length >= maxBytesPerRead;
  const { skipped, length } = takeLines(chunk, midLine, full, final);
  const reports = parseMetricText(chunk.subarray(skipped, skipped + length).toString('utf8'));
  const next = offset + skipped + length;
  return {
    attempt,
    stdoutBlob,
    offset: next,
    points: numberReports(reports, metric, seen.reports),
    // An ended job's log whose reading no longer moves on is at its end, whatever the read returned.
    atEnd: !full || (final && next === offset),
  };
}
