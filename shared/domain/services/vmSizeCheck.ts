// A new cluster's or file server's VM size, checked against the deployment's catalogue (ServiceDeps.vmSizes: the
// compute location's sizes on Azure, the built-in table locally): a size the catalogue does not have is a 400
// naming the field with the closest names it has, a size Azure restricts for the subscription a 400 with Azure's
// reason, a low-priority cluster of a size that has no low-priority VMs a 400 naming vmPriority. Answers what one
// VM of the size has (vCPUs for the core quotas, GPUs for the nodes).
import { VmSizeCatalogUnavailable } from '../../ports/vmSizeCatalog';
import { isAcceptedVmSizeName } from '../clusterRules';
import type { ResourceRef } from '../resourceId';
import { builtInVmSize, builtInVmSizeCatalog, type VmSizeResources } from '../vmSizeTable';
import { ServiceUnavailableError, ValidationError } from '../errors';
import type { ServiceDeps } from './serviceDeps';

async function checkVmSizeAvailable(
  deps: Pick<ServiceDeps, 'vmSizes'>,
  vmSize: string,
  lowPriority: boolean,
): Promise<VmSizeResources> {
  const path = 'properties.vmSize';
  const catalog = deps.vmSizes ?? builtInVmSizeCatalog;
  const where =
    catalog.location === undefined
      ? 'this deployment (local compute takes the Azure sizes listed in docs/compute.md)'
      : `'${catalog.location}', where this deployment's VMs run`;
  let found;
  try {
    found = await catalog.lookup(vmSize);
  } catch (error: unknown) {
    if (error instanceof VmSizeCatalogUnavailable) throw new ServiceUnavailableError(error.message, path);
    throw error;
  }
  switch (found.kind) {
    case 'unknown': {
      // Only names a PUT may carry (Azure also lists sizes Batch AI excluded).
      const suggestions = found.suggestions.filter(isAcceptedVmSizeName);
      const hint =
        suggestions.length > 0 ? ` Did you mean ${suggestions.map((s) => `'${s}'`).join(', ')}?` : '';
      throw new ValidationError(path, `'${vmSize}' is not a VM size of ${where}.${hint}`, 'InvalidVmSize');
    }
    case 'restricted':
      throw new ValidationError(
        path,
        `The VM size '${vmSize}' is not available to this subscription in ${where} (Azure says ` +
          `${found.reason}): choose another size, or ask Azure support to enable it.`,
        'SkuNotAvailable',
      );
    case 'available':
      if (lowPriority && !found.lowPriorityCapable) {
        throw new ValidationError(
          'properties.vmPriority',
          `The VM size '${vmSize}' has no low-priority VMs in ${where}: use 'dedicated' or another size.`,
          'SkuNotAvailable',
        );
      }
      return found.resources;
  }
}

/**
 * The size of a PUT, which may repeat the creation of a resource that exists (a retried PUT): such a PUT is
 * answered by comparing it with what was created (createOrConfirm), not refused because the catalogue changed since
 * or cannot be read now. So a refusal stands only when the resource does not exist with this size; otherwise the
 * figures recorded at its creation (or the built-in table's, for one recorded before sizes were checked) serve.
 */
export async function checkVmSizeOfPut(
  deps: Pick<ServiceDeps, 'vmSizes' | 'store'>,
  ref: ResourceRef,
  vmSize: string,
  lowPriority = false,
): Promise<VmSizeResources> {
  try {
    return await checkVmSizeAvailable(deps, vmSize, lowPriority);
  } catch (error: unknown) {
    if (!(error instanceof ValidationError || error instanceof ServiceUnavailableError)) throw error;
    const existing = await deps.store.get(ref);
    if (!existing || String(existing.record.spec.vmSize).toLowerCase() !== vmSize.toLowerCase()) throw error;
    return existing.record.cluster?.vmSize ?? builtInVmSize(vmSize) ?? { vCpus: 0, gpus: 0 };
  }
}
