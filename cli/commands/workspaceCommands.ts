// `batchai workspace create|show|list|update|delete`.
import { UsageError } from '../usageError';
import type { CommandSpec } from '../commandSpec';
import {
  collectResults,
  maxResultsOption,
  nameOption,
  noWaitOption,
  pageOptions,
  resourceGroupOption,
  yesOption,
} from '../commonOptions';
import { finish, finishDelete } from './longRunning';

const optionalResourceGroup = { ...resourceGroupOption, required: false };

/** az's `--tags a=b c=d` (a bare `a` is an empty value). */
export function parseTags(values: string[]): Record<string, string> | undefined {
  if (values.length === 0) return undefined;
  const tags: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    const key = eq < 0 ? value : value.slice(0, eq);
    if (!key) throw new UsageError(`--tags: '${value}' has no key (expected key=value).`);
    tags[key] = eq < 0 ? '' : value.slice(eq + 1);
  }
  return tags;
}

const tagsOption = {
  name: 'tags',
  type: 'list' as const,
  description: 'Space-separated tags: key[=value] [key[=value] ...].',
};

export const workspaceCommands: CommandSpec[] = [
  {
    path: ['workspace', 'create'],
    summary: 'Create a workspace.',
    options: [
      resourceGroupOption,
      nameOption('workspace'),
      {
        name: 'location',
        short: 'l',
        type: 'string',
        required: true,
        description: 'Location (e.g. eastus).',
      },
      tagsOption,
      noWaitOption,
    ],
    examples: ['batchai workspace create -g rg -n ws -l eastus'],
    async run(context) {
      const { client, options } = context;
      const poller = await client.workspaces.beginCreate(
        options.requiredText('resource-group'),
        options.requiredText('name'),
        { location: options.requiredText('location'), tags: parseTags(options.list('tags')) },
      );
      return { value: await finish(context, poller), view: 'workspace' };
    },
  },
  {
    path: ['workspace', 'update'],
    summary: "Replace a workspace's tags.",
    options: [resourceGroupOption, nameOption('workspace'), { ...tagsOption, required: true }],
    async run({ client, options }) {
      const value = await client.workspaces.update(
        options.requiredText('resource-group'),
        options.requiredText('name'),
        {
          tags: parseTags(options.list('tags')),
        },
      );
      return { value, view: 'workspace' };
    },
  },
  {
    path: ['workspace', 'show'],
    summary: 'Show a workspace.',
    options: [resourceGroupOption, nameOption('workspace')],
    async run({ client, options }) {
      const value = await client.workspaces.get(
        options.requiredText('resource-group'),
        options.requiredText('name'),
      );
      return { value, view: 'workspace' };
    },
  },
  {
    path: ['workspace', 'list'],
    summary: 'List the workspaces of the subscription, or of a resource group with -g.',
    options: [optionalResourceGroup, maxResultsOption],
    async run({ client, options }) {
      const resourceGroup = options.text('resource-group');
      const paging = pageOptions(options);
      const list = resourceGroup
        ? client.workspaces.listByResourceGroup(resourceGroup, paging)
        : client.workspaces.list(paging);
      return { value: await collectResults(list, options), view: 'workspace' };
    },
  },
  {
    path: ['workspace', 'delete'],
    summary: 'Delete a workspace with its clusters, file servers, experiments and jobs.',
    options: [resourceGroupOption, nameOption('workspace'), yesOption, noWaitOption],
    async run(context) {
      const { client, options } = context;
      await finishDelete(
        context,
        await client.workspaces.beginDelete(
          options.requiredText('resource-group'),
          options.requiredText('name'),
        ),
        'workspace',
      );
      return {};
    },
  },
];
