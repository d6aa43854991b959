// Clusters: recorded with their scale settings, image and node setup. Nodes are the compute component's work
// (ClusterCompute port): until it exists, a cluster has no nodes and a steady allocation state, and says so.
import { etagMatches } from './etagMatch';
import { PreconditionFailedError, ValidationError } from '../errors';
import { armIdOf, validateRef, type ResourceRef } from '../resourceId';
import type { Stored } from '../resourceRecord';
import type { VmSizeResources } from '../vmSizeTable';
import { checkClusterProperties, checkCoreQuota, checkScaleSettings } from '../clusterRules';
import {
  isJsonObject,
  validateAgainstDefinition,
  validateCreateBody,
  type JsonObject,
} from '../specValidator';
import { assertUnchanged, createOrConfirm, creationStatus, type PutResult } from './createOrConfirm';
import { keepOnlyUnderLiveWorkspace, requireResource, requireWorkspace } from './parentLookup';
import { resolveFileServerMounts } from './referenceResolver';
import { resolveSecretReferences } from './secretReferences';
import { sealSecrets } from './secretSealing';
import type { ServiceDeps } from './serviceDeps';
import { locationUsage, vCpusOf } from './usageService';
import { checkVmSizeOfPut } from './vmSizeCheck';

/**
 * The quotas Usages reports, enforced when scale settings are set: the largest node count they ask for times the
 * VM size's cores (`cores`: one VM's vCPUs) must fit in the location's dedicated or low-priority core quota less
 * what the subscription's other clusters there use now (their current nodes, as Usages counts them); a new cluster
 * must fit in the clusters-per-location quota. Read then written, not atomic: two concurrent requests can each fit
 * alone.
 */
async function checkQuotas(
  deps: ServiceDeps,
  ref: ResourceRef,
  location: string,
  spec: JsonObject,
  scaleSettings: JsonObject,
  cores: number,
  update = false,
): Promise<void> {
  const others = await locationUsage(deps, ref.subscriptionId, location, ref);
  // The same PUT again: its settings were checked when it was created (and cannot change).
  if (others.excepted && !update) return;
  if (!update && others.clusters >= deps.quotas.clustersPerLocation) {
    throw new ValidationError(
      'clusterName',
      `The subscription has ${others.clusters} clusters in '${location}', its quota of clusters per location ` +
        `(${deps.quotas.clustersPerLocation}); delete one first.`,
      'QuotaExceeded',
    );
  }
  const lowPriority = spec.vmPriority === 'lowpriority';
  checkCoreQuota('properties.scaleSettings', scaleSettings, {
    vmSize: String(spec.vmSize),
    cores,
    lowPriority,
    limit: lowPriority ? deps.quotas.lowPriorityCoresPerLocation : deps.quotas.dedicatedCoresPerLocation,
    usedByOthers: lowPriority ? others.lowPriorityCores : others.dedicatedCores,
  });
}

/** VM sizes are case-insensitive (as in Azure): the same PUT with another spelling is no change. */
function sameVmSizeSpelling(existing: JsonObject, properties: JsonObject): JsonObject {
  const stored = existing.vmSize;
  return typeof stored === 'string' &&
    typeof properties.vmSize === 'string' &&
    stored.toLowerCase() === properties.vmSize.toLowerCase()
    ? { ...properties, vmSize: stored }
    : properties;
}

export async function createCluster(deps: ServiceDeps, ref: ResourceRef, body: unknown): Promise<PutResult> {
  validateRef(ref);
  const { secrets, properties } = validateCreateBody('ClusterCreateParameters', body);
  checkClusterProperties(properties, secrets);
  const workspace = await requireWorkspace(deps, ref, true);
  const vmSize: VmSizeResources = await checkVmSizeOfPut(
    deps,
    ref,
    String(properties.vmSize),
    properties.vmPriority === 'lowpriority',
  );
  await checkQuotas(
    deps,
    ref,
    workspace.record.location,
    properties,
    properties.scaleSettings as JsonObject,
    vmSize.vCpus,
  );
  const nodeSetup = properties.nodeSetup as JsonObject | undefined;
  await resolveFileServerMounts(
    deps,
    'properties.nodeSetup.mountVolumes',
    nodeSetup?.mountVolumes as JsonObject | undefined,
    ref,
  );
  const referenced = await resolveSecretReferences(deps, properties);
  const armId = armIdOf(ref);
  const now = deps.now().toISOString();
  const result = await createOrConfirm(
    deps,
    () => ({
      kind: 'cluster',
      ref,
      armId,
      location: workspace.record.location,
      spec: properties,
      status: {
        ...creationStatus(deps),
        allocationState: 'steady',
        allocationStateTransitionTime: now,
        currentNodeCount: 0,
        nodeStateCounts: {
          idleNodeCount: 0,
          runningNodeCount: 0,
          preparingNodeCount: 0,
          unusableNodeCount: 0,
          leavingNodeCount: 0,
        },
      },
      encryptedSecrets: sealSecrets(deps.secrets, armId, { ...secrets, ...referenced }),
      cluster: {
        vmSize,
        // Where the setup task's output goes below its stdOutErrPathPrefix (Batch AI's read-only suffix).
        ...(nodeSetup?.setupTask
          ? {
              setupOutputSuffix: `${ref.subscriptionId}/${ref.resourceGroup}/workspaces/${ref.workspace}/clusters/${ref.name}/${deps.newId()}`,
            }
          : {}),
      },
    }),
    (existing) =>
      assertUnchanged(
        deps,
        existing,
        sameVmSizeSpelling(existing.spec, properties),
        secrets,
        Object.keys(referenced),
      ),
    async (stored) => {
      await keepOnlyUnderLiveWorkspace(deps, stored);
      await deps.compute?.applyScaleSettings(stored.record);
    },
  );
  // The same PUT again (an earlier one may have failed after recording the cluster, before its monitor was asked):
  // asked again; idempotent, it costs the monitor one pass.
  if (!result.created) await deps.compute?.applyScaleSettings(result.stored.record);
  return result;
}

/**
 * PATCH: only scale settings change (ClusterUpdateParameters). Without them (the spec does not require them; the
 * SDK's update() without options sends none) nothing changes and the cluster is answered as it is, as ARM does.
 */
export async function updateCluster(
  deps: ServiceDeps,
  ref: ResourceRef,
  body: unknown,
  ifMatch?: string,
): Promise<Stored> {
  validateRef(ref);
  const { value } = validateAgainstDefinition('ClusterUpdateParameters', body);
  const scaleSettings = isJsonObject(value.properties) ? value.properties.scaleSettings : undefined;
  if (isJsonObject(scaleSettings)) checkScaleSettings('properties.scaleSettings', scaleSettings);
  for (;;) {
    const current = await requireResource(deps, ref);
    if (!etagMatches(ifMatch, current.etag)) throw new PreconditionFailedError();
    if (!isJsonObject(scaleSettings)) return current;
    await checkQuotas(
      deps,
      ref,
      current.record.location,
      current.record.spec,
      scaleSettings,
      vCpusOf(current.record),
      true,
    );
    const record = structuredClone(current.record);
    record.spec.scaleSettings = scaleSettings;
    try {
      const stored = await deps.store.replace(record, current.etag);
      await deps.compute?.applyScaleSettings(stored.record);
      return stored;
    } catch (error: unknown) {
      if (!(error instanceof PreconditionFailedError) || ifMatch) throw error;
    }
  }
}
