// What the domain services need from the outside world, passed in once by the composition root
// (functions/api/apiServices.ts) or by tests. Optional members are seams later issues implement.
import type { FileServerProvisioning } from '../../ports/fileServerProvisioning';
import type { ClusterCompute } from '../../ports/clusterCompute';
import type { JobLifecycle } from '../../ports/jobLifecycle';
import type { JobOutputFiles } from '../../ports/jobOutputFiles';
import type { ResourceStore } from '../../ports/resourceStore';
import type { SecretProtector } from '../../ports/secretProtector';
import type { SecretReferenceResolver } from '../../ports/secretReferences';
import type { VmSizeCatalog } from '../../ports/vmSizeCatalog';
import type { WorkspaceAccessStore } from '../../security/workspaceAccessStore';
import type { SweepStore } from '../sweeps/sweepStore';
import type { EventSourceStore } from '../eventSources/eventSourceStore';

export interface Quotas {
  /** Clusters per subscription and location (the Usages "Clusters" limit). */
  clustersPerLocation: number;
  dedicatedCoresPerLocation: number;
  lowPriorityCoresPerLocation: number;
}

export interface ServiceDeps {
  store: ResourceStore;
  secrets: SecretProtector;
  /** Reads users' Key Vault secret references; without it a reference is refused (400). */
  secretReferences?: SecretReferenceResolver;
  compute?: ClusterCompute;
  /** Provisions and removes file servers; without it a file server stays `creating` (nothing provisions it). */
  fileServers?: FileServerProvisioning;
  lifecycle?: JobLifecycle;
  outputFiles?: JobOutputFiles;
  /** Role assignments per workspace (shared/security): removed with their workspace. */
  workspaceAccess?: WorkspaceAccessStore;
  /** Sweeps live under experiments: an experiment delete removes them (their trials are its jobs). */
  sweeps?: SweepStore;
  /** Scoring rules and job schedules live under workspaces: a workspace delete removes them. */
  eventSources?: EventSourceStore;
  quotas: Quotas;
  /** How long an ended operation is answered for (days; default defaultOperationRetentionDays). */
  operationRetentionDays?: number;
  /** The VM sizes new clusters and file servers may use (default: the built-in table, as local compute). */
  vmSizes?: VmSizeCatalog;
  /**
   * The W3C trace context of the request (or message) being served, when telemetry traces it: a job keeps its
   * submission's, so its node tasks report in that trace, whichever activity launches them.
   */
  traceContext?: () => { traceParent: string; traceState?: string } | undefined;
  now: () => Date;
  newId: () => string;
}
