// Rules of cluster and file server bodies beyond the schema: supported VM sizes, exactly one scale mode with
// consistent counts, the default image, data disks.
import { ValidationError } from './errors';
import { validateMountVolumes } from './mountVolumeRules';
import { hasParentSegment } from './jobLayout/posixPath';
import type { JsonObject } from './specValidator';
import { batchAiDefaultImage } from './nodeImages';

/** Batch AI supported every size except STANDARD_A0 and the premium-storage series (GS, DS, DSv2). */
export function checkVmSize(path: string, vmSize: string): void {
  if (!/^standard_[a-z0-9_]+$/i.test(vmSize)) {
    throw new ValidationError(
      path,
      `'${vmSize}' is not an Azure VM size (expected e.g. 'STANDARD_NC6').`,
      'InvalidVmSize',
    );
  }
  if (/^standard_(a0|gs\d|ds\d)/i.test(vmSize)) {
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
    if (initial < 0 || initial > max) {
      throw new ValidationError(
        `${path}.autoScale.initialNodeCount`,
        `'${path}.autoScale.initialNodeCount' (${initial}) must be between 0 and maximumNodeCount (${max}).`,
      );
    }
  }
}

/** Checks a validated ClusterBaseProperties object and fills the defaults the service applied. */
export function checkClusterProperties(properties: JsonObject): void {
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
