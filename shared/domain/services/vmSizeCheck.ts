// A new cluster's or file server's VM size, checked against the deployment's catalogue (ServiceDeps.vmSizes: the
// compute location's sizes on Azure, the built-in table locally): a size the catalogue does not have is a 400
// naming the field with the closest names it has, a size Azure restricts for the subscription a 400 with Azure's
// reason, a low-priority cluster of a size that has no low-priority VMs a 400 naming vmPriority. Answers what one
// VM of the size has (vCPUs for the core quotas, GPUs for the nodes).
import { VmSizeCatalogUnavailable } from '../../ports/vmSizeCatalog';
import { builtInVmSizeCatalog, type VmSizeResources } from '../vmSizeTable';
import { ServiceUnavailableError, ValidationError } from '../errors';
import type { ServiceDeps } from './serviceDeps';

export async function checkVmSizeAvailable(
  deps: Pick<ServiceDeps, 'vmSizes'>,
  path: string,
  vmSize: string,
  lowPriority = false,
): Promise<VmSizeResources> {
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
      const hint =
        found.suggestions.length > 0
          ? ` Did you mean ${found.suggestions.map((s) => `'${s}'`).join(', ')}?`
          : '';
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
