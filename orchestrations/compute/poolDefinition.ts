// Translates a cluster's stored properties (Batch AI ClusterBaseProperties) into the compute pool's definition:
// size, priority, image, subnet, admin account, node setup task and mount volumes for the agent. The setup task's
// secrets and the mounts' account keys go in sealed by `seal` (the node data key), never in plain text.
import * as path from 'path';
import type { AgentMount, AgentPerformanceCounters } from '../../shared/contracts/agentConfig';
import type { ResourceRecord } from '../../shared/domain/resourceRecord';
import type { JsonObject } from '../../shared/domain/specValidator';
import type { ComputeTimings, PerformanceCounterSettings } from '../../shared/config/computeConfig';
import { nodeEventsQueue, nodeSetupOutputContainer } from '../../shared/config/resourceNames';
import type { PoolDefinition, PoolImage } from '../../shared/ports/computePool';
import { batchAiDefaultImage, bootImage } from '../../shared/domain/nodeImages';
import {
  mountSealContext,
  performanceCountersSealContext,
  setupSealContext,
} from '../../shared/crypto/nodeSecretSealing';
import { cpuCountOf, gpuCountOf } from './vmSizeResources';
import { exportRelativePath, fileServerKeyOf, type FileServerEndpoints } from './fileServerEndpoints';

/** Seals name -> value for the nodes, bound to `context` (a real sealer, or a keyed fingerprint for change checks). */
export type NodeSealer = (values: Record<string, string>, context: string) => string;

/** The cluster's secrets as the node needs them, from the record's opened secrets (by JSON path). */
export interface ClusterSecrets {
  /** Opened `encryptedSecrets` of the cluster record. */
  byPath: Record<string, string>;
  seal: NodeSealer;
  /**
   * A secret the pool's provider itself needs (the admin password for Resource Manager): the value as it is, or, for
   * the definition that is only hashed, a keyed fingerprint of it. Without it no such secret is passed.
   */
  reveal?: (value: string, context: string) => string;
}

