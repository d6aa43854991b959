// File servers: recorded with their VM size, disks and SSH settings. Provisioning the NFS VM is a later issue;
// until then the record has no mountSettings (no address exists to report).
import { armIdOf, validateRef, type ResourceRef } from '../resourceId';
import { checkFileServerProperties } from '../clusterRules';
import { validateCreateBody } from '../specValidator';
import { assertUnchanged, createOrConfirm, creationStatus, type PutResult } from './createOrConfirm';
import { requireWorkspace } from './parentLookup';
import { sealSecrets } from './secretSealing';
import type { ServiceDeps } from './serviceDeps';

export async function createFileServer(
  deps: ServiceDeps,
  ref: ResourceRef,
  body: unknown,
): Promise<PutResult> {
  validateRef(ref);
  const { secrets, properties } = validateCreateBody('FileServerCreateParameters', body);
  checkFileServerProperties(properties);
  const workspace = await requireWorkspace(deps, ref, true);
  const armId = armIdOf(ref);
  return createOrConfirm(
    deps,
    () => ({
      kind: 'fileServer',
      ref,
      armId,
      location: workspace.record.location,
      spec: properties,
      status: creationStatus(deps),
      encryptedSecrets: sealSecrets(deps.secrets, armId, secrets),
    }),
    (existing) => assertUnchanged(deps, existing, properties, secrets),
  );
}
