// A task's preparation (`RunTaskMessage.prepare`): the job's directories and files made before its command runs.
// On the host the agent makes them itself (no `mkdir -p` process per task); a container's shell runs the same
// steps first, since paths outside its mounts exist only inside it.
import * as fs from 'fs';
import type { TaskPreparation } from '../shared/contracts/nodeTask';
import { shellQuote } from '../shared/domain/shellQuote';

/** Makes the directories (with parents) and writes the files; throws with the path that failed. */
export function prepareOnHost(prepare: TaskPreparation): void {
  for (const directory of prepare.directories) {
    try {
      fs.mkdirSync(directory, { recursive: true });
    } catch (error: unknown) {
      throw new Error(`cannot create directory '${directory}': ${(error as Error).message}`);
    }
  }
  for (const file of prepare.files) {
    try {
      fs.writeFileSync(file.path, file.content);
    } catch (error: unknown) {
      throw new Error(`cannot write '${file.path}': ${(error as Error).message}`);
    }
  }
}

/** The same steps as one shell command (fails as a whole when a step fails). */
export function preparationShell(prepare: TaskPreparation): string {
  const steps: string[] = [];
  if (prepare.directories.length > 0) steps.push(`mkdir -p ${prepare.directories.map(shellQuote).join(' ')}`);
  for (const file of prepare.files)
    steps.push(`printf '%s' ${shellQuote(file.content)} > ${shellQuote(file.path)}`);
  return steps.length > 0 ? steps.join(' && ') : 'true';
}
