// Rules of cluster and file server bodies beyond the schema: supported VM sizes, exactly one scale mode with
// consistent counts, the default image, data disks.
import { ValidationError } from './errors';
import { validateMountVolumes } from './mountVolumeRules';
import { hasParentSegment } from './jobLayout/posixPath';
import type { JsonObject } from './specValidator';
import { batchAiDefaultImage } from './nodeImages';

/** A VM scale set's hard maximum (without placement groups): no cluster asks for more nodes than this. */
export const maxNodesPerCluster = 1000;

function checkAtMost(field: string, count: number): void {
  if (count > maxNodesPerCluster) {
    throw new ValidationError(
      field,
      `'${field}' (${count}) must be at most ${maxNodesPerCluster}, the most nodes a cluster can have.`,
      'InvalidScaleSettings',
    );
  }
}

/** The longest VM size name taken (Azure's are under 40 characters, e.g. `Standard_ND96isr_MI300X_v5`). */
const maxVmSizeLength = 64;

/** `Standard_` and letters, digits, `_` and `-` (constrained-vCPU sizes such as `Standard_E4-2s_v3`). */
const vmSizeShape = /^standard_[a-z0-9_-]+$/i;

/** Excluded by Batch AI: STANDARD_A0 and the premium-storage series (GS, DS, DSv2). */
const excludedVmSizes = /^standard_(a0|gs\d|ds\d)/i;

/** Whether a name is one a cluster or file server may ask for (the catalogue then says whether it exists). */
export function isAcceptedVmSizeName(vmSize: string): boolean {
  return vmSize.length <= maxVmSizeLength && vmSizeShape.test(vmSize) && !excludedVmSizes.test(vmSize);
}

/** Batch AI supported every size except STANDARD_A0 and the premium-storage series (GS, DS, DSv2). */
export function checkVmSize(path: string, vmSize: string): void {
  if (vmSize.length > maxVmSizeLength) {
    throw new ValidationError(
      path,
      `'${path}' is ${vmSize.length} characters long: an Azure VM size has at most ${maxVmSizeLength}.`,
      'InvalidVmSize',
    );
  }
  if (!vmSizeShape.test(vmSize)) {
    throw new ValidationError(
      path,
      `'${vmSize}' is not an Azure VM size (expected e.g. 'STANDARD_NC6').`,
      'InvalidVmSize',
    );
  }
  if (excludedVmSizes.test(vmSize)) {
    throw new ValidationError(
      path,
      `The VM size '${vmSize}' is not supported: STANDARD_A0 and the GS, DS and DSv2 series are excluded.`,
      'UnsupportedVmSize',
    );
  }
}

export function checkScaleSettings(path: string, scale: JsonObject): void {
  const modes = ['manual', 'autoScale'].filter((mode) => scale[mode] !== undefined);
  if (modes.length !== 1) {
    throw new ValidationError(
      path,
      `'${path}' must set exactly one of 'manual' and 'autoScale'.`,
      'InvalidScaleSettings',
    );
  }
  if (scale.manual) {
    const manual = scale.manual as JsonObject;
    if ((manual.targetNodeCount as number) < 0) {
      throw new ValidationError(
        `${path}.manual.targetNodeCount`,
        `'${path}.manual.targetNodeCount' must not be negative.`,
      );
    }
    checkAtMost(`${path}.manual.targetNodeCount`, manual.targetNodeCount as number);
  } else {
    const auto = scale.autoScale as JsonObject;
    const min = auto.minimumNodeCount as number;
    const max = auto.maximumNodeCount as number;
    const initial = (auto.initialNodeCount as number | undefined) ?? 0;
    if (min < 0)
      throw new ValidationError(
        `${path}.autoScale.minimumNodeCount`,
        `'${path}.autoScale.minimumNodeCount' must not be negative.`,
      );
    if (max < 1 || max < min) {
      throw new ValidationError(
        `${path}.autoScale.maximumNodeCount`,
        `'${path}.autoScale.maximumNodeCount' (${max}) must be at least 1 and at least minimumNodeCount (${min}).`,
      );
    }
    checkAtMost(`${path}.autoScale.maximumNodeCount`, max);
    if (initial < 0 || initial > max) {
      throw new ValidationError(
        `${path}.autoScale.initialNodeCount`,
        `'${path}.autoScale.initialNodeCount' (${initial}) must be between 0 and maximumNodeCount (${max}).`,
      );
    }
  }
}

