// `batchai experiment create|show|list|delete`.
import type { CommandSpec } from '../commandSpec';
import {
  maxResultsOption,
  nameOption,
  noWaitOption,
  resourceGroupOption,
  workspaceOption,
  yesOption,
} from '../commonOptions';
import { finish } from './longRunning';

const experimentName = nameOption('experiment');

export const experimentCommands: CommandSpec[] = [
  {
    path: ['experiment', 'create'],
    summary: 'Create an experiment.',
    options: [resourceGroupOption, workspaceOption, experimentName, noWaitOption],
    examples: ['batchai experiment create -g rg -w ws -n exp'],
    async run(context) {
      const { client, options } = context;
      const poller = await client.experiments.beginCreate(
        options.requiredText('resource-group'),
        options.requiredText('workspace'),
        options.requiredText('name'),
      );
      return { value: await finish(context, poller), view: 'experiment' };
    },
  },
  {
    path: ['experiment', 'show'],
    summary: 'Show an experiment.',
    options: [resourceGroupOption, workspaceOption, experimentName],
    async run({ client, options }) {
      const value = await client.experiments.get(
        options.requiredText('resource-group'),
        options.requiredText('workspace'),
        options.requiredText('name'),
      );
      return { value, view: 'experiment' };
    },
  },
  {
    path: ['experiment', 'list'],
    summary: 'List the experiments of a workspace.',
    options: [resourceGroupOption, workspaceOption, maxResultsOption],
    async run({ client, options }) {
      const list = client.experiments.listByWorkspace(
        options.requiredText('resource-group'),
        options.requiredText('workspace'),
        { maxResults: options.integer('max-results') },
      );
      return { value: await list.toArray(), view: 'experiment' };
    },
  },
  {
    path: ['experiment', 'delete'],
    summary: 'Delete an experiment and its jobs.',
    options: [resourceGroupOption, workspaceOption, experimentName, yesOption, noWaitOption],
    async run(context) {
      const { client, options } = context;
      await finish(
        context,
        await client.experiments.beginDelete(
          options.requiredText('resource-group'),
          options.requiredText('workspace'),
          options.requiredText('name'),
        ),
      );
      return {};
    },
  },
];
