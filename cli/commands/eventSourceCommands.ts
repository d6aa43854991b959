// `batchai scoring-rule create|show|list|delete` and `batchai job-schedule create|show|list|delete`: the
// workspace's event-driven job sources (an extension; see docs/event-sources.md).
import type { CommandSpec } from '../commandSpec';
import {
  collectResults,
  maxResultsOption,
  pageOptions,
  nameOption,
  resourceGroupOption,
  workspaceOption,
  yesOption,
} from '../commonOptions';
import type { OutputView } from '../outputFormatter';
import { readResourceBody } from '../resourceBodyFile';
import { storageAccountOptions } from '../storageMounts';

interface EventSourceKind {
  word: 'scoring-rule' | 'job-schedule';
  group: 'scoringRules' | 'jobSchedules';
  what: string;
  view: OutputView;
  example: string;
}

function definitionCommands(kind: EventSourceKind): CommandSpec[] {
  const name = nameOption(kind.what);
  const scope = [resourceGroupOption, workspaceOption];
  const where = (options: { requiredText(n: string): string }): [string, string] => [
    options.requiredText('resource-group'),
    options.requiredText('workspace'),
  ];
  return [
    {
      path: [kind.word, 'create'],
      summary: `Create or replace a ${kind.what}.`,
      options: [
        ...scope,
        name,
        {
          name: 'config-file',
          short: 'f',
          type: 'string',
          required: true,
          description: `JSON file with the ${kind.what}: { "properties": { ... } }.`,
        },
        ...storageAccountOptions,
      ],
      examples: [kind.example],
      async run({ client, options, io }) {
        const body = readResourceBody(options, io.cwd, kind.what);
        const operations = client[kind.group] as {
          createOrUpdate(rg: string, ws: string, n: string, p: unknown): Promise<unknown>;
        };
        const value = await operations.createOrUpdate(...where(options), options.requiredText('name'), body);
        return { value, view: kind.view };
      },
    },
    {
      path: [kind.word, 'show'],
      summary: `Show a ${kind.what}.`,
      options: [...scope, name],
      async run({ client, options }) {
        const value = await client[kind.group].get(...where(options), options.requiredText('name'));
        return { value, view: kind.view };
      },
    },
    {
      path: [kind.word, 'list'],
      summary: `List the ${kind.what}s of a workspace.`,
      options: [...scope, maxResultsOption],
      async run({ client, options }) {
        const list = client[kind.group].list(...where(options), pageOptions(options));
        return { value: await collectResults(list, options), view: kind.view };
      },
    },
    {
      path: [kind.word, 'delete'],
      summary: `Delete a ${kind.what}.`,
      options: [...scope, name, yesOption],
      async run({ client, options, io }) {
        const deleted = await client[kind.group].delete(...where(options), options.requiredText('name'));
        if (!deleted) io.stderr(`There was no such ${kind.what}.\n`);
        return {};
      },
    },
  ];
}

export const eventSourceCommands: CommandSpec[] = [
  ...definitionCommands({
    word: 'scoring-rule',
    group: 'scoringRules',
    what: 'scoring rule',
    view: 'scoringRule',
    example: 'batchai scoring-rule create -g rg -w ws -n score-csv -f rule.json',
  }),
  ...definitionCommands({
    word: 'job-schedule',
    group: 'jobSchedules',
    what: 'job schedule',
    view: 'jobSchedule',
    example: 'batchai job-schedule create -g rg -w ws -n nightly -f schedule.json',
  }),
];
