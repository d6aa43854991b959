// Experiments: named groups of jobs inside a workspace (no properties of their own).
import { armIdOf, experimentRefOf, validateRef, type ResourceRef } from '../resourceId';
import { assertUnchanged, createOrConfirm, creationStatus, type PutResult } from './createOrConfirm';
import { keepOnlyUnderLiveWorkspace, requireWorkspace } from './parentLookup';
import type { ServiceDeps } from './serviceDeps';

export async function createExperiment(deps: ServiceDeps, ref: ResourceRef): Promise<PutResult> {
  validateRef(ref);
  const workspace = await requireWorkspace(deps, ref, true);
  const experiment = experimentRefOf(ref);
  return createOrConfirm(
    deps,
    () => ({
      kind: 'experiment',
      ref: experiment,
      armId: armIdOf(experiment),
      location: workspace.record.location,
      spec: {},
      status: creationStatus(deps),
      encryptedSecrets: {},
    }),
    (existing) => assertUnchanged(deps, existing, {}, {}),
    (stored) => keepOnlyUnderLiveWorkspace(deps, stored),
  );
}
