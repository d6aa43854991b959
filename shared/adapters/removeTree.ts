// Removes a directory tree. Most trees removed on the job path are a few empty directories (a job's temp
// directory, a task's working directory): those go synchronously, a handful of system calls, where
// `fs.promises.rm` costs a thread-pool round trip and a promise per call (about 5 % of the Functions host's CPU on
// the 500-job bench). A larger tree, or one that cannot be read, is left to `fs.promises.rm`, which does not block
// the event loop however many files a job wrote.
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
 * Removes the tree synchronously if it has at most `syncEntryBudget` entries and every step succeeds; true when it
 * is gone. False leaves the rest (all of it when the tree was too large: nothing is removed before it is counted).
 */
function removeSmallTreeSync(directory: string): boolean {
  const files: string[] = [];
  /** Directories, each after its parent: removed in reverse. */
  const directories: string[] = [];
  try {
    const pending = [directory];
    while (pending.length > 0) {
      const current = pending.pop()!;
      directories.push(current);
      for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
        const entryPath = path.join(current, entry.name);
        if (entry.isDirectory()) pending.push(entryPath);
        else files.push(entryPath);
        if (files.length + directories.length + pending.length > syncEntryBudget) return false;
      }
    }
    for (const file of files) fs.unlinkSync(file);
    for (let i = directories.length - 1; i >= 0; i--) fs.rmdirSync(directories[i]);
    return true;
  } catch (error: unknown) {
    // Already gone: done. Anything else (a race with a writer, a permission): the asynchronous removal decides.
    return (error as NodeJS.ErrnoException).code === 'ENOENT' && !fs.existsSync(directory);
  }
}
