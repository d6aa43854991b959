// Every command of the CLI, and how a command line finds its command: the longest run of leading words that names
// one; a wrong word gets the closest command or group suggested.
import { closestMatch } from '../shared/client/closestMatch';
import { clusterCommands } from './commands/clusterCommands';
import { eventSourceCommands } from './commands/eventSourceCommands';
import { experimentCommands } from './commands/experimentCommands';
import { fileServerCommands } from './commands/fileServerCommands';
import { jobCommands } from './commands/jobCommands';
import { providerCommands } from './commands/providerCommands';
import { roleAssignmentCommands } from './commands/roleAssignmentCommands';
import { sweepCommands } from './commands/sweepCommands';
import { workspaceCommands } from './commands/workspaceCommands';
import type { CommandSpec } from './commandSpec';
import { UsageError } from './usageError';

export const COMMANDS: readonly CommandSpec[] = [
  ...workspaceCommands,
  ...experimentCommands,
  ...clusterCommands,
  ...fileServerCommands,
  ...jobCommands,
  ...sweepCommands,
  ...eventSourceCommands,
  ...roleAssignmentCommands,
  ...providerCommands,
];

export type Resolution =
  | { kind: 'command'; command: CommandSpec; rest: string[] }
  /** The words name a group (e.g. `cluster`, `job file`): show its commands. */
  | { kind: 'group'; words: string[]; rest: string[] };

/** Words directly under `prefix` (the groups and commands one level down). */
export function childWords(prefix: readonly string[], commands: readonly CommandSpec[] = COMMANDS): string[] {
  const words = commands
    .filter((c) => c.path.length > prefix.length && prefix.every((w, i) => c.path[i] === w))
    .map((c) => c.path[prefix.length]);
  return [...new Set(words)];
}

export function resolveCommand(
  argv: readonly string[],
  commands: readonly CommandSpec[] = COMMANDS,
): Resolution {
  const words: string[] = [];
  let i = 0;
  while (i < argv.length && !argv[i].startsWith('-')) {
    const next = argv[i];
    const children = childWords(words, commands);
    if (!children.includes(next)) {
      if (children.length === 0) break; // a complete command followed by a stray value: the parser reports it
      const suggestion = closestMatch(next, children);
      const where = words.length ? `'${words.join(' ')}'` : 'batchai';
      throw new UsageError(
        `'${next}' is not in the ${where} command group.${suggestion ? ` Did you mean '${suggestion}'?` : ''} ` +
          `Choose from: ${children.join(', ')}.`,
      );
    }
    words.push(next);
    i++;
  }
  const command = commands.find(
    (c) => c.path.length === words.length && c.path.every((w, j) => w === words[j]),
  );
  if (command) return { kind: 'command', command, rest: argv.slice(i) };
  return { kind: 'group', words, rest: argv.slice(i) };
}
