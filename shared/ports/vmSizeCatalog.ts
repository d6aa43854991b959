// Which VM sizes clusters and file servers may use, and what one VM of a size has: checked when a cluster or a
// file server is created, so a misspelt or unavailable size is refused at the PUT (naming the field) rather than
// failing minutes later at Resource Manager, and core quotas count every size.
import type { VmSizeResources } from '../domain/vmSizeTable';

export type VmSizeLookup =
  | { kind: 'available'; resources: VmSizeResources; lowPriorityCapable: boolean }
  /** Not a size of the catalogue; `suggestions`: the closest names it has. */
  | { kind: 'unknown'; suggestions: string[] }
  /** A size the subscription may not use in the location: Azure's reason (NotAvailableForSubscription, QuotaId). */
  | { kind: 'restricted'; reason: string };

export interface VmSizeCatalog {
  /** Where the VMs run (what the answers are about); undefined for local compute (this machine). */
  readonly location: string | undefined;
  /** Throws VmSizeCatalogUnavailable when the list of sizes cannot be read and the size is not known without it. */
  lookup(vmSize: string): Promise<VmSizeLookup>;
}

/** The catalogue could not be read (Resource Manager down or refusing) and the size could not be checked. */
export class VmSizeCatalogUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VmSizeCatalogUnavailable';
  }
}