const obj = (v: unknown): JsonObject =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : {};
const list = (v: unknown): JsonObject[] => (Array.isArray(v) ? v.map(obj) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** The image the cluster's VMs boot: its own, or for Batch AI's retired ones the node image (nodeImages.ts). */
function imageOf(spec: JsonObject, vmSize: string): PoolImage {
  const ref = obj(obj(spec.virtualMachineConfiguration).imageReference);
  const custom = str(ref.virtualMachineImageId);
  if (custom) return { kind: 'custom', imageId: custom };
  const named = {
    publisher: str(ref.publisher) ?? batchAiDefaultImage.publisher,
    offer: str(ref.offer) ?? batchAiDefaultImage.offer,
    sku: str(ref.sku) ?? batchAiDefaultImage.sku,
    version: str(ref.version) ?? batchAiDefaultImage.version,
  };
  return { kind: 'marketplace', ...bootImage(named, vmSize) };
}

/** A volume's relativeMountPath as the API accepted it, without trailing '/'. */
const mountPathOf = (volume: JsonObject): string => String(volume.relativeMountPath).replace(/\/+$/, '');

/**
 * The agent's mounts of a `mountVolumes` object (the cluster's nodeSetup or a job's), whose JSON path is `base`.
 * `sealCredentials(path, relativeMountPath)` gives a volume's sealed `{"accountKey"}` from the record's secret at
 * `<path>.credentials.accountKey`, or undefined when it has none.
 */
export function agentMountsOf(
  volumes: JsonObject,
  base: string,
  sealCredentials: (path: string, relativeMountPath: string) => string | undefined,
  fileServers: FileServerEndpoints,
): AgentMount[] {
  const mounts: AgentMount[] = [];
  list(volumes.azureFileShares).forEach((share, i) => {
    mounts.push({
      kind: 'azureFileShare',
      relativeMountPath: mountPathOf(share),
      azureFileUrl: String(share.azureFileUrl),
      accountName: String(share.accountName),
      fileMode: str(share.fileMode),
      directoryMode: str(share.directoryMode),
      sealedCredentials: sealCredentials(`${base}.azureFileShares[${i}]`, mountPathOf(share)),
    });
  });
  list(volumes.azureBlobFileSystems).forEach((blob, i) => {
    mounts.push({
      kind: 'azureBlob',
      relativeMountPath: mountPathOf(blob),
      accountName: String(blob.accountName),
      containerName: String(blob.containerName),
      mountOptions: str(blob.mountOptions),
      sealedCredentials: sealCredentials(`${base}.azureBlobFileSystems[${i}]`, mountPathOf(blob)),
    });
  });
  for (const fs of list(volumes.fileServers)) {
    const id = String(obj(fs.fileServer).id ?? '');
    const endpoint = fileServers.get(fileServerKeyOf(id)) ?? `The file server '${id}' was not looked up.`;
    const common = {
      kind: 'nfs' as const,
      relativeMountPath: mountPathOf(fs),
      mountOptions: str(fs.mountOptions),
    };
    if (typeof endpoint === 'string') {
      mounts.push({ ...common, server: id.split('/').pop() || id, unavailable: endpoint });
      continue;
    }
    const rel = exportRelativePath(endpoint.mountPoint, str(fs.sourceDirectory));
    mounts.push({
      ...common,
      server: endpoint.server,
      sourceDirectory: path.posix.join(endpoint.mountPoint, rel),
      ...(endpoint.localExport ? { localExport: path.join(endpoint.localExport, rel) } : {}),
    });
  }
  for (const fsys of list(volumes.unmanagedFileSystems)) {
    mounts.push({
      kind: 'unmanaged',
      relativeMountPath: mountPathOf(fsys),
      mountCommand: String(fsys.mountCommand),
    });
  }
  return mounts;
}

function mountsOf(
  clusterKey: string,
  spec: JsonObject,
  secrets: ClusterSecrets | undefined,
  fileServers: FileServerEndpoints,
): AgentMount[] {
  return agentMountsOf(
    obj(obj(spec.nodeSetup).mountVolumes),
    'properties.nodeSetup.mountVolumes',
    (path, relativeMountPath) => {
      const accountKey = secrets?.byPath[`${path}.credentials.accountKey`];
      if (accountKey === undefined || !secrets) return undefined;
      return secrets.seal({ accountKey }, mountSealContext(clusterKey, relativeMountPath));
    },
    fileServers,
  );
}

/**
 * The nodes' performance counter reporting: when the cluster names an Application Insights component with an
 * instrumentation key (given, or read from Key Vault at create), sealed for the nodes.
 */
function performanceCountersOf(
  clusterKey: string,
  spec: JsonObject,
  secrets: ClusterSecrets | undefined,
  settings: PerformanceCounterSettings | undefined,
): AgentPerformanceCounters | undefined {
  const reference = obj(obj(obj(spec.nodeSetup).performanceCountersSettings).appInsightsReference);
  const instrumentationKey =
    secrets?.byPath[
      'properties.nodeSetup.performanceCountersSettings.appInsightsReference.instrumentationKey'
    ];
  if (!reference.component || instrumentationKey === undefined || !secrets || !settings) return undefined;
  return {
    ingestionEndpoint: settings.ingestionEndpoint,
    sealedInstrumentationKey: secrets.seal(
      { instrumentationKey },
      performanceCountersSealContext(clusterKey),
    ),
    intervalMs: settings.intervalMs,
    ...(settings.certificate ? { ingestionCertificate: settings.certificate } : {}),
  };
}

function adminPasswordOf(secrets: ClusterSecrets | undefined): string | undefined {
  const password = secrets?.byPath['properties.userAccountSettings.adminUserPassword'];
  return password !== undefined && secrets?.reveal ? secrets.reveal(password, 'adminPassword') : undefined;
}

/**
 * A node's contact lease (AgentConfig.contactLeaseMs): half the control plane's lost-after time. The agent of a
 * node cut off from the control plane has stopped its tasks (SIGKILL at most a quarter of the lease after the
 * SIGTERM) by 5/8 of the lost-after time, before the node is taken for lost and its jobs run again elsewhere; the
 * rest is the margin for the clocks and the event's trip (the control plane counts from the time the last event
 * says it was sent). None when the lease would hold fewer than three heartbeats (a lost-after time under six
 * heartbeats, Azure's default being six): one failed or late heartbeat would then stop a healthy node's jobs.
 */
export function contactLeaseOf(
  timings: Pick<ComputeTimings, 'nodeLostAfterMs' | 'heartbeatMs'>,
): number | undefined {
  const lease = Math.floor(timings.nodeLostAfterMs / 2);
  return lease >= 3 * timings.heartbeatMs && lease >= 1_000 ? lease : undefined;
}

export function poolDefinitionOf(
  clusterKey: string,
  cluster: ResourceRecord,
  timings: ComputeTimings,
  secrets?: ClusterSecrets,
  performanceCounters?: PerformanceCounterSettings,
  /** The mounted file servers' endpoints (fileServerEndpointsOf the cluster's nodeSetup.mountVolumes). */
  fileServers: FileServerEndpoints = new Map(),
): PoolDefinition {
  const spec = cluster.spec;
  const vmSize = String(spec.vmSize);
  const setupTask = obj(obj(spec.nodeSetup).setupTask);
  const environment: Record<string, string> = {};
  for (const variable of list(setupTask.environmentVariables)) {
    environment[String(variable.name)] = String(variable.value ?? '');
  }
  const setupSecrets: Record<string, string> = {};
  list(setupTask.secrets).forEach((secret, i) => {
    const value = secrets?.byPath[`properties.nodeSetup.setupTask.secrets[${i}].value`];
    if (value !== undefined) setupSecrets[String(secret.name)] = value;
  });
  const sealedEnvironment =
    secrets && Object.keys(setupSecrets).length > 0
      ? secrets.seal(setupSecrets, setupSealContext(clusterKey))
      : undefined;
  const account = obj(spec.userAccountSettings);
  return {
    clusterKey,
    vmSize,
    vmPriority:
      String(spec.vmPriority ?? 'dedicated').toLowerCase() === 'lowpriority' ? 'lowpriority' : 'dedicated',
    image: imageOf(spec, vmSize),
    subnetId: str(obj(spec.subnet).id),
    adminUserName: str(account.adminUserName),
    adminSshPublicKey: str(account.adminUserSshPublicKey),
    adminPassword: adminPasswordOf(secrets),
    agent: {
      clusterKey,
      vmSize,
      cpuCount: cpuCountOf(cluster),
      gpuCount: gpuCountOf(cluster),
      nodeEventsQueue,
      setupOutputContainer: nodeSetupOutputContainer,
      heartbeatIntervalMs: timings.heartbeatMs,
      contactLeaseMs: contactLeaseOf(timings),
      taskPollIntervalMs: 500,
      scheduledEventsPollIntervalMs: 1_000,
      setupTask: str(setupTask.commandLine)
        ? {
            commandLine: String(setupTask.commandLine),
            environment,
            sealedEnvironment,
            stdOutErrPath:
              str(setupTask.stdOutErrPathPrefix) && cluster.cluster?.setupOutputSuffix
                ? `${String(setupTask.stdOutErrPathPrefix).replace(/\/+$/, '')}/${cluster.cluster.setupOutputSuffix}`
                : undefined,
          }
        : undefined,
      mountVolumes: mountsOf(clusterKey, spec, secrets, fileServers),
      performanceCounters: performanceCountersOf(clusterKey, spec, secrets, performanceCounters),
    },
  };
}
