// Removes a directory tree. Most trees removed on the job path are a few empty directories (a job's temp
// directory, a task's working directory): those go synchronously, a handful of system calls, where
// `fs.promises.rm` costs a thread-pool round trip and a promise per call (about 5 % of the Functions host's busy
// time in a CPU profile of the 500-job bench). A larger tree, one that cannot be read, or a path that is not a directory (a link to one is
// removed, never what it points at) is left to `fs.promises.rm`, which does not block the event loop however many
// files a job wrote.
import * as fs from 'fs';
import * as path from 'path';

/** Entries (files and directories, the root included) beyond which a tree is removed asynchronously. */
const syncEntryBudget = 16;

/** Removes `directory` and everything under it; nothing there is not an error (as `rm -rf`). */
export async function removeTree(directory: string): Promise<void> {
  if (removeSmallTreeSync(directory)) return;
  await fs.promises.rm(directory, { recursive: true, force: true });
}

/**
 * Removes the tree synchronously if it is a directory of at most `syncEntryBudget` entries and every step
 * succeeds; true when it is gone. False leaves the rest (all of it when the tree was too large or not a directory:
 * nothing is removed before it is counted).
 */
function removeSmallTreeSync(directory: string): boolean {
  const files: string[] = [];
  /** Directories, each after its parent: removed in reverse. */
  const directories: string[] = [];
  try {
    if (!fs.lstatSync(directory).isDirectory()) return false;
    const pending = [directory];
    while (pending.length > 0) {
      const current = pending.pop()!;
      directories.push(current);
      // Read entry by entry: a directory of a million files is given up after the budget, not read whole.
      const reader = fs.opendirSync(current);
      try {
        for (let entry = reader.readSync(); entry !== null; entry = reader.readSync()) {
          const entryPath = path.join(current, entry.name);
          if (entry.isDirectory()) pending.push(entryPath);
          else files.push(entryPath);
          if (files.length + directories.length + pending.length > syncEntryBudget) return false;
        }
      } finally {
        reader.closeSync();
      }
    }
    for (const file of files) fs.unlinkSync(file);
    for (let i = directories.length - 1; i >= 0; i--) fs.rmdirSync(directories[i]);
    return true;
  } catch (error: unknown) {
    // Nothing there: done. Anything else (a race with a writer, a permission): the asynchronous removal decides.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return false;
    try {
      fs.lstatSync(directory);
      return false;
    } catch {
      return true;
    }
  }
}
