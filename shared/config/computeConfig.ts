// Compute settings, read once from the app settings and validated: which pool adapter (local processes unless an
// Azure subscription is configured), its parameters, and the monitor's timings.
import * as path from 'path';
import { ConfigurationError, readCertificateSetting } from './appConfig';
import { readStorageAccess, type StorageAccess } from './storageAccess';

export interface ComputeTimings {
  /** Node agents heartbeat this often. */
  heartbeatMs: number;
  /** No heartbeat for this long: the node is lost (marked unusable, then replaced). */
  nodeLostAfterMs: number;
  /** A node must register this long after creation. */
  registerWithinMs: number;
  /** The cluster monitor reconciles at least this often (and at once on a change). */
  monitorIntervalMs: number;
  /** Autoscale removes nodes idle for this long. */
  autoscaleIdleMs: number;
}

export interface LocalComputeSettings {
  kind: 'local';
  dataDir: string;
  storageConnectionString: string;
  /** IMDS (fake) URL the local agents poll for scheduled events; none by default. */
  metadataServiceUrl?: string;
}

export interface VmssComputeSettings {
  kind: 'vmss';
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  managedIdentityId: string;
  managedIdentityClientId: string;
  blobEndpoint: string;
  queueEndpoint: string;
  agentPackageUrl: string;
  subnetId?: string;
  /** Resource Manager endpoint (default Azure public cloud); a local fake in tests. */
  armEndpoint?: string;
  /** Key Vault where node data keys are published for the VMs (COMPUTE_KEY_VAULT_URL). */
  keyVaultUrl?: string;
}

/** Where nodes send the performance counters a cluster asks for (nodeSetup.performanceCountersSettings). */
export interface PerformanceCounterSettings {
  /** Application Insights ingestion (PERFORMANCE_COUNTERS_INGESTION_ENDPOINT; default the public cloud's). */
  ingestionEndpoint: string;
  /** A node samples and sends this often (PERFORMANCE_COUNTERS_INTERVAL_SECONDS; default 60). */
  intervalMs: number;
  /** PEM the agents trust for the ingestion endpoint only (PERFORMANCE_COUNTERS_CA_FILE: a local fake). */
  certificate?: string;
}

export interface ComputeConfig {
  /** The app's storage account (the Functions host's connection). */
  storage: StorageAccess;
  pool: LocalComputeSettings | VmssComputeSettings;
  timings: ComputeTimings;
  performanceCounters: PerformanceCounterSettings;
}

export const defaultIngestionEndpoint = 'https://dc.services.visualstudio.com/';

function performanceCounterSettings(env: Env): PerformanceCounterSettings {
  const endpoint = env.PERFORMANCE_COUNTERS_INGESTION_ENDPOINT?.trim() || defaultIngestionEndpoint;
  if (!/^https:\/\/[^/]+/.test(endpoint)) {
    throw new ConfigurationError(
      'PERFORMANCE_COUNTERS_INGESTION_ENDPOINT',
      `must be an https URL; it is '${endpoint}'.`,
    );
  }
  return {
    ingestionEndpoint: endpoint.endsWith('/') ? endpoint : `${endpoint}/`,
    intervalMs: seconds(env, 'PERFORMANCE_COUNTERS_INTERVAL_SECONDS', 60),
    certificate: readCertificateSetting(env, 'PERFORMANCE_COUNTERS_CA_FILE'),
  };
}

type Env = Readonly<Record<string, string | undefined>>;

function seconds(env: Env, name: string, fallback: number): number {
  const text = env[name]?.trim();
  if (!text) return fallback * 1000;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new ConfigurationError(name, `must be a positive number of seconds; it is '${text}'.`);
  }
  return Math.round(value * 1000);
}

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigurationError(name, 'is required but not set.');
  return value;
}

export function readComputeConfig(env: Env): ComputeConfig {
  const storage = readStorageAccess(env);
  const backend = (
    env.COMPUTE_BACKEND?.trim() || (env.COMPUTE_SUBSCRIPTION_ID ? 'vmss' : 'local')
  ).toLowerCase();
  // Local nodes are processes on this machine: heartbeats and monitor passes are cheap, so the defaults are short
  // enough that node states show within seconds. VMs take minutes to boot; their defaults follow Batch AI's pace.
  const local = backend === 'local';
  const heartbeatMs = seconds(env, 'COMPUTE_HEARTBEAT_SECONDS', local ? 2 : 15);
  const timings: ComputeTimings = {
    heartbeatMs,
    nodeLostAfterMs: seconds(env, 'COMPUTE_NODE_LOST_AFTER_SECONDS', local ? 10 : 90),
    registerWithinMs: seconds(env, 'COMPUTE_NODE_REGISTER_WITHIN_SECONDS', local ? 120 : 900),
    monitorIntervalMs: seconds(env, 'COMPUTE_MONITOR_INTERVAL_SECONDS', local ? 5 : 30),
    autoscaleIdleMs: seconds(env, 'COMPUTE_AUTOSCALE_IDLE_SECONDS', 300),
  };
  if (timings.nodeLostAfterMs < 2 * heartbeatMs) {
    throw new ConfigurationError(
      'COMPUTE_NODE_LOST_AFTER_SECONDS',
      'must be at least twice COMPUTE_HEARTBEAT_SECONDS.',
    );
  }
  if (backend === 'local') {
    const dataDir = env.COMPUTE_DATA_DIR?.trim() || env.DATA_DIR?.trim();
    if (!dataDir)
      throw new ConfigurationError('DATA_DIR', 'is required for local compute (nodes live under it).');
    // Local node agents get the connection string in their own configuration (the development account's).
    if (storage.kind !== 'connectionString') {
      throw new ConfigurationError('AzureWebJobsStorage', 'must be a connection string for local compute.');
    }
    return {
      storage,
      timings,
      performanceCounters: performanceCounterSettings(env),
      pool: {
        kind: 'local',
        dataDir: path.resolve(dataDir),
        storageConnectionString: storage.connectionString,
        metadataServiceUrl: env.COMPUTE_IMDS_URL?.trim() || undefined,
      },
    };
  }
  if (backend !== 'vmss')
    throw new ConfigurationError('COMPUTE_BACKEND', `must be 'local' or 'vmss'; it is '${backend}'.`);
  return {
    storage,
    timings,
    performanceCounters: performanceCounterSettings(env),
    pool: {
      kind: 'vmss',
      subscriptionId: required(env, 'COMPUTE_SUBSCRIPTION_ID'),
      resourceGroup: required(env, 'COMPUTE_RESOURCE_GROUP'),
      location: required(env, 'COMPUTE_LOCATION'),
      managedIdentityId: required(env, 'COMPUTE_IDENTITY_ID'),
      managedIdentityClientId: required(env, 'COMPUTE_IDENTITY_CLIENT_ID'),
      blobEndpoint: required(env, 'COMPUTE_STORAGE_BLOB_ENDPOINT'),
      queueEndpoint: required(env, 'COMPUTE_STORAGE_QUEUE_ENDPOINT'),
      agentPackageUrl: required(env, 'COMPUTE_AGENT_PACKAGE_URL'),
      subnetId: env.COMPUTE_SUBNET_ID?.trim() || undefined,
      armEndpoint: env.COMPUTE_ARM_ENDPOINT?.trim() || undefined,
      keyVaultUrl: env.COMPUTE_KEY_VAULT_URL?.trim() || undefined,
    },
  };
}
