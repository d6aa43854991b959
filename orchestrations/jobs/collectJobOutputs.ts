// Local nodes only (part of CompleteJobAttempt): copies an attempt's output directories from the directory standing for their mount into the
// job-files container, where listOutputFiles finds them (on VMs the outputs live on the real mounted storage and
// are not copied). Idempotent: a file uploaded twice is the same blob. Once the job has ended, its temp directory,
// which its cluster's local nodes share, is removed (a VM's agent wipes its own disk's: agent/jobTempCleanup.ts).
import * as fs from 'fs';
import * as path from 'path';
import { jobFilesContainer } from '../../shared/config/resourceNames';
import { removeTree } from '../../shared/adapters/removeTree';
import { jobDirectoryBlobFolder } from '../../shared/adapters/storage/jobFileLocation';
import { isApiError } from '../../shared/domain/errors';
import { jobDirectories } from '../../shared/domain/jobLayout/jobOutputLayout';
import { jobNodePaths, jobPathVariables } from '../../shared/domain/jobLayout/nodeFileSystem';
import type { JsonObject } from '../../shared/domain/specValidator';
import type { CollectJobOutputsInput } from './jobLifecycleContract';
import { clusterRefOfKey } from './jobRecords';
import type { ResourceRecord } from '../../shared/domain/resourceRecord';
import { getJobServices } from './jobServices';
import { getTelemetry } from '../../shared/telemetry/telemetryFactory';

/** A file to copy: where it is read, and its name in the output directory ('/'-separated). */
export interface OutputFile {
  path: string;
  name: string;
}

/** What the walk leaves out, and why (said in a log line: the job's listing simply does not show it). */
export interface SkippedOutput {
  name: string;
  reason: string;
}

/**
 * The files under an output directory, as its listing will show them. Symbolic links are followed when they resolve
 * inside the directory (`latest -> checkpoint-100` is copied under both names, as a reader of the directory sees it);
 * one that points outside it, dangles, or leads back into a directory it is in (a loop) is skipped. A name holding a
 * backslash is skipped too: a blob name does not keep it (the Storage SDK and Azurite take it for `/`), so `a\b.txt` would become
 * a file `b.txt` in a directory `a` that does not exist, or overwrite the real `a/b.txt`. Empty directories have no
 * blob and do not appear (listOutputFiles derives directories from blob names).
 */
export function outputFilesUnder(root: string): { files: OutputFile[]; skipped: SkippedOutput[] } {
  const files: OutputFile[] = [];
  const skipped: SkippedOutput[] = [];
  let realRoot: string;
  try {
    realRoot = fs.realpathSync(root);
  } catch {
    return { files, skipped }; // no output directory: nothing was written
  }
  const inside = (real: string): boolean => real === realRoot || real.startsWith(realRoot + path.sep);
  /** `dir` as the walk reached it, `realDir` where it is (links resolved), `ancestors` the real paths above. */
  const walk = (dir: string, realDir: string, prefix: string, ancestors: ReadonlySet<string>): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const name = `${prefix}${entry.name}`;
      if (entry.name.includes('\\')) {
        skipped.push({ name, reason: 'its name holds a backslash, which a blob name cannot keep' });
        continue;
      }
      const full = path.join(dir, entry.name);
      if (entry.isFile()) {
        files.push({ path: full, name });
        continue;
      }
      let real = path.join(realDir, entry.name);
      let directory = entry.isDirectory();
      if (entry.isSymbolicLink()) {
        let stat: fs.Stats;
        try {
          real = fs.realpathSync(full);
          stat = fs.statSync(real);
        } catch {
          skipped.push({ name, reason: 'a symbolic link to nothing' });
          continue;
        }
        if (!inside(real)) {
          skipped.push({ name, reason: 'a symbolic link to outside the output directory' });
          continue;
        }
        if (stat.isFile()) {
          files.push({ path: real, name });
          continue;
        }
        directory = stat.isDirectory();
        if (directory && ancestors.has(real)) {
          skipped.push({ name, reason: 'a symbolic link to a directory it is in (a loop)' });
          continue;
        }
      }
      // Sockets, pipes and devices are not outputs.
      if (directory) walk(full, real, `${name}/`, new Set([...ancestors, real]));
    }
  };
  walk(root, realRoot, '', new Set([realRoot]));
  return { files, skipped };
}

/** Where collection says what it left out: a warning trace of the process's telemetry (the host's console locally). */
function warnSkipped(message: string, properties: Record<string, string>): void {
  getTelemetry().trace(message, 'warning', properties);
}

/**
 * Returns how many files were copied. `job`: the job's record as the caller read it; `warn`: where a file left out
 * is said (one line per output directory).
 */
export async function collectJobOutputs(
  input: CollectJobOutputsInput,
  job: ResourceRecord | undefined,
  warn: (message: string, properties: Record<string, string>) => void = warnSkipped,
): Promise<number> {
  const services = getJobServices();
  const fileSystem = services.nodeFileSystem(input.lifecycle.clusterKey);
  if (!fileSystem) return 0;
  if (!job?.job || job.job.uuid !== input.lifecycle.jobUuid) return 0;
  if (!Array.isArray(job.spec.outputDirectories) || job.spec.outputDirectories.length === 0) return 0;
  const cluster = await services.store.get(clusterRefOfKey(input.lifecycle.clusterKey));
  const clusterMountVolumes = (cluster?.record.spec.nodeSetup as JsonObject | undefined)?.mountVolumes as
    JsonObject | undefined;
  const paths = jobNodePaths(fileSystem, job.job.uuid);
  let directories;
  try {
    const segment = String(job.status.jobOutputDirectoryPathSegment);
    directories = jobDirectories(job.spec, segment, input.attempt, jobPathVariables(paths));
  } catch (error: unknown) {
    if (isApiError(error)) return 0; // settings the launch refused already: the job fails with that reason
    throw error;
  }
  const container = services.blobs.getContainerClient(jobFilesContainer);
  let copied = 0;
  for (const [id, directory] of Object.entries(directories.outputs)) {
    const folder = jobDirectoryBlobFolder(job, id, input.attempt, clusterMountVolumes);
    const { files, skipped } = outputFilesUnder(directory);
    for (const file of files) {
      await container.getBlockBlobClient(`${folder}/${file.name}`).uploadFile(file.path);
      copied++;
    }
    if (skipped.length > 0) {
      const shown = skipped.slice(0, 10).map((s) => `'${s.name}' (${s.reason})`);
      if (skipped.length > shown.length) shown.push(`and ${skipped.length - shown.length} more`);
      warn(
        `Output directory ${id} of job ${job.armId} (attempt ${input.attempt}): ${skipped.length} not copied, so ` +
          `not listed: ${shown.join(', ')}`,
        { jobId: job.armId, outputDirectoryId: id, attempt: String(input.attempt) },
      );
    }
  }
  return copied;
}

/**
 * Removes an ended job's temp directory ($AZ_BATCHAI_JOB_TEMP, by job GUID) from its local cluster's shared
 * directory, after its outputs were collected. Nothing on VMs. Idempotent.
 */
export async function removeLocalJobTemp(clusterKey: string, jobUuid: string): Promise<void> {
  const fileSystem = getJobServices().nodeFileSystem(clusterKey);
  if (!fileSystem || !/^[A-Za-z0-9-]+$/.test(jobUuid)) return;
  await removeTree(jobNodePaths(fileSystem, jobUuid).jobTemp);
}