/** The most nodes the scale settings can ask for, and the field that asks for them. */
export function largestNodeCount(path: string, scale: JsonObject): { field: string; count: number } {
  if (scale.manual) {
    return {
      field: `${path}.manual.targetNodeCount`,
      count: Number((scale.manual as JsonObject).targetNodeCount ?? 0),
    };
  }
  const auto = (scale.autoScale ?? {}) as JsonObject;
  const max = Number(auto.maximumNodeCount ?? 0);
  const initial = Number(auto.initialNodeCount ?? 0);
  return initial > max
    ? { field: `${path}.autoScale.initialNodeCount`, count: initial }
    : { field: `${path}.autoScale.maximumNodeCount`, count: max };
}

/** What a cluster's scale settings are checked against: the location's core quota and what others use of it. */
export interface CoreBudget {
  vmSize: string;
  /** vCPUs of one VM of the size (0 when unknown: nothing is counted). */
  cores: number;
  lowPriority: boolean;
  /** The dedicated or low-priority core quota of the location (the Usages limit). */
  limit: number;
  /** Cores the other clusters of the subscription in this location use now (the Usages current value). */
  usedByOthers: number;
}

/**
 * Refuses scale settings whose largest node count, at the VM size's cores, exceeds what is left of the core quota
 * (400 naming the count).
 */
export function checkCoreQuota(path: string, scale: JsonObject, budget: CoreBudget): void {
  const cores = budget.cores;
  if (!cores) return;
  const { field, count } = largestNodeCount(path, scale);
  const left = Math.max(0, budget.limit - budget.usedByOthers);
  if (count * cores > left) {
    const kind = budget.lowPriority ? 'low-priority' : 'dedicated';
    throw new ValidationError(
      field,
      `'${field}' (${count}) nodes of ${budget.vmSize} need ${count * cores} ${kind} cores; the quota is ` +
        `${budget.limit} in this location and other clusters use ${budget.usedByOthers}, so at most ` +
        `${Math.floor(left / cores)} nodes fit (see the usages of this location).`,
      'QuotaExceeded',
    );
  }
}

/**
 * The most characters a cluster's setup task may carry (its command line, environment variable names and values,
 * secret names and values). It reaches VMs inside their custom data, which Azure caps at 65,535 bytes (87,380
 * base64 characters); compressed, the document without a setup task takes about 2,800 of those, and text that does
 * not compress about 1.4 characters per character. 56 KiB leaves room for mount volumes and the sealing.
 */
export const setupTaskMaxCharacters = 56 * 1024;

/** The size of the setup task's settings that go to every node (names and values), against setupTaskMaxCharacters. */
function checkSetupTaskSize(setupTask: JsonObject | undefined, secrets: Record<string, string>): void {
  if (!setupTask) return;
  const field = 'properties.nodeSetup.setupTask';
  const namedValues = (list: unknown): number =>
    (Array.isArray(list) ? list : []).reduce<number>((total, entry) => {
      const item = (entry ?? {}) as JsonObject;
      return (
        total + String(item.name ?? '').length + (typeof item.value === 'string' ? item.value.length : 0)
      );
    }, 0);
  const secretValues = Object.entries(secrets)
    .filter(([path]) => path.startsWith(`${field}.secrets[`))
    .reduce((total, [, value]) => total + value.length, 0);
  const size =
    String(setupTask.commandLine ?? '').length +
    namedValues(setupTask.environmentVariables) +
    namedValues(setupTask.secrets) +
    secretValues;
  if (size > setupTaskMaxCharacters) {
    throw new ValidationError(
      `${field}.environmentVariables`,
      `'${field}' is too large for a VM's custom data: its commandLine, environmentVariables and secrets (names ` +
        `and values) take ${size} characters, at most ${setupTaskMaxCharacters} fit. Put large values in a file ` +
        `on a mounted volume and read it in the setup task.`,
    );
  }
}

