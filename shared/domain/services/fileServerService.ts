// File servers: recorded `creating` with their VM size, disks and SSH settings; the file server monitor
// (orchestrations/compute/fileServerMonitor*) provisions the host and records `succeeded` with its mountSettings
// (or `failed`). The create operation stays InProgress until then.
import { armIdOf, validateRef, type ResourceRef } from '../resourceId';
import { checkFileServerProperties } from '../clusterRules';
import { validateCreateBody } from '../specValidator';
import { assertUnchanged, createOrConfirm, creationStatus, type PutResult } from './createOrConfirm';
import { keepOnlyUnderLiveWorkspace, requireWorkspace } from './parentLookup';
import { sealSecrets } from './secretSealing';
import type { ServiceDeps } from './serviceDeps';
import { checkVmSizeOfPut } from './vmSizeCheck';

export async function createFileServer(
  deps: ServiceDeps,
  ref: ResourceRef,
  body: unknown,
): Promise<PutResult> {
  validateRef(ref);
  const { secrets, properties } = validateCreateBody('FileServerCreateParameters', body);
  checkFileServerProperties(properties);
  const workspace = await requireWorkspace(deps, ref, true);
  await checkVmSizeOfPut(deps, ref, String(properties.vmSize));
  const armId = armIdOf(ref);
  const result = await createOrConfirm(
    deps,
    () => ({
      kind: 'fileServer',
      ref,
      armId,
      location: workspace.record.location,
      spec: properties,
      status: creationStatus(deps, 'creating'),
      encryptedSecrets: sealSecrets(deps.secrets, armId, secrets),
    }),
    (existing) => assertUnchanged(deps, existing, properties, secrets),
    async (stored) => {
      await keepOnlyUnderLiveWorkspace(deps, stored);
      await deps.fileServers?.fileServerChanged(stored.record);
    },
    false,
  );
  // The same PUT again while it is being made (an earlier PUT may have failed after recording it): asked again.
  if (!result.created && result.stored.record.status.provisioningState === 'creating')
    await deps.fileServers?.fileServerChanged(result.stored.record);
  return result;
}
