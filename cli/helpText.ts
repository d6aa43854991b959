// The `-h` texts: the groups, a group's commands, a command's flags and examples, in az's layout.
import type { OptionSpec } from './argumentParser';
import { childWords, COMMANDS } from './commandTable';
import type { CommandSpec } from './commandSpec';
import { globalOptions } from './globalOptions';

const GROUP_SUMMARIES: Record<string, string> = {
  workspace: 'Commands to manage workspaces.',
  experiment: 'Commands to manage experiments.',
  cluster: 'Commands to manage clusters.',
  'cluster node': "Commands to work with a cluster's nodes.",
  'file-server': 'Commands to manage file servers.',
  job: 'Commands to manage jobs.',
  'job file': "Commands to list and stream a job's output files.",
  'job node': "Commands to work with a job's nodes.",
  sweep: 'Commands to run and follow parameter sweeps (an extension of this service).',
  'scoring-rule': 'Commands to manage scoring rules: jobs for blobs created in a container (an extension).',
  'job-schedule': 'Commands to manage job schedules: jobs created on an NCRONTAB schedule (an extension).',
  'role-assignment': 'Commands to manage who may read, change or own a workspace (an extension).',
  operation: "The provider's operations.",
};

export function groupHelp(words: readonly string[]): string {
  const name = ['batchai', ...words].join(' ');
  const lines = [
    `Group`,
    `    ${name}${GROUP_SUMMARIES[words.join(' ')] ? `: ${GROUP_SUMMARIES[words.join(' ')]}` : ''}`,
    '',
  ];
  const children = childWords(words);
  const subgroups = children.filter(
    (w) => !COMMANDS.some((c) => c.path.join(' ') === [...words, w].join(' ')),
  );
  const commands = children.filter((w) => !subgroups.includes(w));
  const width = Math.max(...children.map((w) => w.length));
  if (subgroups.length) {
    lines.push('Subgroups:');
    for (const w of subgroups)
      lines.push(`    ${w.padEnd(width)} : ${GROUP_SUMMARIES[[...words, w].join(' ')] ?? ''}`);
    lines.push('');
  }
  if (commands.length) {
    lines.push('Commands:');
    for (const w of commands) {
      const command = COMMANDS.find((c) => c.path.join(' ') === [...words, w].join(' '));
      lines.push(`    ${w.padEnd(width)} : ${command?.summary ?? ''}`);
    }
    lines.push('');
  }
  lines.push(`Run '${name} <command> -h' for a command's arguments.`);
  return `${lines.join('\n')}\n`;
}

function optionLines(options: readonly OptionSpec[]): string[] {
  const label = (o: OptionSpec): string =>
    `--${o.name}${o.short ? ` -${o.short}` : ''}${o.required ? ' [Required]' : ''}`;
  const width = Math.max(...options.map((o) => label(o).length));
  return options.map((o) => {
    const extra = [
      o.choices ? `Allowed values: ${o.choices.join(', ')}.` : '',
      o.default !== undefined && !o.env ? `Default: ${String(o.default)}.` : '',
    ]
      .filter(Boolean)
      .join(' ');
    return `    ${label(o).padEnd(width)} : ${o.description}${extra ? ` ${extra}` : ''}`;
  });
}

export function commandHelp(command: CommandSpec): string {
  const lines = ['Command', `    batchai ${command.path.join(' ')}: ${command.summary}`, ''];
  if (command.options.length) lines.push('Arguments', ...optionLines(command.options), '');
  lines.push('Global Arguments', ...optionLines(globalOptions), '');
  if (command.examples?.length) lines.push('Examples', ...command.examples.map((e) => `    ${e}`), '');
  return `${lines.join('\n')}\n`;
}

export function usageHint(words: readonly string[]): string {
  return `Try 'batchai ${[...words, ''].join(' ')}-h' for help.`;
}
