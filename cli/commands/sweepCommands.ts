// `batchai sweep create|show|list|cancel|delete|trials`: parameter sweeps under an experiment (an extension).
import type { JobBaseProperties } from '../../shared/client/batchAiTypes';
import type { SweepCreateParameters } from '../../shared/client/extensionTypes';
import type { OptionSpec } from '../argumentParser';
import { workspaceChildId } from '../armResourceIds';
import type { CommandContext, CommandSpec } from '../commandSpec';
import {
  experimentOption,
  collectResults,
  maxResultsOption,
  pageOptions,
  nameOption,
  resourceGroupOption,
  workspaceOption,
  yesOption,
} from '../commonOptions';
import { readResourceBody } from '../resourceBodyFile';
import { storageAccountOptions } from '../storageMounts';

const scope = [resourceGroupOption, workspaceOption, experimentOption];
const sweepName = nameOption('sweep');
const configFileOption: OptionSpec = {
  name: 'config-file',
  short: 'f',
  type: 'string',
  required: true,
  description: 'JSON file with the sweep: { "properties": { "jobTemplate", "parameters", ... } }.',
};

function sweepRef(context: CommandContext): [string, string, string, string] {
  const { options } = context;
  return [
    options.requiredText('resource-group'),
    options.requiredText('workspace'),
    options.requiredText('experiment'),
    options.requiredText('name'),
  ];
}

export const sweepCommands: CommandSpec[] = [
  {
    path: ['sweep', 'create'],
    summary: 'Create a parameter sweep and start its trials.',
    options: [
      ...scope,
      sweepName,
      configFileOption,
      {
        name: 'cluster',
        short: 'c',
        type: 'string',
        description: "Name or ARM id of the cluster (sets the job template's cluster).",
      },
      ...storageAccountOptions,
    ],
    examples: ['batchai sweep create -g rg -w ws -e exp -n lr-search -f sweep.json -c nc6'],
    async run(context) {
      const { client, options, io, subscriptionId } = context;
      const [resourceGroup, workspace, experiment, name] = sweepRef(context);
      const body = readResourceBody(options, io.cwd, 'sweep');
      const cluster = options.text('cluster');
      if (cluster) {
        const template = body.properties.jobTemplate;
        const id = workspaceChildId(subscriptionId, resourceGroup, workspace, 'clusters', cluster);
        body.properties.jobTemplate = {
          ...(template && typeof template === 'object' ? (template as Partial<JobBaseProperties>) : {}),
          cluster: { id },
        };
      }
      const value = await client.sweeps.createOrUpdate(
        resourceGroup,
        workspace,
        experiment,
        name,
        body as unknown as SweepCreateParameters, // the service validates the body and names a wrong field
      );
      return { value, view: 'sweep' };
    },
  },
  {
    path: ['sweep', 'show'],
    summary: 'Show a sweep with its state, trial counts and best trial.',
    options: [...scope, sweepName],
    async run(context) {
      return { value: await context.client.sweeps.get(...sweepRef(context)), view: 'sweep' };
    },
  },
  {
    path: ['sweep', 'list'],
    summary: 'List the sweeps of an experiment.',
    options: [...scope, maxResultsOption],
    async run({ client, options }) {
      const list = client.sweeps.list(
        options.requiredText('resource-group'),
        options.requiredText('workspace'),
        options.requiredText('experiment'),
        pageOptions(options),
      );
      return { value: await collectResults(list, options), view: 'sweep' };
    },
  },
  {
    path: ['sweep', 'trials'],
    summary: "List a sweep's trials: parameters, state and metric.",
    options: [...scope, sweepName],
    examples: ['batchai sweep trials -g rg -w ws -e exp -n lr-search -o table'],
    async run(context) {
      const sweep = await context.client.sweeps.get(...sweepRef(context));
      return { value: sweep.properties?.trials ?? [], view: 'trial' };
    },
  },
  {
    path: ['sweep', 'cancel'],
    summary: 'Cancel a sweep: its running trials are terminated and no more are created.',
    options: [...scope, sweepName, yesOption],
    async run(context) {
      return { value: await context.client.sweeps.cancel(...sweepRef(context)), view: 'sweep' };
    },
  },
  {
    path: ['sweep', 'delete'],
    summary: 'Delete a sweep (its trial jobs stay in the experiment); a running sweep is cancelled first.',
    options: [...scope, sweepName, yesOption],
    async run(context) {
      const outcome = await context.client.sweeps.delete(...sweepRef(context));
      if (outcome === 'deleting')
        context.io.stderr('The sweep was running: it is cancelled and goes once its trials stopped.\n');
      if (outcome === 'notFound') context.io.stderr('There was no such sweep.\n');
      return {};
    },
  },
];
