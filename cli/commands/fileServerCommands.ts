// `batchai file-server create|show|list|delete`.
import type { DataDisks, FileServerBaseProperties } from '../../shared/client/batchAiTypes';
import { adminAccount, adminAccountOptions } from '../adminAccount';
import type { CommandOptions } from '../commandOptions';
import type { CommandSpec } from '../commandSpec';
import { nameOption, noWaitOption, resourceGroupOption, workspaceOption } from '../commonOptions';
import { readConfigFile } from '../configFile';
import { UsageError } from '../usageError';
import { finish } from './longRunning';
import { workspaceChildCommands } from './workspaceChildCommands';

const fileServerName = nameOption('file server');

/** The config file (-f) with the flags laid over it, as az does. */
export function fileServerProperties(
  options: CommandOptions,
  cwd: string,
  home?: string,
): FileServerBaseProperties {
  const configFile = options.text('config-file');
  const config = configFile ? readConfigFile(configFile, cwd, {}) : {};
  const properties = { ...((config.properties ?? {}) as Partial<FileServerBaseProperties>) };
  const vmSize = options.text('vm-size');
  if (vmSize) properties.vmSize = vmSize;
  if (!properties.vmSize)
    throw new UsageError('the following argument is required: --vm-size/-s (or vmSize in --config-file)');
  const disks: Partial<DataDisks> = { ...properties.dataDisks };
  const count = options.integer('disk-count');
  const size = options.integer('disk-size');
  const sku = options.text('storage-sku');
  const caching = options.text('caching-type');
  if (count !== undefined) disks.diskCount = count;
  if (size !== undefined) disks.diskSizeInGB = size;
  if (sku) disks.storageAccountType = sku as DataDisks['storageAccountType'];
  if (caching) disks.cachingType = caching as DataDisks['cachingType'];
  if (disks.diskCount === undefined) throw new UsageError('the following argument is required: --disk-count');
  if (disks.diskSizeInGB === undefined)
    throw new UsageError('the following argument is required: --disk-size');
  disks.storageAccountType ??= 'Standard_LRS';
  properties.dataDisks = disks as DataDisks;
  properties.sshConfiguration = {
    ...properties.sshConfiguration,
    userAccountSettings: adminAccount(options, properties.sshConfiguration?.userAccountSettings, cwd, home),
  };
  const subnet = options.text('subnet');
  if (subnet) properties.subnet = { id: subnet };
  return properties as FileServerBaseProperties;
}

export const fileServerCommands: CommandSpec[] = [
  {
    path: ['file-server', 'create'],
    summary: 'Create a single node NFS file server.',
    options: [
      resourceGroupOption,
      workspaceOption,
      fileServerName,
      {
        name: 'config-file',
        short: 'f',
        type: 'string',
        description: 'JSON file with FileServerCreateParameters; flags override its values.',
      },
      { name: 'vm-size', short: 's', type: 'string', description: 'VM size.' },
      { name: 'disk-count', type: 'integer', minimum: 1, description: 'Number of data disks.' },
      { name: 'disk-size', type: 'integer', minimum: 1, description: 'Disk size in GB.' },
      {
        name: 'storage-sku',
        type: 'string',
        choices: ['Premium_LRS', 'Standard_LRS'],
        description: 'Disk SKU.',
      },
      {
        name: 'caching-type',
        type: 'string',
        choices: ['none', 'readonly', 'readwrite'],
        description: 'Disk caching.',
      },
      ...adminAccountOptions,
      { name: 'subnet', type: 'string', description: 'ARM id of a virtual network subnet.' },
      noWaitOption,
    ],
    examples: [
      'batchai file-server create -g rg -w ws -n nfs -s Standard_D14 --disk-count 4 --disk-size 512 -u me -k key.pub',
    ],
    async run(context) {
      const { client, options, io } = context;
      const poller = await client.fileServers.beginCreate(
        options.requiredText('resource-group'),
        options.requiredText('workspace'),
        options.requiredText('name'),
        { properties: fileServerProperties(options, io.cwd, io.env.HOME) },
      );
      return { value: await finish(context, poller), view: 'fileServer' };
    },
  },
  ...workspaceChildCommands({
    group: 'file-server',
    noun: 'a file server',
    plural: 'file servers',
    nameOption: fileServerName,
    view: 'fileServer',
    operations: (client) => client.fileServers,
  }),
];
