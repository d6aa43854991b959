// `batchai experiment create|show|list|delete`.
import type { CommandSpec } from '../commandSpec';
import { nameOption, noWaitOption, resourceGroupOption, workspaceOption } from '../commonOptions';
import { finish } from './longRunning';
import { workspaceChildCommands } from './workspaceChildCommands';

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
  ...workspaceChildCommands({
    group: 'experiment',
    noun: 'an experiment',
    plural: 'experiments',
    nameOption: experimentName,
    view: 'experiment',
    operations: (client) => client.experiments,
    deleteAlso: ' and its jobs',
  }),
];