/**
 * Checks a validated ClusterBaseProperties object and fills the defaults the service applied. `secrets` are the
 * body's secret values by JSON path (validateCreateBody's), counted in the setup task's size when given.
 */
export function checkClusterProperties(properties: JsonObject, secrets: Record<string, string> = {}): void {
  checkVmSize('properties.vmSize', String(properties.vmSize));
  properties.scaleSettings ??= { manual: { targetNodeCount: 0, nodeDeallocationOption: 'requeue' } };
  checkScaleSettings('properties.scaleSettings', properties.scaleSettings as JsonObject);
  // Without an image the service used Ubuntu 16.04 LTS (the CLI's 'UbuntuLTS' alias), as its examples show; its
  // VMs boot today's node image instead (nodeImages.ts).
  properties.virtualMachineConfiguration ??= { imageReference: { ...batchAiDefaultImage } };
  const nodeSetup = properties.nodeSetup as JsonObject | undefined;
  const setupOutput = (nodeSetup?.setupTask as JsonObject | undefined)?.stdOutErrPathPrefix;
  if (typeof setupOutput === 'string' && hasParentSegment(setupOutput)) {
    const field = 'properties.nodeSetup.setupTask.stdOutErrPathPrefix';
    throw new ValidationError(field, `'${field}' must not contain a '..' segment; it is '${setupOutput}'.`);
  }
  if (nodeSetup?.mountVolumes)
    validateMountVolumes('properties.nodeSetup.mountVolumes', nodeSetup.mountVolumes as JsonObject);
  checkSetupTaskSize(nodeSetup?.setupTask as JsonObject | undefined, secrets);
}

export function checkFileServerProperties(properties: JsonObject): void {
  checkVmSize('properties.vmSize', String(properties.vmSize));
  const disks = properties.dataDisks as JsonObject;
  if ((disks.diskCount as number) < 1)
    throw new ValidationError(
      'properties.dataDisks.diskCount',
      `'properties.dataDisks.diskCount' must be at least 1.`,
    );
  if ((disks.diskSizeInGB as number) < 1)
    throw new ValidationError(
      'properties.dataDisks.diskSizeInGB',
      `'properties.dataDisks.diskSizeInGB' must be at least 1.`,
    );
  const ssh = properties.sshConfiguration as JsonObject;
  if (Array.isArray(ssh.publicIPsToAllow) && ssh.publicIPsToAllow.length > 400) {
    throw new ValidationError(
      'properties.sshConfiguration.publicIPsToAllow',
      `At most 400 IP ranges can be allowed.`,
    );
  }
}

/** How many jobs a node of the cluster runs at once: its `jobSlotsPerNode` (an extension; 1 when not given). */
export function jobSlotsPerNode(spec: JsonObject): number {
  const slots = spec.jobSlotsPerNode;
  return typeof slots === 'number' && Number.isInteger(slots) && slots >= 1 ? slots : 1;
}

/**
 * How many of a node's GPUs one job gets on a node that runs `slots` jobs at once: an equal part, at least one (so
 * more jobs than GPUs share them), or undefined: all of them (one slot, at most one GPU, or a part that is all).
 */
export function gpuShareOf(gpuCount: number, slots: number): number | undefined {
  if (slots <= 1 || gpuCount <= 1) return undefined;
  const share = Math.max(1, Math.floor(gpuCount / slots));
  return share < gpuCount ? share : undefined;
}
