// The stored form of a sweep and the port of its store (Cosmos DB in shared/adapters/cosmos/cosmosSweepStore.ts).
// One small document per sweep in its experiment's partition; trials are ordinary jobs of the experiment.
import type { Page, PageRequest } from '../../ports/resourceStore';
import type { SweepDefinition } from './sweepDefinition';
import type { SweepStatus } from './sweepProgress';

/** Where a sweep lives: under an experiment. */
export interface SweepAddress {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  experiment: string;
  name: string;
}

export interface SweepRecord {
  address: SweepAddress;
  armId: string;
  /** Identifies this sweep across a delete and re-create of the same name; its orchestration is `sweep-<uuid>`. */
  uuid: string;
  definition: SweepDefinition;
  /** The job template's secrets, sealed (context: the sweep's id and the path), by path of a job body. */
  encryptedSecrets: Record<string, string>;
  creationTime: string;
  /** Set by POST .../cancel (and by DELETE of a running sweep); the orchestration stops the trials. */
  cancelRequested?: boolean;
  /** DELETE of a running sweep: the orchestration removes the record once the trials have stopped. */
  deleteRequested?: boolean;
  status: SweepStatus;
  executionStateTransitionTime: string;
}

export interface StoredSweep {
  record: SweepRecord;
  etag: string;
}

export interface SweepStore {
  get(address: SweepAddress): Promise<StoredSweep | undefined>;
  /** Throws ConflictError when the sweep exists. */
  create(record: SweepRecord): Promise<StoredSweep>;
  /** Throws PreconditionFailedError on a stale ETag, NotFoundError when it is gone. */
  replace(record: SweepRecord, etag: string): Promise<StoredSweep>;
  delete(address: SweepAddress, etag?: string): Promise<boolean>;
  /** The sweeps of an experiment (address.name is ignored), by name. */
  list(experiment: Omit<SweepAddress, 'name'>, page: PageRequest): Promise<Page<StoredSweep>>;
}

export function sweepArmId(a: SweepAddress): string {
  return `/subscriptions/${a.subscriptionId}/resourceGroups/${a.resourceGroup}/providers/Microsoft.BatchAI/workspaces/${a.workspace}/experiments/${a.experiment}/sweeps/${a.name}`;
}

/** The experiment's key as the jobs container spells it (lower-cased ARM id): the sweeps' partition key. */
export function experimentKeyOf(a: Omit<SweepAddress, 'name'>): string {
  return `/subscriptions/${a.subscriptionId}/resourceGroups/${a.resourceGroup}/providers/Microsoft.BatchAI/workspaces/${a.workspace}/experiments/${a.experiment}`.toLowerCase();
}
