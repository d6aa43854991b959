// Translates a cluster's stored properties (Batch AI ClusterBaseProperties) into the compute pool's definition:
// size, priority, image, subnet, admin account, node setup task and mount volumes for the agent.
import type { AgentMount } from '../../shared/contracts/agentConfig';
import type { ResourceRecord } from '../../shared/domain/resourceRecord';
import type { JsonObject } from '../../shared/domain/specValidator';
import type { ComputeTimings } from '../../shared/config/computeConfig';
import { nodeEventsQueue, nodeSetupOutputContainer } from '../../shared/config/resourceNames';
import type { PoolDefinition, PoolImage } from '../../shared/ports/computePool';
import { cpuCountOf, gpuCountOf } from './vmSizeResources';

const obj = (v: unknown): JsonObject =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : {};
const list = (v: unknown): JsonObject[] => (Array.isArray(v) ? v.map(obj) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

function imageOf(spec: JsonObject): PoolImage {
  const ref = obj(obj(spec.virtualMachineConfiguration).imageReference);
  const custom = str(ref.virtualMachineImageId);
  if (custom) return { kind: 'custom', imageId: custom };
  return {
    kind: 'marketplace',
    publisher: str(ref.publisher) ?? 'Canonical',
    offer: str(ref.offer) ?? 'UbuntuServer',
    sku: str(ref.sku) ?? '16.04-LTS',
    version: str(ref.version) ?? 'latest',
  };
}

function mountsOf(spec: JsonObject): AgentMount[] {
  const volumes = obj(obj(spec.nodeSetup).mountVolumes);
  const mounts: AgentMount[] = [];
  for (const share of list(volumes.azureFileShares)) {
    mounts.push({
      kind: 'azureFileShare',
      relativeMountPath: String(share.relativeMountPath),
      azureFileUrl: String(share.azureFileUrl),
      accountName: String(share.accountName),
      fileMode: str(share.fileMode),
      directoryMode: str(share.directoryMode),
    });
  }
  for (const blob of list(volumes.azureBlobFileSystems)) {
    mounts.push({
      kind: 'azureBlob',
      relativeMountPath: String(blob.relativeMountPath),
      accountName: String(blob.accountName),
      containerName: String(blob.containerName),
      mountOptions: str(blob.mountOptions),
    });
  }
  for (const fs of list(volumes.fileServers)) {
    // The NFS server's address comes from the file server resource; until file servers are provisioned, its name.
    const id = String(obj(fs.fileServer).id ?? '');
    mounts.push({
      kind: 'nfs',
      relativeMountPath: String(fs.relativeMountPath),
      server: id.split('/').pop() || id,
      sourceDirectory: str(fs.sourceDirectory),
      mountOptions: str(fs.mountOptions),
    });
  }
  for (const fsys of list(volumes.unmanagedFileSystems)) {
    mounts.push({
      kind: 'unmanaged',
      relativeMountPath: String(fsys.relativeMountPath),
      mountCommand: String(fsys.mountCommand),
    });
  }
  return mounts;
}

export function poolDefinitionOf(
  clusterKey: string,
  cluster: ResourceRecord,
  timings: ComputeTimings,
): PoolDefinition {
  const spec = cluster.spec;
  const vmSize = String(spec.vmSize);
  const setupTask = obj(obj(spec.nodeSetup).setupTask);
  const environment: Record<string, string> = {};
  for (const variable of list(setupTask.environmentVariables)) {
    environment[String(variable.name)] = String(variable.value ?? '');
  }
  const account = obj(spec.userAccountSettings);
  return {
    clusterKey,
    vmSize,
    vmPriority:
      String(spec.vmPriority ?? 'dedicated').toLowerCase() === 'lowpriority' ? 'lowpriority' : 'dedicated',
    image: imageOf(spec),
    subnetId: str(obj(spec.subnet).id),
    adminUserName: str(account.adminUserName),
    adminSshPublicKey: str(account.adminUserSshPublicKey),
    agent: {
      clusterKey,
      vmSize,
      cpuCount: cpuCountOf(vmSize),
      gpuCount: gpuCountOf(vmSize),
      nodeEventsQueue,
      setupOutputContainer: nodeSetupOutputContainer,
      heartbeatIntervalMs: timings.heartbeatMs,
      taskPollIntervalMs: 500,
      scheduledEventsPollIntervalMs: 1_000,
      setupTask: str(setupTask.commandLine)
        ? { commandLine: String(setupTask.commandLine), environment }
        : undefined,
      mountVolumes: mountsOf(spec),
    },
  };
}
