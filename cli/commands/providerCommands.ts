// `batchai list-usages` (as az) and `batchai operation list` (the provider's operations catalogue).
import type { CommandSpec } from '../commandSpec';

export const providerCommands: CommandSpec[] = [
  {
    path: ['list-usages'],
    summary: 'Current usage and limits (clusters, cores) in a location.',
    options: [
      {
        name: 'location',
        short: 'l',
        type: 'string',
        required: true,
        description: 'Location (e.g. eastus).',
      },
    ],
    async run({ client, options }) {
      return { value: await client.listUsages(options.requiredText('location')).toArray(), view: 'usage' };
    },
  },
  {
    path: ['operation', 'list'],
    summary: 'The operations the Microsoft.BatchAI provider offers.',
    options: [],
    async run({ client }) {
      return { value: await client.listOperations().toArray(), view: 'operation' };
    },
  },
];
