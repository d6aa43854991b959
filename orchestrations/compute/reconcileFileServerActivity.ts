// Activity: one pass of a file server's monitor. A `creating` record's host is advanced one step (FileServerHosts
// ensure) and, once ready or failed, the record says so: `succeeded` with Batch AI's mountSettings, or `failed`
// with the reason in `errors` (the create operation reports it too). A `deleting` record's host is removed, then the record. A
// record already gone leaves nothing of its host behind. Idempotent: a repeated pass converges to the same state.
import * as df from 'durable-functions';
import { PreconditionFailedError } from '../../shared/domain/errors';
import type { ResourceRef } from '../../shared/domain/resourceId';
import type { ResourceRecord } from '../../shared/domain/resourceRecord';
import { openSecrets } from '../../shared/domain/services/secretSealing';
import type { JsonObject } from '../../shared/domain/specValidator';
import type { FileServerHostSpec, FileServerHostState } from '../../shared/ports/fileServerHosts';
import { getComputeServices, type ComputeServices } from './computeServices';
import {
  reconcileFileServerActivityName,
  type FileServerMonitorInput,
  type FileServerReconcileResult,
} from './fileServerMonitorContract';

const obj = (v: unknown): JsonObject =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : {};
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

const adminPasswordPath = 'properties.sshConfiguration.userAccountSettings.adminUserPassword';

/** The host's description of a file server record (its admin password opened, for Resource Manager only). */
export function fileServerHostSpec(
  key: string,
  record: ResourceRecord,
  services: Pick<ComputeServices, 'secrets'>,
): FileServerHostSpec {
  const spec = record.spec;
  const disks = obj(spec.dataDisks);
  const account = obj(obj(spec.sshConfiguration).userAccountSettings);
  const password = record.encryptedSecrets[adminPasswordPath]
    ? openSecrets(services.secrets, record)[adminPasswordPath]
    : undefined;
  const caching = String(disks.cachingType ?? 'none').toLowerCase();
  return {
    key,
    vmSize: String(spec.vmSize),
    dataDisks: {
      diskCount: Number(disks.diskCount),
      diskSizeInGB: Number(disks.diskSizeInGB),
      storageAccountType: String(disks.storageAccountType),
      cachingType: caching === 'readonly' || caching === 'readwrite' ? caching : 'none',
    },
    adminUserName: String(account.adminUserName),
    adminSshPublicKey: str(account.adminUserSshPublicKey),
    adminPassword: password,
    subnetId: str(obj(spec.subnet).id),
  };
}

/** The record once its host is ready or failed. */
function settled(
  record: ResourceRecord,
  host: Exclude<FileServerHostState, { state: 'creating' }>,
): ResourceRecord {
  const next = structuredClone(record);
  const now = new Date().toISOString();
  next.status = { ...next.status, provisioningStateTransitionTime: now };
  if (host.state === 'ready') {
    next.status.provisioningState = 'succeeded';
    next.status.mountSettings = { ...host.mountSettings };
    next.fileServer = host.localExport ? { localExport: host.localExport } : {};
  } else {
    next.status.provisioningState = 'failed';
    // An extension of Batch AI's FileServer (it had no field for it); the create operation reports the same.
    next.status.errors = [{ code: host.code, message: host.message }];
  }
  return next;
}

export async function reconcileFileServer(
  input: FileServerMonitorInput,
  services: ComputeServices = getComputeServices(),
): Promise<FileServerReconcileResult> {
  const hosts = services.fileServers;
  // At the cluster monitor's pace (COMPUTE_MONITOR_INTERVAL_SECONDS): a local host is ready, or gone, at once.
  const checkMs = services.timings.monitorIntervalMs;
  const ref: ResourceRef = { kind: 'fileServer', ...input.fileServer };
  const stored = await services.store.get(ref);
  const state = stored ? String(stored.record.status.provisioningState) : 'gone';
  if (!stored || state === 'deleting') {
    if (!(await hosts.remove(input.fileServerKey)))
      return { done: false, state: 'removing', nextCheckMs: checkMs };
    if (stored) await services.store.delete(ref);
    return { done: true, state: 'deleted', nextCheckMs: 0 };
  }
  if (state !== 'creating') return { done: true, state, nextCheckMs: 0 };
  const host = await hosts.ensure(fileServerHostSpec(input.fileServerKey, stored.record, services));
  if (host.state === 'creating')
    return { done: false, state: `creating (${host.detail})`, nextCheckMs: checkMs };
  try {
    await services.store.replace(settled(stored.record, host), stored.etag);
  } catch (error: unknown) {
    // Changed meanwhile (a delete): the next pass, at once, acts on what the record says now.
    if (!(error instanceof PreconditionFailedError)) throw error;
    return { done: false, state: 'changed', nextCheckMs: 0 };
  }
  return { done: true, state: host.state === 'ready' ? 'succeeded' : 'failed', nextCheckMs: 0 };
}

df.app.activity(reconcileFileServerActivityName, {
  handler: (input: FileServerMonitorInput) => reconcileFileServer(input),
});
