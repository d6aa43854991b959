// A VM's job temp directories ($AZ_BATCHAI_JOB_TEMP_DIR/<job GUID>) are wiped before the node runs another job, as
// Batch AI did: they are on the node's own disk, and a long-lived cluster would otherwise fill it job after job.
// A directory with a mount point under it (a job mount that could not be unmounted) is left alone: removing it
// would remove the files of the storage mounted there.
import * as fs from 'fs';
import * as path from 'path';
import { removeTree } from '../shared/adapters/removeTree';

/** Where a wiped directory goes first (a rename, at once), before it is removed in the background. */
const wipedPrefix = '.wiped-';

/** The mount points of this machine (`/proc/self/mountinfo`, field 5, its octal escapes decoded). */
export function readMountPoints(mountInfo = '/proc/self/mountinfo'): string[] {
  let text: string;
  try {
    text = fs.readFileSync(mountInfo, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((field): field is string => field !== undefined && field !== '')
    .map((field) =>
      field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))),
    );
}

function holdsMountPoint(directory: string, mountPoints: readonly string[]): boolean {
  const prefix = directory.endsWith('/') ? directory : `${directory}/`;
  return mountPoints.some((point) => point === directory || point.startsWith(prefix));
}

export interface JobTempWipe {
  /** The directories renamed aside, being removed. */
  wiped: string[];
  /** The directories kept because a mount point is under them. */
  keptMounted: string[];
  /** Resolves when the removals have ended (failures are logged, not thrown). */
  done: Promise<void>;
}

/**
 * Renames every entry of `root` but `keep` (job GUIDs whose tasks run here) aside at once, so a task of one of
 * those jobs starting meanwhile makes its directories anew instead of racing the removal, and removes them in the
 * background. Leftovers of an earlier wipe (an agent that stopped meanwhile) go too.
 */
export function wipeJobTemps(
  root: string,
  keep: ReadonlySet<string>,
  log: (message: string) => void,
  mountPoints: readonly string[] = readMountPoints(),
): JobTempWipe {
  let entries: string[];
  try {
    entries = fs.readdirSync(root);
  } catch {
    return { wiped: [], keptMounted: [], done: Promise.resolve() };
  }
  const wiped: string[] = [];
  const keptMounted: string[] = [];
  for (const entry of entries) {
    if (keep.has(entry)) continue;
    const directory = path.join(root, entry);
    if (holdsMountPoint(directory, mountPoints)) {
      keptMounted.push(directory);
      continue;
    }
    if (entry.startsWith(wipedPrefix)) {
      wiped.push(directory);
      continue;
    }
    const aside = path.join(root, `${wipedPrefix}${entry}-${process.pid}-${Date.now()}`);
    try {
      fs.renameSync(directory, aside);
      wiped.push(aside);
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        log(`the job temp directory ${directory} could not be wiped: ${(error as Error).message}`);
    }
  }
  for (const directory of keptMounted)
    log(`the job temp directory ${directory} is kept: a volume is still mounted under it`);
  const done = Promise.all(
    wiped.map((directory) =>
      removeTree(directory).catch((error: unknown) => {
        log(`the job temp directory ${directory} could not be removed: ${(error as Error).message}`);
      }),
    ),
  ).then(() => undefined);
  return { wiped, keptMounted, done };
}
