// `batchai cluster create|show|list|delete|resize|auto-scale` and `batchai cluster node list`.
import { warnUnknownProperties } from '../unknownPropertyWarnings';
import { adminAccountOptions } from '../adminAccount';
import { clusterConfigFile, clusterCreateParameters } from '../clusterParameters';
import type { CommandSpec } from '../commandSpec';
import { nameOption, noWaitOption, resourceGroupOption, workspaceOption } from '../commonOptions';
import { mountOptions } from '../storageMounts';
import { NO_REMOTE_LOGIN_NOTE } from './jobCommands';
import { finish } from './longRunning';
import { workspaceChildCommands } from './workspaceChildCommands';

const clusterName = nameOption('cluster');

export const clusterCommands: CommandSpec[] = [
  {
    path: ['cluster', 'create'],
    summary: 'Create a cluster.',
    options: [
      resourceGroupOption,
      workspaceOption,
      clusterName,
      {
        name: 'config-file',
        short: 'f',
        type: 'string',
        description: 'JSON file with ClusterCreateParameters; flags override its values.',
      },
      {
        name: 'vm-size',
        short: 's',
        type: 'string',
        description: 'VM size of the nodes (e.g. Standard_NC6).',
      },
      {
        name: 'vm-priority',
        type: 'string',
        choices: ['dedicated', 'lowpriority'],
        description: 'VM priority.',
      },
      {
        name: 'target',
        short: 't',
        type: 'integer',
        minimum: 0,
        description: 'Nodes to allocate at creation.',
      },
      { name: 'min', type: 'integer', minimum: 0, description: 'Min nodes of an auto-scale cluster.' },
      { name: 'max', type: 'integer', minimum: 1, description: 'Max nodes of an auto-scale cluster.' },
      {
        name: 'job-slots-per-node',
        type: 'integer',
        minimum: 1,
        description:
          "Jobs a node runs at once (an extension of Batch AI; default 1), each with an equal part of the node's GPUs. " +
          'Fixed at creation.',
      },
      {
        name: 'image',
        short: 'i',
        type: 'string',
        description: "OS image: UbuntuLTS, UbuntuDSVM or 'publisher:offer:sku:version'.",
      },
      {
        name: 'custom-image',
        type: 'string',
        description: 'ARM id of a custom VM image (with --image as its base).',
      },
      ...adminAccountOptions,
      { name: 'subnet', type: 'string', description: 'ARM id of a virtual network subnet.' },
      {
        name: 'setup-task',
        type: 'string',
        description: 'Command line run on each node when it is allocated.',
      },
      { name: 'setup-task-output', type: 'string', description: "Directory for the setup task's output." },
      ...mountOptions,
      noWaitOption,
    ],
    examples: [
      'batchai cluster create -g rg -w ws -n nc6 -s Standard_NC6 -t 1 -u $USER -k ~/.ssh/id_rsa.pub',
      'batchai cluster create -g rg -w ws -n nc6 -s Standard_NC6 --min 0 --max 4 -u admin -p "$PASSWORD"',
      'batchai cluster create -g rg -w ws -n nc6 -f cluster.json',
    ],
    async run(context) {
      const { client, options, subscriptionId, io } = context;
      const resourceGroup = options.requiredText('resource-group');
      const workspace = options.requiredText('workspace');
      const target = { subscriptionId, resourceGroup, workspace, cwd: io.cwd, home: io.env.HOME };
      const config = clusterConfigFile(options, target);
      const parameters = clusterCreateParameters(options, target, config);
      const configFile = options.text('config-file');
      // The file as written, with what the flags completed: keys beside `properties` are not sent, and said so.
      if (configFile)
        await warnUnknownProperties(
          context,
          'ClusterCreateParameters',
          { ...config, ...parameters },
          configFile,
        );
      const poller = await client.clusters.beginCreate(
        resourceGroup,
        workspace,
        options.requiredText('name'),
        parameters,
      );
      return { value: await finish(context, poller), view: 'cluster' };
    },
  },
  {
    path: ['cluster', 'resize'],
    summary: 'Resize a cluster to a fixed number of nodes (manual scale).',
    options: [
      resourceGroupOption,
      workspaceOption,
      clusterName,
      {
        name: 'target',
        short: 't',
        type: 'integer',
        minimum: 0,
        required: true,
        description: 'Target node count.',
      },
    ],
    examples: ['batchai cluster resize -g rg -w ws -n nc6 -t 0'],
    // The PATCH answers the cluster with its new scale settings (the Target column) at once; its node counts move
    // as nodes are allocated or leave (`cluster show`).
    async run({ client, options }) {
      const value = await client.clusters.update(
        options.requiredText('resource-group'),
        options.requiredText('workspace'),
        options.requiredText('name'),
        {
          properties: { scaleSettings: { manual: { targetNodeCount: options.integer('target') as number } } },
        },
      );
      return { value, view: 'cluster' };
    },
  },
  {
    path: ['cluster', 'auto-scale'],
    summary: 'Switch a cluster to auto-scale between --min and --max nodes.',
    options: [
      resourceGroupOption,
      workspaceOption,
      clusterName,
      { name: 'min', type: 'integer', minimum: 0, required: true, description: 'Min node count.' },
      { name: 'max', type: 'integer', minimum: 1, required: true, description: 'Max node count.' },
    ],
    examples: ['batchai cluster auto-scale -g rg -w ws -n nc6 --min 0 --max 10'],
    async run({ client, options }) {
      const value = await client.clusters.update(
        options.requiredText('resource-group'),
        options.requiredText('workspace'),
        options.requiredText('name'),
        {
          properties: {
            scaleSettings: {
              autoScale: {
                minimumNodeCount: options.integer('min') as number,
                maximumNodeCount: options.integer('max') as number,
              },
            },
          },
        },
      );
      return { value, view: 'cluster' };
    },
  },
  {
    path: ['cluster', 'node', 'list'],
    summary: "List the cluster's nodes with their SSH endpoints.",
    options: [
      resourceGroupOption,
      workspaceOption,
      { name: 'cluster', short: 'c', type: 'string', required: true, description: 'Name of cluster.' },
    ],
    async run({ client, options, io }) {
      const list = await client.clusters
        .listRemoteLoginInformation(
          options.requiredText('resource-group'),
          options.requiredText('workspace'),
          options.requiredText('cluster'),
        )
        .toArray();
      if (list.length === 0) io.stderr(NO_REMOTE_LOGIN_NOTE);
      return { value: list, view: 'node' };
    },
  },
  ...workspaceChildCommands({
    group: 'cluster',
    noun: 'a cluster',
    plural: 'clusters',
    nameOption: clusterName,
    view: 'cluster',
    operations: (client) => client.clusters,
  }),
];
