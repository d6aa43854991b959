// `cluster create`'s body: the config file (-f, ClusterCreateParameters) with az's flags laid over it: VM size and
// priority, scale (--target for manual, --min/--max for auto-scale), image alias or publisher:offer:sku:version,
// admin account, setup task, subnet and storage mounts.
import type {
  ClusterBaseProperties,
  ClusterCreateParameters,
  ImageReference,
} from '../shared/client/batchAiTypes';
import { adminAccount } from './adminAccount';
import { workspaceChildId } from './armResourceIds';
import type { CommandOptions } from './commandOptions';
import { readConfigFile } from './configFile';
import { completeMountVolumes, storageAccount } from './storageMounts';
import { UsageError } from './usageError';

/** az's image aliases. */
export const IMAGE_ALIASES: Record<string, ImageReference> = {
  ubuntults: { publisher: 'Canonical', offer: 'UbuntuServer', sku: '16.04-LTS', version: 'latest' },
  ubuntudsvm: {
    publisher: 'microsoft-ads',
    offer: 'linux-data-science-vm-ubuntu',
    sku: 'linuxdsvmubuntu',
    version: 'latest',
  },
};

export function parseImage(value: string): ImageReference {
  const alias = IMAGE_ALIASES[value.toLowerCase()];
  if (alias) return { ...alias };
  const parts = value.split(':');
  if (parts.length !== 4 || parts.some((p) => p === '')) {
    throw new UsageError(
      `--image/-i: '${value}' is neither an alias (${Object.keys(IMAGE_ALIASES).join(', ')}) ` +
        "nor 'publisher:offer:sku:version'.",
    );
  }
  const [publisher, offer, sku, version] = parts;
  return { publisher, offer, sku, version };
}

export interface ClusterTarget {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  cwd: string;
  home?: string;
}

/** The -f file as read (its JSON, az's storage placeholders filled in), or nothing without -f. */
export function clusterConfigFile(options: CommandOptions, target: ClusterTarget): Record<string, unknown> {
  const configFile = options.text('config-file');
  return configFile ? readConfigFile(configFile, target.cwd, storageAccount(options)) : {};
}

export function clusterCreateParameters(
  options: CommandOptions,
  target: ClusterTarget,
  config = clusterConfigFile(options, target),
): ClusterCreateParameters {
  const configFile = options.text('config-file');
  const fromConfig = (config.properties ?? {}) as Partial<ClusterBaseProperties>;
  if (typeof fromConfig !== 'object' || Array.isArray(fromConfig))
    throw new UsageError(`--config-file: 'properties' in '${configFile}' must be an object.`);
  const properties: Partial<ClusterBaseProperties> = { ...fromConfig };

  const vmSize = options.text('vm-size');
  if (vmSize) properties.vmSize = vmSize;
  if (!properties.vmSize)
    throw new UsageError('the following argument is required: --vm-size/-s (or vmSize in --config-file)');
  const priority = options.text('vm-priority');
  if (priority) properties.vmPriority = priority as ClusterBaseProperties['vmPriority'];

  const min = options.integer('min');
  const max = options.integer('max');
  const targetCount = options.integer('target');
  if ((min === undefined) !== (max === undefined))
    throw new UsageError('--min and --max go together: give both for an auto-scale cluster.');
  if (min !== undefined && max !== undefined) {
    properties.scaleSettings = {
      autoScale: { minimumNodeCount: min, maximumNodeCount: max, initialNodeCount: targetCount ?? min },
    };
  } else if (targetCount !== undefined) {
    properties.scaleSettings = { manual: { targetNodeCount: targetCount } };
  }

  const slots = options.integer('job-slots-per-node');
  if (slots !== undefined) properties.jobSlotsPerNode = slots;

  const image = options.text('image');
  const customImage = options.text('custom-image');
  if (customImage && !image)
    throw new UsageError(
      '--custom-image needs --image/-i naming the base image the custom image was made from.',
    );
  if (image) {
    const imageReference = parseImage(image);
    if (customImage) imageReference.virtualMachineImageId = customImage;
    properties.virtualMachineConfiguration = { imageReference };
  }

  properties.userAccountSettings = adminAccount(
    options,
    fromConfig.userAccountSettings,
    target.cwd,
    target.home,
  );

  const subnet = options.text('subnet');
  if (subnet) properties.subnet = { id: subnet };

  const setupTask = options.text('setup-task');
  const setupTaskOutput = options.text('setup-task-output');
  if (setupTask || setupTaskOutput) {
    if (!setupTask || !setupTaskOutput)
      throw new UsageError('--setup-task and --setup-task-output go together: give both.');
    properties.nodeSetup = {
      ...properties.nodeSetup,
      setupTask: { commandLine: setupTask, stdOutErrPathPrefix: setupTaskOutput },
    };
  }

  const mountVolumes = completeMountVolumes(
    properties.nodeSetup?.mountVolumes,
    options,
    (nfs) =>
      workspaceChildId(target.subscriptionId, target.resourceGroup, target.workspace, 'fileServers', nfs),
    'properties.nodeSetup.mountVolumes',
  );
  if (mountVolumes) properties.nodeSetup = { ...properties.nodeSetup, mountVolumes };

  return { properties: properties as ClusterBaseProperties };
}
