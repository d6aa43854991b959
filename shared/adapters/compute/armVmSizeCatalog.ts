// The VM sizes of the compute location as Azure lists them for the subscription (Resource SKUs, through
// @azure/arm-compute): a size missing there is unknown, one with a location restriction (NotAvailableForSubscription,
// QuotaId) is refused with Azure's reason, and vCPUs and GPUs come from the SKU's capabilities. The list (a few MB
// for a large region) is read once per `refreshMs` (1 hour); while it cannot be read, sizes the built-in table knows
// are answered from it and others throw VmSizeCatalogUnavailable, saying why (an identity refused the read needs a
// role; an outage passes). A read that takes longer than `readTimeoutMs` counts as failed.
import type { ComputeManagementClient, ResourceSku } from '@azure/arm-compute';
import { builtInVmSize, closestVmSizes } from '../../domain/vmSizeTable';
import { describeError } from '../../logging/describeError';
import { VmSizeCatalogUnavailable, type VmSizeCatalog, type VmSizeLookup } from '../../ports/vmSizeCatalog';

interface SizeEntry {
  name: string;
  vCpus: number;
  gpus: number;
  lowPriorityCapable: boolean;
  /** Azure's reason when the subscription may not use the size in the location. */
  restriction?: string;
}

export interface ArmVmSizeCatalogOptions {
  client: Pick<ComputeManagementClient, 'resourceSkus'>;
  /** The location of the deployment's scale sets. */
  location: string;
  /** How long a read list is used (1 hour). */
  refreshMs?: number;
  /** After a failed read, how long before the next try (30 s); requests meanwhile use the built-in table. */
  retryAfterMs?: number;
  /** How long a lookup waits for the list to be read (30 s): then the read counts as failed. */
  readTimeoutMs?: number;
  now?: () => number;
}

function capability(sku: ResourceSku, name: string): string | undefined {
  return sku.capabilities?.find((item) => item.name?.toLowerCase() === name.toLowerCase())?.value;
}

function count(sku: ResourceSku, name: string): number {
  const value = Number(capability(sku, name) ?? 0);
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

/** Why the list could not be read, for the caller: a refusal of the app's identity says what to grant. */
function readFailure(error: unknown): string {
  const { code, statusCode } = (error ?? {}) as { code?: string; statusCode?: number };
  const text = describeError(error, 300);
  if (statusCode === 401 || statusCode === 403 || /^Authori[sz]ationFailed$/i.test(code ?? '')) {
    return (
      `the app's identity may not read the subscription's VM sizes (${text}): give it Reader on the ` +
      `subscription, or a role with Microsoft.Compute/skus/read (docs/deploy-azure.md)`
    );
  }
  return text;
}

/** Azure's reason when a location restriction covers `location` (zone restrictions leave the size usable). */
function restrictionIn(sku: ResourceSku, location: string): string | undefined {
  const wanted = location.toLowerCase();
  for (const restriction of sku.restrictions ?? []) {
    if (restriction.type !== 'Location') continue;
    const where = [...(restriction.values ?? []), ...(restriction.restrictionInfo?.locations ?? [])];
    if (where.some((value) => value.toLowerCase() === wanted)) return restriction.reasonCode ?? 'Restricted';
  }
  return undefined;
}

export class ArmVmSizeCatalog implements VmSizeCatalog {
  readonly location: string;
  private readonly refreshMs: number;
  private readonly retryAfterMs: number;
  private readonly readTimeoutMs: number;
  private readonly now: () => number;
  private sizes: Map<string, SizeEntry> | undefined;
  private readAt = 0;
  /** The read in flight, shared by concurrent lookups. */
  private reading: Promise<Map<string, SizeEntry>> | undefined;
  private failure: { at: number; message: string } | undefined;

  constructor(private readonly options: ArmVmSizeCatalogOptions) {
    // Resource SKUs name locations as `eastus`; a setting may say `East US`.
    this.location = options.location.toLowerCase().replace(/\s+/g, '');
    this.refreshMs = options.refreshMs ?? 3_600_000;
    this.retryAfterMs = options.retryAfterMs ?? 30_000;
    this.readTimeoutMs = options.readTimeoutMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  async lookup(vmSize: string): Promise<VmSizeLookup> {
    let sizes: Map<string, SizeEntry>;
    try {
      sizes = await this.current();
    } catch (error: unknown) {
      const known = builtInVmSize(vmSize);
      if (known) return { kind: 'available', resources: known, lowPriorityCapable: true };
      throw new VmSizeCatalogUnavailable(
        `The VM sizes of '${this.location}' cannot be read from Azure now (${(error as Error).message}), and ` +
          `'${vmSize}' is not among the sizes known without them.`,
      );
    }
    const entry = sizes.get(vmSize.toLowerCase());
    if (!entry) {
      return {
        kind: 'unknown',
        suggestions: closestVmSizes(
          vmSize,
          [...sizes.values()].filter((size) => !size.restriction).map((size) => size.name),
        ),
      };
    }
    if (entry.restriction) return { kind: 'restricted', reason: entry.restriction };
    return {
      kind: 'available',
      resources: { vCpus: entry.vCpus, gpus: entry.gpus },
      lowPriorityCapable: entry.lowPriorityCapable,
    };
  }

  private async current(): Promise<Map<string, SizeEntry>> {
    const now = this.now();
    if (this.sizes && now - this.readAt < this.refreshMs) return this.sizes;
    if (this.failure && now - this.failure.at < this.retryAfterMs) {
      // A list read before the failure is still better than none.
      if (this.sizes) return this.sizes;
      throw new Error(this.failure.message);
    }
    this.reading ??= this.read().finally(() => (this.reading = undefined));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Resource SKUs did not answer within ${this.readTimeoutMs / 1000} s`)),
        this.readTimeoutMs,
      );
    });
    try {
      const sizes = await Promise.race([this.reading, timeout]);
      this.sizes = sizes;
      this.readAt = this.now();
      this.failure = undefined;
      return sizes;
    } catch (error: unknown) {
      this.failure = { at: this.now(), message: readFailure(error) };
      if (this.sizes) return this.sizes;
      throw new Error(this.failure.message);
    } finally {
      clearTimeout(timer);
    }
  }

  private async read(): Promise<Map<string, SizeEntry>> {
    const sizes = new Map<string, SizeEntry>();
    const filter = `location eq '${this.location.replace(/'/g, "''")}'`;
    for await (const sku of this.options.client.resourceSkus.list({ filter })) {
      if (sku.resourceType !== 'virtualMachines' || !sku.name) continue;
      const inLocation = (sku.locations ?? []).some(
        (item) => item.toLowerCase() === this.location.toLowerCase(),
      );
      if (!inLocation) continue;
      sizes.set(sku.name.toLowerCase(), {
        name: sku.name,
        vCpus: count(sku, 'vCPUs') || (builtInVmSize(sku.name)?.vCpus ?? 0),
        // Sizes with a share of a GPU (NVv4, NVadsA10 v5) may list none: they have one.
        gpus: count(sku, 'GPUs') || (builtInVmSize(sku.name)?.gpus ?? 0),
        lowPriorityCapable: capability(sku, 'LowPriorityCapable')?.toLowerCase() !== 'false',
        restriction: restrictionIn(sku, this.location),
      });
    }
    return sizes;
  }
}
