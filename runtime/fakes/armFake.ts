// A local HTTPS fake of Azure Resource Manager, speaking the real protocol so the real @azure/arm-compute and
// @azure/arm-network clients and their pollers run against it: PUT 201 + Azure-AsyncOperation, PATCH and
// POST .../delete and DELETE 202 + Azure-AsyncOperation + Location, provisioning states and failures
// ({status:'Failed', error}) such as QuotaExceeded. It serves Microsoft.Compute scale sets (per-instance VMs),
// single VMs with their extensions (file servers), and Microsoft.Network network interfaces. Loopback only; its
// certificate is in ./tls.
import { randomUUID } from 'crypto';
import * as https from 'https';
import type { AddressInfo } from 'net';
import { builtInVmSize, builtInVmSizeNames } from '../../shared/domain/vmSizeTable';
import { loadLoopbackCertificate } from './loopbackCertificate';

type Json = Record<string, unknown>;

export interface ArmFakeOptions {
  /** Total vCPUs the subscription may use in the fake (QuotaExceeded beyond). Default unlimited. */
  coreQuota?: number;
  /** How long an operation stays InProgress. Default 100 ms. */
  operationDelayMs?: number;
  /** The locations whose VM sizes Resource SKUs lists (every size of the built-in table). Default eastus, westus2. */
  skuLocations?: string[];
  /** Resource SKUs entries per page (Azure pages the list with nextLink). Default 100. */
  skuPageSize?: number;
}

/** A VM size as the fake's Resource SKUs lists it in one location. */
export interface FakeVmSize {
  name: string;
  vCpus: number;
  gpus?: number;
  lowPriorityCapable?: boolean;
  /** Azure's reason the subscription may not use it there (NotAvailableForSubscription, QuotaId). */
  restriction?: 'NotAvailableForSubscription' | 'QuotaId';
}

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
}

interface FakeInstance {
  instanceId: string;
  provisioningState: 'Creating' | 'Succeeded' | 'Deleting' | 'Failed';
  timeCreated: string;
}

interface FakeScaleSet {
  id: string;
  name: string;
  location: string;
  body: Json;
  provisioningState: string;
  instances: Map<string, FakeInstance>;
  /** Changes with every change of the model, its capacity included (If-Match / If-None-Match). */
  etag: string;
}

interface FakeNetworkInterface {
  id: string;
  name: string;
  location: string;
  body: Json;
  provisioningState: 'Updating' | 'Succeeded' | 'Deleting';
  privateIPAddress: string;
  etag: string;
}

interface FakeExtension {
  id: string;
  name: string;
  location: string;
  body: Json;
  provisioningState: 'Creating' | 'Updating' | 'Succeeded' | 'Failed';
  /** The handler's output when it failed (the instance view's message). */
  failureMessage?: string;
}

interface FakeVirtualMachine {
  id: string;
  name: string;
  location: string;
  body: Json;
  provisioningState: 'Creating' | 'Updating' | 'Succeeded' | 'Failed' | 'Deleting';
  /** Why provisioning failed (the instance view's ProvisioningState/failed/<code> status). */
  failure?: { code: string; message: string };
  /** Holds its cores (it was allocated). */
  allocated: boolean;
  vmId: string;
  extensions: Map<string, FakeExtension>;
}

interface FakeOperation {
  id: string;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  error?: { code: string; message: string };
  startTime: string;
  endTime?: string;
  resourceId?: string;
}

export interface ArmFake {
  endpoint: string;
  /** PEM of the fake's certificate: trust it for one client only. */
  certificate: string;
  requests: RecordedRequest[];
  /** The wire body of a scale set as last PUT (with properties), or undefined. */
  scaleSet(resourceGroup: string, name: string): Json | undefined;
  instances(resourceGroup: string, name: string): FakeInstance[];
  /** Marks an instance Failed (a VM failure). */
  failInstance(resourceGroup: string, name: string, instanceId: string): void;
  setCoreQuota(cores: number | undefined): void;
  /** The wire body of a VM as last PUT (with the admin password ARM never returns), or undefined. */
  virtualMachine(resourceGroup: string, name: string): Json | undefined;
  /** The wire body of a VM extension as last PUT (with its protected settings), or undefined. */
  virtualMachineExtension(resourceGroup: string, vmName: string, name: string): Json | undefined;
  /** A network interface as GET returns it (private IP, provisioning state), or undefined. */
  networkInterface(resourceGroup: string, name: string): Json | undefined;
  /**
   * Makes a VM extension fail with `message` (its handler's output): now if it exists, else when its next PUT's
   * operation completes (the operation fails with VMExtensionProvisioningError).
   */
  failExtension(resourceGroup: string, vmName: string, name: string, message: string): void;
  /** Adds a VM size to a location's Resource SKUs, or replaces the one of that name (restrictions, capabilities). */
  setVmSize(location: string, size: FakeVmSize): void;
  /** Makes Resource SKUs answer this error (e.g. 403 AuthorizationFailed), or answer again when undefined. */
  failSkuList(failure: { status: number; code: string } | undefined): void;
  stop(): Promise<void>;
}

const scaleSetPath =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachineScaleSets\/([^/]+)(\/delete|\/virtualMachines)?$/i;
const virtualMachinePath =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachines\/([^/]+)(?:\/extensions\/([^/]+))?$/i;
const networkInterfacePath =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/networkInterfaces\/([^/]+)$/i;
const subnetIdPattern =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+\/subnets\/[^/]+$/i;
/**
 * Resource Manager's limit on `osProfile.customData`: 65,535 bytes once decoded, so 87,380 base64 characters
 * (larger custom data is refused with InvalidParameter).
 */
export const customDataMaxLength = 87_380;
const skusPath = /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.Compute\/skus$/i;

/** A Resource SKUs entry as Azure writes one for a VM size (api-version 2021-07-01). */
function skuWire(location: string, size: FakeVmSize): Json {
  const [, series = ''] = /^standard_([a-z]+)/i.exec(size.name) ?? [];
  return {
    resourceType: 'virtualMachines',
    name: size.name,
    tier: 'Standard',
    size: size.name.replace(/^standard_/i, ''),
    family: `standard${series.toUpperCase()}Family`,
    locations: [location],
    locationInfo: [{ location, zones: ['1', '2', '3'], zoneDetails: [] }],
    capabilities: [
      { name: 'vCPUs', value: String(size.vCpus) },
      ...(size.gpus ? [{ name: 'GPUs', value: String(size.gpus) }] : []),
      { name: 'LowPriorityCapable', value: size.lowPriorityCapable === false ? 'False' : 'True' },
      { name: 'HyperVGenerations', value: 'V1,V2' },
    ],
    restrictions: size.restriction
      ? [
          {
            type: 'Location',
            values: [location],
            restrictionInfo: { locations: [location] },
            reasonCode: size.restriction,
          },
        ]
      : [],
  };
}

const operationPath =
  /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.(Compute|Network)\/locations\/([^/]+)\/operations\/([^/]+)$/i;

/** The api-version each provider's operation URLs carry. */
const operationApiVersions = { Compute: '2024-07-01', Network: '2024-05-01' };

/** Resource Manager's answer to a PUT without a location. */
const locationRequired = [
  'LocationRequired',
  'The location property is required for this definition.',
] as const;

export async function startArmFake(options: ArmFakeOptions = {}): Promise<ArmFake> {
  const { certificate, key } = loadLoopbackCertificate();
  const delayMs = options.operationDelayMs ?? 100;
  let coreQuota = options.coreQuota;
  const scaleSets = new Map<string, FakeScaleSet>();
  const virtualMachines = new Map<string, FakeVirtualMachine>();
  const networkInterfaces = new Map<string, FakeNetworkInterface>();
  /** Extensions that fail when their operation completes, by `rg/vm/name`: their handler's output. */
  const extensionFailures = new Map<string, string>();
  let nextPrivateIP = 4; // Azure keeps .0-.3 of a subnet for itself
  const operations = new Map<string, FakeOperation>();
  const requests: RecordedRequest[] = [];
  let endpoint = '';
  /** Resource SKUs' VM sizes by location, then by lower-case name. */
  const vmSizes = new Map<string, Map<string, FakeVmSize>>();
  for (const location of options.skuLocations ?? ['eastus', 'westus2']) {
    const sizes = new Map<string, FakeVmSize>();
    for (const name of builtInVmSizeNames()) {
      const resources = builtInVmSize(name)!;
      sizes.set(name.toLowerCase(), { name, vCpus: resources.vCpus, gpus: resources.gpus });
    }
    vmSizes.set(location.toLowerCase(), sizes);
  }
  const skuPageSize = options.skuPageSize ?? 100;
  /** vCPUs of a size for the fake's core quota: as its Resource SKUs list it, else 1. */
  const coresOfSize = (vmSize: string): number => {
    for (const sizes of vmSizes.values()) {
      const size = sizes.get(vmSize.toLowerCase());
      if (size) return size.vCpus;
    }
    return 1;
  };
  let skuListFailure: { status: number; code: string } | undefined;

  /**
   * GET Resource SKUs: every location's VM sizes (or those of `$filter=location eq '<name>'`), with a disk SKU
   * among them as Azure mixes resource types, paged by `$skiptoken` in nextLink.
   */
  function serveSkus(url: URL, reply: Reply): void {
    if (skuListFailure !== undefined) {
      reply.fail(skuListFailure.status, skuListFailure.code, `Resource SKUs failed: ${skuListFailure.code}.`);
      return;
    }
    const filter = url.searchParams.get('$filter');
    let locations = [...vmSizes.keys()];
    if (filter) {
      const match = /^location eq '([^']*)'$/i.exec(filter.trim());
      if (!match) {
        reply.fail(400, 'InvalidFilter', `Only a location filter is supported: '${filter}'.`);
        return;
      }
      locations = locations.filter((location) => location === match[1]!.toLowerCase());
    }
    const all: Json[] = [];
    for (const location of locations) {
      all.push({ resourceType: 'disks', name: 'Premium_LRS', tier: 'Premium', locations: [location] });
      for (const size of vmSizes.get(location)!.values()) all.push(skuWire(location, size));
    }
    const from = Number(url.searchParams.get('$skiptoken') ?? '0');
    const page = all.slice(from, from + skuPageSize);
    const next = new URL(url.href);
    next.searchParams.set('$skiptoken', String(from + skuPageSize));
    reply.send(200, { value: page, ...(from + skuPageSize < all.length ? { nextLink: next.href } : {}) });
  }

  const keyOf = (rg: string, name: string): string => `${rg}/${name}`.toLowerCase();

  const vmSizeOf = (vm: FakeVirtualMachine): string =>
    String(((vm.body.properties as Json)?.hardwareProfile as Json | undefined)?.vmSize ?? '');

  /** Cores held by scale set instances and allocated VMs (other than `except`). */
  function usedCores(except?: FakeScaleSet | FakeVirtualMachine): number {
    let total = 0;
    for (const set of scaleSets.values()) {
      if (set === except) continue;
      total += set.instances.size * coresOfSize(String((set.body.sku as Json)?.name ?? ''));
    }
    for (const vm of virtualMachines.values()) {
      if (vm !== except && vm.allocated) total += coresOfSize(vmSizeOf(vm));
    }
    return total;
  }

  /** Starts an async operation; `work` runs when it completes and may fail it. */
  function startOperation(
    subscription: string,
    provider: keyof typeof operationApiVersions,
    location: string,
    resourceId: string,
    work: () => FakeOperation['error'] | void,
  ): {
    asyncUrl: string;
    locationUrl: string;
  } {
    const op: FakeOperation = {
      id: randomUUID(),
      status: 'InProgress',
      startTime: new Date().toISOString(),
      resourceId,
    };
    operations.set(op.id, op);
    setTimeout(() => {
      const error = work();
      op.status = error ? 'Failed' : 'Succeeded';
      op.error = error ?? undefined;
      op.endTime = new Date().toISOString();
    }, delayMs);
    const base = `${endpoint}/subscriptions/${subscription}/providers/Microsoft.${provider}/locations/${location}/operations/${op.id}?api-version=${operationApiVersions[provider]}`;
    return { asyncUrl: base, locationUrl: `${base}&monitor=true` };
  }

  const newEtag = (): string => `"${randomUUID()}"`;

  /**
   * Brings the instance count to `capacity`: new instances take the lowest free instance ids (Uniform mode reuses
   * the ids of deleted instances, as Azure documents it may), a scale-in removes the highest ids (the platform
   * chooses: whatever runs there goes, as with Azure's scale-in policy). Instances being deleted still count.
   */
  function applyCapacity(set: FakeScaleSet, capacity: number): FakeOperation['error'] | void {
    const cores = coresOfSize(String((set.body.sku as Json)?.name ?? ''));
    const growth = capacity - set.instances.size;
    if (growth > 0 && coreQuota !== undefined && usedCores(set) + capacity * cores > coreQuota) {
      set.provisioningState = 'Failed';
      return {
        code: 'QuotaExceeded',
        message: `Operation could not be completed as it results in exceeding approved Total Regional Cores quota. Location: ${set.location}, Current Limit: ${coreQuota}, Current Usage: ${usedCores(set) + set.instances.size * cores}, Additional Required: ${growth * cores}.`,
      };
    }
    for (let i = 0; i < growth; i++) {
      let free = 0;
      while (set.instances.has(String(free))) free++;
      const instanceId = String(free);
      set.instances.set(instanceId, {
        instanceId,
        provisioningState: 'Succeeded',
        timeCreated: new Date().toISOString(),
      });
    }
    if (growth < 0) {
      const ids = [...set.instances.keys()].sort((a, b) => Number(b) - Number(a)).slice(0, -growth);
      for (const id of ids) set.instances.delete(id);
    }
    if ((set.body.sku as Json).capacity !== capacity) set.etag = newEtag();
    (set.body.sku as Json).capacity = capacity;
    set.provisioningState = 'Succeeded';
  }

  /**
   * A capacity below the instance count (instances being deleted count until they are gone) is a scale-in: the
   * platform picks its victims when it takes the request (the highest ids among the active instances, whatever runs
   * there), and they are deleting from then on. Returns the work that removes them when the operation completes.
   */
  function startScaleIn(set: FakeScaleSet, capacity: number): () => void {
    const victims = [...set.instances.values()]
      .filter((vm) => vm.provisioningState !== 'Deleting')
      .sort((a, b) => Number(b.instanceId) - Number(a.instanceId))
      .slice(0, Math.max(0, set.instances.size - capacity));
    for (const vm of victims) vm.provisioningState = 'Deleting';
    return () => {
      for (const vm of victims)
        if (set.instances.get(vm.instanceId) === vm) set.instances.delete(vm.instanceId);
    };
  }

  function wireOf(set: FakeScaleSet): Json {
    const properties = { ...((set.body.properties as Json) ?? {}), provisioningState: set.provisioningState };
    return {
      ...set.body,
      id: set.id,
      name: set.name,
      type: 'Microsoft.Compute/virtualMachineScaleSets',
      etag: set.etag,
      properties,
    };
  }

  function vmWire(set: FakeScaleSet, vm: FakeInstance): Json {
    return {
      id: `${set.id}/virtualMachines/${vm.instanceId}`,
      name: `${set.name}_${vm.instanceId}`,
      type: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines',
      location: set.location,
      instanceId: vm.instanceId,
      sku: set.body.sku,
      properties: {
        provisioningState: vm.provisioningState,
        timeCreated: vm.timeCreated,
        latestModelApplied: true,
      },
    };
  }

  /** The network interfaces a VM body references, with what happens to them when the VM is deleted. */
  function interfacesOf(vmBody: Json): { id: string; deleteOption?: unknown }[] {
    const references = ((vmBody.properties as Json | undefined)?.networkProfile as Json | undefined)
      ?.networkInterfaces;
    if (!Array.isArray(references)) return [];
    return (references as Json[])
      .filter((reference) => typeof reference?.id === 'string')
      .map((reference) => ({
        id: reference.id as string,
        deleteOption: (reference.properties as Json | undefined)?.deleteOption,
      }));
  }

  const sameId = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

  function networkInterfaceById(id: string): FakeNetworkInterface | undefined {
    return [...networkInterfaces.values()].find((nic) => sameId(nic.id, id));
  }

  function virtualMachineUsing(nicId: string): FakeVirtualMachine | undefined {
    return [...virtualMachines.values()].find((vm) => interfacesOf(vm.body).some((r) => sameId(r.id, nicId)));
  }

  function networkInterfaceWire(nic: FakeNetworkInterface): Json {
    const props = (nic.body.properties as Json | undefined) ?? {};
    const configurations = Array.isArray(props.ipConfigurations) ? (props.ipConfigurations as Json[]) : [];
    const user = virtualMachineUsing(nic.id);
    return {
      ...nic.body,
      id: nic.id,
      name: nic.name,
      type: 'Microsoft.Network/networkInterfaces',
      location: nic.location,
      etag: nic.etag,
      properties: {
        ...props,
        provisioningState: nic.provisioningState,
        ipConfigurations: configurations.map((configuration, index) => {
          const name = String(configuration.name ?? `ipconfig${index + 1}`);
          const ipProps = (configuration.properties as Json | undefined) ?? {};
          return {
            ...configuration,
            id: `${nic.id}/ipConfigurations/${name}`,
            name,
            etag: nic.etag,
            type: 'Microsoft.Network/networkInterfaces/ipConfigurations',
            properties: {
              ...ipProps,
              privateIPAllocationMethod: ipProps.privateIPAllocationMethod ?? 'Dynamic',
              primary: index === 0,
              provisioningState: nic.provisioningState,
              ...(index === 0
                ? { privateIPAddress: nic.privateIPAddress, privateIPAddressVersion: 'IPv4' }
                : {}),
            },
          };
        }),
        ...(user ? { virtualMachine: { id: user.id } } : {}),
      },
    };
  }

  function provisioningStatus(state: string, failure?: { code: string; message: string }): Json {
    const time = new Date().toISOString();
    if (failure) {
      return {
        code: `ProvisioningState/failed/${failure.code}`,
        level: 'Error',
        displayStatus: 'Provisioning failed',
        message: failure.message,
        time,
      };
    }
    const done = state === 'Succeeded';
    return {
      code: `ProvisioningState/${state.toLowerCase()}`,
      level: 'Info',
      displayStatus: done ? 'Provisioning succeeded' : state,
      time,
    };
  }

  function extensionInstanceView(extension: FakeExtension): Json {
    const props = (extension.body.properties as Json | undefined) ?? {};
    const status =
      extension.provisioningState === 'Failed'
        ? {
            code: 'ProvisioningState/failed/1',
            level: 'Error',
            displayStatus: 'Provisioning failed',
            message: extension.failureMessage ?? '',
          }
        : extension.provisioningState === 'Succeeded'
          ? {
              code: 'ProvisioningState/succeeded',
              level: 'Info',
              displayStatus: 'Provisioning succeeded',
              message: 'Enable succeeded',
            }
          : { code: 'ProvisioningState/transitioning', level: 'Info', displayStatus: 'Transitioning' };
    return {
      name: extension.name,
      type: `${String(props.publisher)}.${String(props.type)}`,
      typeHandlerVersion: props.typeHandlerVersion,
      statuses: [status],
    };
  }

  /** An extension as ARM returns it: never its protected settings. */
  function extensionWire(extension: FakeExtension, withInstanceView: boolean): Json {
    const { protectedSettings: _secret, ...props } = (extension.body.properties as Json | undefined) ?? {};
    return {
      ...extension.body,
      id: extension.id,
      name: extension.name,
      type: 'Microsoft.Compute/virtualMachines/extensions',
      location: extension.location,
      properties: {
        ...props,
        provisioningState: extension.provisioningState,
        ...(withInstanceView ? { instanceView: extensionInstanceView(extension) } : {}),
      },
    };
  }

  /** A VM as ARM returns it: never its admin password or custom data. */
  function virtualMachineWire(vm: FakeVirtualMachine, withInstanceView: boolean): Json {
    const props = (vm.body.properties as Json | undefined) ?? {};
    const {
      adminPassword: _password,
      customData: _customData,
      ...osProfile
    } = (props.osProfile as Json | undefined) ?? {};
    const extensions = [...vm.extensions.values()];
    return {
      ...vm.body,
      id: vm.id,
      name: vm.name,
      type: 'Microsoft.Compute/virtualMachines',
      location: vm.location,
      properties: {
        ...props,
        ...(props.osProfile ? { osProfile } : {}),
        vmId: vm.vmId,
        provisioningState: vm.provisioningState,
        ...(withInstanceView
          ? {
              instanceView: {
                computerName: osProfile.computerName,
                statuses: [
                  provisioningStatus(
                    vm.provisioningState,
                    vm.provisioningState === 'Failed' ? vm.failure : undefined,
                  ),
                  ...(vm.allocated
                    ? [{ code: 'PowerState/running', level: 'Info', displayStatus: 'VM running' }]
                    : []),
                ],
                extensions: extensions.map(extensionInstanceView),
              },
            }
          : {}),
      },
      ...(extensions.length ? { resources: extensions.map((e) => extensionWire(e, false)) } : {}),
    };
  }

  /** What a finished operation returns: the resource as it is now, if it still exists. */
  function resourceWireById(resourceId: string | undefined): Json | undefined {
    if (!resourceId) return undefined;
    const set = [...scaleSets.values()].find((candidate) => sameId(candidate.id, resourceId));
    if (set) return wireOf(set);
    for (const vm of virtualMachines.values()) {
      if (sameId(vm.id, resourceId)) return virtualMachineWire(vm, false);
      const extension = [...vm.extensions.values()].find((candidate) => sameId(candidate.id, resourceId));
      if (extension) return extensionWire(extension, false);
    }
    const nic = networkInterfaceById(resourceId);
    return nic ? networkInterfaceWire(nic) : undefined;
  }

  /** Completes a VM's create or update: allocates its cores, or fails it with QuotaExceeded. */
  function provisionVirtualMachine(key: string, vm: FakeVirtualMachine): FakeOperation['error'] | void {
    if (virtualMachines.get(key) !== vm || vm.provisioningState === 'Deleting') return;
    const cores = coresOfSize(vmSizeOf(vm));
    if (!vm.allocated && coreQuota !== undefined && usedCores(vm) + cores > coreQuota) {
      const failure = {
        code: 'QuotaExceeded',
        message: `Operation could not be completed as it results in exceeding approved Total Regional Cores quota. Location: ${vm.location}, Current Limit: ${coreQuota}, Current Usage: ${usedCores(vm)}, Additional Required: ${cores}.`,
      };
      vm.provisioningState = 'Failed';
      vm.failure = failure;
      return failure;
    }
    vm.allocated = true;
    vm.failure = undefined;
    vm.provisioningState = 'Succeeded';
  }

  interface Reply {
    send(status: number, payload?: unknown, headers?: Record<string, string>): void;
    fail(status: number, code: string, message: string): void;
  }

  /** Answers a PUT (200/201 with the resource) or a DELETE (202) and starts its operation. */
  function acceptOperation(
    reply: Reply,
    target: {
      subscription: string;
      provider: keyof typeof operationApiVersions;
      location: string;
      id: string;
    },
    work: () => FakeOperation['error'] | void,
    created?: { status: 200 | 201; wire: () => Json },
  ): void {
    const { asyncUrl, locationUrl } = startOperation(
      target.subscription,
      target.provider,
      target.location,
      target.id,
      work,
    );
    if (created) reply.send(created.status, created.wire(), { 'azure-asyncoperation': asyncUrl });
    else
      reply.send(202, undefined, {
        'azure-asyncoperation': asyncUrl,
        location: locationUrl,
        'retry-after': '0',
      });
  }

  function serveNetworkInterface(match: RegExpExecArray, method: string, body: unknown, reply: Reply): void {
    const [, subscription, resourceGroup, name] = match;
    const id = `/subscriptions/${subscription}/resourceGroups/${resourceGroup}/providers/Microsoft.Network/networkInterfaces/${name}`;
    const key = keyOf(resourceGroup, name);
    const nic = networkInterfaces.get(key);
    switch (method) {
      case 'GET':
        if (!nic) return reply.fail(404, 'NotFound', `Resource ${id} not found.`);
        return reply.send(200, networkInterfaceWire(nic));
      case 'PUT': {
        const input = body as Json | undefined;
        if (!input || typeof input.location !== 'string') return reply.fail(400, ...locationRequired);
        const configurations = (input.properties as Json | undefined)?.ipConfigurations;
        if (!Array.isArray(configurations) || configurations.length === 0) {
          return reply.fail(
            400,
            'InvalidRequestFormat',
            `Cannot parse the request: network interface ${id} needs at least one IP configuration.`,
          );
        }
        for (const configuration of configurations as Json[]) {
          const subnetId = ((configuration?.properties as Json | undefined)?.subnet as Json | undefined)?.id;
          if (typeof subnetId !== 'string' || !subnetIdPattern.test(subnetId)) {
            return reply.fail(
              400,
              'InvalidResourceReference',
              `Resource ${String(subnetId)} referenced by resource ${id} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`,
            );
          }
        }
        const first = ((configurations[0] as Json).properties as Json | undefined) ?? {};
        const target: FakeNetworkInterface = nic ?? {
          id,
          name,
          location: input.location,
          body: {},
          provisioningState: 'Updating',
          privateIPAddress: '',
          etag: '',
        };
        target.privateIPAddress =
          first.privateIPAllocationMethod === 'Static' && typeof first.privateIPAddress === 'string'
            ? first.privateIPAddress
            : target.privateIPAddress || `10.0.0.${nextPrivateIP++}`;
        target.body = input;
        target.provisioningState = 'Updating';
        target.etag = `W/"${randomUUID()}"`;
        networkInterfaces.set(key, target);
        acceptOperation(
          reply,
          { subscription, provider: 'Network', location: target.location, id },
          () => {
            if (networkInterfaces.get(key) === target && target.provisioningState === 'Updating')
              target.provisioningState = 'Succeeded';
          },
          { status: nic ? 200 : 201, wire: () => networkInterfaceWire(target) },
        );
        return;
      }
      case 'DELETE': {
        if (!nic) return reply.send(204);
        const user = virtualMachineUsing(nic.id);
        if (user) {
          return reply.fail(
            400,
            'NicInUse',
            `Network Interface ${nic.id} is used by existing resource ${user.id}. In order to delete the network interface, it must be dissociated from the resource.`,
          );
        }
        nic.provisioningState = 'Deleting';
        acceptOperation(
          reply,
          { subscription, provider: 'Network', location: nic.location, id: nic.id },
          () => {
            if (networkInterfaces.get(key) === nic) networkInterfaces.delete(key);
          },
        );
        return;
      }
      default:
        reply.fail(405, 'MethodNotAllowed', `${method} is not supported.`);
    }
  }

  /** Why a VM body cannot be created, or undefined. */
  function invalidVirtualMachine(input: Json, creating: boolean): string | undefined {
    const props = input.properties as Json | undefined;
    if (typeof (props?.hardwareProfile as Json | undefined)?.vmSize !== 'string')
      return "Required parameter 'hardwareProfile.vmSize' is missing (null).";
    const references = interfacesOf(input);
    if (references.length === 0)
      return "Required parameter 'networkProfile.networkInterfaces' is missing (null).";
    const missing = references.find((reference) => !networkInterfaceById(reference.id));
    if (missing)
      return `The network interface ${missing.id} referenced by the virtual machine was not found.`;
    const disks = (props?.storageProfile as Json | undefined)?.dataDisks;
    for (const disk of Array.isArray(disks) ? (disks as Json[]) : []) {
      if (typeof disk?.lun !== 'number') return "Required parameter 'dataDisk.lun' is missing (null).";
      if (disk.createOption === 'Empty' && typeof disk.diskSizeGB !== 'number')
        return "Required parameter 'dataDisk.diskSizeGB' is missing (null).";
    }
    if (!creating) return undefined;
    const osProfile = props?.osProfile as Json | undefined;
    if (typeof osProfile?.adminUsername !== 'string')
      return "Required parameter 'osProfile' is missing (null).";
    const linux = osProfile.linuxConfiguration as Json | undefined;
    const keys = ((linux?.ssh as Json | undefined)?.publicKeys as unknown[] | undefined) ?? [];
    const passwordAllowed = linux?.disablePasswordAuthentication !== true;
    if (passwordAllowed && typeof osProfile.adminPassword !== 'string')
      return "Required parameter 'adminPassword' is missing (null).";
    if (!passwordAllowed && keys.length === 0)
      return 'Authentication using either SSH or by user name and password must be enabled in Linux profile.';
    return undefined;
  }

  function serveVirtualMachine(
    match: RegExpExecArray,
    method: string,
    url: URL,
    body: unknown,
    reply: Reply,
  ): void {
    const [, subscription, resourceGroup, vmName, extensionName] = match;
    const id = `/subscriptions/${subscription}/resourceGroups/${resourceGroup}/providers/Microsoft.Compute/virtualMachines/${vmName}`;
    const key = keyOf(resourceGroup, vmName);
    const vm = virtualMachines.get(key);
    const withInstanceView = /instanceView/i.test(url.searchParams.get('$expand') ?? '');
    if (extensionName !== undefined) {
      serveExtension(
        { subscription, resourceGroup, vm, vmName, extensionName },
        method,
        body,
        reply,
        withInstanceView,
      );
      return;
    }
    switch (method) {
      case 'GET':
        if (!vm) {
          return reply.fail(
            404,
            'ResourceNotFound',
            `The Resource 'Microsoft.Compute/virtualMachines/${vmName}' under resource group '${resourceGroup}' was not found.`,
          );
        }
        return reply.send(200, virtualMachineWire(vm, withInstanceView));
      case 'PUT': {
        const input = body as Json | undefined;
        if (!input || typeof input.location !== 'string') return reply.fail(400, ...locationRequired);
        const invalid = invalidVirtualMachine(input, !vm);
        if (invalid) return reply.fail(400, 'InvalidParameter', invalid);
        if (vm?.provisioningState === 'Deleting')
          return reply.fail(409, 'OperationNotAllowed', `The virtual machine '${vmName}' is being deleted.`);
        const target: FakeVirtualMachine = vm ?? {
          id,
          name: vmName,
          location: input.location,
          body: {},
          provisioningState: 'Creating',
          allocated: false,
          vmId: randomUUID(),
          extensions: new Map(),
        };
        target.body = input;
        target.provisioningState = vm ? 'Updating' : 'Creating';
        virtualMachines.set(key, target);
        acceptOperation(
          reply,
          { subscription, provider: 'Compute', location: target.location, id },
          () => provisionVirtualMachine(key, target),
          { status: vm ? 200 : 201, wire: () => virtualMachineWire(target, false) },
        );
        return;
      }
      case 'DELETE':
        if (!vm) return reply.send(204);
        vm.provisioningState = 'Deleting';
        acceptOperation(
          reply,
          { subscription, provider: 'Compute', location: vm.location, id: vm.id },
          () => {
            if (virtualMachines.get(key) !== vm) return;
            virtualMachines.delete(key);
            // What the VM was created to own goes with it (deleteOption Delete); the rest is detached.
            for (const reference of interfacesOf(vm.body)) {
              if (reference.deleteOption !== 'Delete') continue;
              for (const [nicKey, nic] of networkInterfaces)
                if (sameId(nic.id, reference.id)) networkInterfaces.delete(nicKey);
            }
          },
        );
        return;
      default:
        reply.fail(405, 'MethodNotAllowed', `${method} is not supported.`);
    }
  }

  function serveExtension(
    parent: {
      subscription: string;
      resourceGroup: string;
      vm: FakeVirtualMachine | undefined;
      vmName: string;
      extensionName: string;
    },
    method: string,
    body: unknown,
    reply: Reply,
    withInstanceView: boolean,
  ): void {
    const { subscription, resourceGroup, vm, vmName, extensionName } = parent;
    if (!vm) {
      return reply.fail(
        404,
        'ParentResourceNotFound',
        `Can not perform requested operation on nested resource. Parent resource '${vmName}' not found.`,
      );
    }
    const name = extensionName.toLowerCase();
    const extension = vm.extensions.get(name);
    switch (method) {
      case 'GET':
        if (!extension)
          return reply.fail(404, 'NotFound', 'The entity was not found in this Azure location.');
        return reply.send(200, extensionWire(extension, withInstanceView));
      case 'PUT': {
        const input = body as Json | undefined;
        const props = input?.properties as Json | undefined;
        if (!input || typeof input.location !== 'string') return reply.fail(400, ...locationRequired);
        for (const field of ['publisher', 'type', 'typeHandlerVersion']) {
          if (typeof props?.[field] !== 'string')
            return reply.fail(400, 'InvalidParameter', `Required parameter '${field}' is missing (null).`);
        }
        if (vm.provisioningState !== 'Succeeded') {
          return reply.fail(
            409,
            'OperationNotAllowed',
            `Operation 'PUT extension' is not allowed on VM '${vmName}' while its provisioning state is ${vm.provisioningState}.`,
          );
        }
        const target: FakeExtension = extension ?? {
          id: `${vm.id}/extensions/${extensionName}`,
          name: extensionName,
          location: input.location,
          body: {},
          provisioningState: 'Creating',
        };
        target.body = input;
        target.provisioningState = extension ? 'Updating' : 'Creating';
        target.failureMessage = undefined;
        vm.extensions.set(name, target);
        const failureKey = keyOf(resourceGroup, `${vmName}/${extensionName}`);
        acceptOperation(
          reply,
          { subscription, provider: 'Compute', location: vm.location, id: target.id },
          () => {
            if (vm.extensions.get(name) !== target) return;
            const failure = extensionFailures.get(failureKey);
            if (failure === undefined) {
              target.provisioningState = 'Succeeded';
              return;
            }
            extensionFailures.delete(failureKey);
            target.provisioningState = 'Failed';
            target.failureMessage = failure;
            return {
              code: 'VMExtensionProvisioningError',
              message: `VM has reported a failure when processing extension '${target.name}' (publisher '${String(props?.publisher)}' and type '${String(props?.type)}'). Error message: '${failure}'.`,
            };
          },
          { status: extension ? 200 : 201, wire: () => extensionWire(target, false) },
        );
        return;
      }
      default:
        reply.fail(405, 'MethodNotAllowed', `${method} is not supported.`);
    }
  }

  const server = https.createServer({ cert: certificate, key }, (req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', endpoint);
      let body: unknown;
      try {
        body = raw ? (JSON.parse(raw) as unknown) : undefined;
      } catch {
        body = raw;
      }
      requests.push({ method: req.method ?? '', path: url.pathname, body });
      const send = (status: number, payload?: unknown, headers: Record<string, string> = {}): void => {
        res.writeHead(status, {
          'content-type': 'application/json; charset=utf-8',
          'x-ms-request-id': randomUUID(),
          ...headers,
        });
        res.end(payload === undefined ? '' : JSON.stringify(payload));
      };
      const fail = (status: number, code: string, message: string): void =>
        send(status, { error: { code, message } });
      if (!/^Bearer \S+/.test(String(req.headers.authorization ?? ''))) {
        fail(401, 'AuthenticationFailed', 'Authentication failed. The Authorization header is missing.');
        return;
      }
      if (!url.searchParams.get('api-version')) {
        fail(
          400,
          'MissingApiVersionParameter',
          'The api-version query parameter (?api-version=) is required for all requests.',
        );
        return;
      }
      const opMatch = operationPath.exec(url.pathname);
      if (opMatch && req.method === 'GET') {
        const op = operations.get(opMatch[4]);
        if (!op) {
          fail(404, 'NotFound', 'The operation was not found.');
          return;
        }
        if (url.searchParams.get('monitor') === 'true') {
          // The Location URL: 202 while running; then 200, or the error with its status.
          if (op.status === 'InProgress')
            send(202, undefined, { 'retry-after': '0', location: `${endpoint}${req.url}` });
          else if (op.status === 'Failed') send(409, { error: op.error });
          else {
            // The operation's result: the resource as it is now (what ARM returns for PUT/PATCH), else nothing.
            const target = resourceWireById(op.resourceId);
            send(target ? 200 : 204, target);
          }
          return;
        }
        send(200, {
          name: op.id,
          status: op.status,
          startTime: op.startTime,
          endTime: op.endTime,
          error: op.error,
        });
        return;
      }
      const reply: Reply = { send, fail };
      if (skusPath.test(url.pathname) && req.method === 'GET') {
        serveSkus(url, reply);
        return;
      }
      const vmMatch = virtualMachinePath.exec(url.pathname);
      if (vmMatch) {
        serveVirtualMachine(vmMatch, req.method ?? '', url, body, reply);
        return;
      }
      const nicMatch = networkInterfacePath.exec(url.pathname);
      if (nicMatch) {
        serveNetworkInterface(nicMatch, req.method ?? '', body, reply);
        return;
      }
      const match = scaleSetPath.exec(url.pathname);
      if (!match) {
        fail(404, 'InvalidResourceType', `The resource type could not be found for ${url.pathname}.`);
        return;
      }
      const [, subscription, resourceGroup, name, suffix] = match;
      const id = `/subscriptions/${subscription}/resourceGroups/${resourceGroup}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`;
      const set = scaleSets.get(keyOf(resourceGroup, name));
      const notFound = (): void =>
        fail(
          404,
          'ResourceNotFound',
          `The Resource 'Microsoft.Compute/virtualMachineScaleSets/${name}' under resource group '${resourceGroup}' was not found.`,
        );
      const accepted = (s: FakeScaleSet, work: () => FakeOperation['error'] | void, status = 202): void => {
        const { asyncUrl, locationUrl } = startOperation(subscription, 'Compute', s.location, s.id, work);
        const headers = { 'azure-asyncoperation': asyncUrl, location: locationUrl, 'retry-after': '0' };
        if (status === 202) send(202, undefined, headers);
        else send(status, wireOf(s), { 'azure-asyncoperation': asyncUrl });
      };

      if (suffix?.toLowerCase() === '/virtualmachines' && req.method === 'GET') {
        if (!set) return notFound();
        send(200, { value: [...set.instances.values()].map((vm) => vmWire(set, vm)) });
        return;
      }
      if (suffix?.toLowerCase() === '/delete' && req.method === 'POST') {
        if (!set) return notFound();
        const ids = (body as { instanceIds?: unknown })?.instanceIds;
        if (!Array.isArray(ids) || ids.some((i) => typeof i !== 'string')) {
          fail(400, 'InvalidParameter', "Required parameter 'instanceIds' is missing (null).");
          return;
        }
        // As Resource Manager: an instance that is not active (unknown, or being deleted) refuses the whole request.
        const inactive = (ids as string[]).find((i) => {
          const state = set.instances.get(i)?.provisioningState;
          return state === undefined || state === 'Deleting';
        });
        if (inactive !== undefined) {
          fail(
            400,
            'InvalidParameter',
            `The provided instanceId ${inactive} is not an active Virtual Machine Scale Set VM instanceId.`,
          );
          return;
        }
        for (const i of ids as string[]) {
          const vm = set.instances.get(i);
          if (vm) vm.provisioningState = 'Deleting';
        }
        accepted(set, () => {
          for (const i of ids as string[]) set.instances.delete(i);
          (set.body.sku as Json).capacity = set.instances.size;
          set.etag = newEtag();
        });
        return;
      }
      if (suffix) return notFound();
      // Conditional writes, as Resource Manager answers them: If-Match names the ETag the client read (or `*`: it
      // must exist), If-None-Match `*` asks for a create only.
      const ifMatch = req.headers['if-match'];
      const ifNoneMatch = req.headers['if-none-match'];
      if ((req.method === 'PUT' || req.method === 'PATCH') && (ifMatch || ifNoneMatch)) {
        const matches =
          (ifMatch === undefined || (set !== undefined && (ifMatch === '*' || ifMatch === set.etag))) &&
          (ifNoneMatch !== '*' || set === undefined);
        if (!matches) {
          return fail(
            412,
            'PreconditionFailed',
            `The ETag given in the If-Match or If-None-Match header does not match the resource's ETag (${set?.etag ?? 'none'}).`,
          );
        }
      }
      switch (req.method) {
        case 'GET':
          if (!set) return notFound();
          send(200, wireOf(set));
          return;
        case 'PUT': {
          const input = body as Json | undefined;
          const sku = input?.sku as Json | undefined;
          const props = input?.properties as Json | undefined;
          if (!input || typeof input.location !== 'string') return fail(400, ...locationRequired);
          if (!sku || typeof sku.name !== 'string' || typeof sku.capacity !== 'number') {
            return fail(
              400,
              'InvalidParameter',
              "Required parameter 'sku' (name and capacity) is missing (null).",
            );
          }
          if (!props || typeof props.virtualMachineProfile !== 'object') {
            return fail(
              400,
              'InvalidParameter',
              "Required parameter 'virtualMachineProfile' is missing (null).",
            );
          }
          const profile = props.virtualMachineProfile as Json;
          const terminateNotification = (profile.scheduledEventsProfile as Json | undefined)
            ?.terminateNotificationProfile as Json | undefined;
          if (profile.priority === 'Spot' && terminateNotification?.enable === true) {
            // As documented for scale sets: "Terminate notifications cannot be enabled on Spot instances."
            return fail(
              400,
              'InvalidParameter',
              'Terminate notifications cannot be enabled on Spot instances.',
            );
          }
          const customData = (profile.osProfile as Json | undefined)?.customData;
          if (typeof customData === 'string' && customData.length > customDataMaxLength) {
            return fail(
              400,
              'InvalidParameter',
              `Custom data in OSProfile must be in Base64 encoding and with a maximum length of ${customDataMaxLength} characters.`,
            );
          }
          const configurations = (profile.networkProfile as Json | undefined)?.networkInterfaceConfigurations;
          const missingSubnet = (Array.isArray(configurations) ? (configurations as Json[]) : []).some(
            (configuration) =>
              (
                ((configuration.properties as Json | undefined)?.ipConfigurations as Json[] | undefined) ?? []
              ).some(
                (ip) =>
                  typeof ((ip.properties as Json | undefined)?.subnet as Json | undefined)?.id !== 'string',
              ),
          );
          if (!Array.isArray(configurations) || configurations.length === 0 || missingSubnet) {
            // A Uniform scale set's IP configurations must name a subnet (Resource Manager creates no network).
            return fail(
              400,
              'InvalidParameter',
              "Required parameter 'networkProfile.networkInterfaceConfigurations[0].ipConfigurations[0].subnet' is missing (null).",
            );
          }
          const existing = set;
          const target: FakeScaleSet = existing ?? {
            id,
            name,
            location: input.location,
            body: {},
            provisioningState: 'Creating',
            instances: new Map(),
            etag: newEtag(),
          };
          target.body = { ...input, sku: { ...sku, capacity: target.instances.size } };
          target.etag = newEtag();
          target.provisioningState = existing ? 'Updating' : 'Creating';
          scaleSets.set(keyOf(resourceGroup, name), target);
          const capacity = sku.capacity;
          const scaleIn = startScaleIn(target, capacity);
          accepted(
            target,
            () => {
              scaleIn();
              return applyCapacity(target, capacity);
            },
            existing ? 200 : 201,
          );
          return;
        }
        case 'PATCH': {
          if (!set) return notFound();
          const capacity = ((body as Json)?.sku as Json | undefined)?.capacity;
          if (
            capacity !== undefined &&
            (typeof capacity !== 'number' || capacity < 0 || !Number.isInteger(capacity))
          ) {
            return fail(400, 'InvalidParameter', "The value of parameter 'sku.capacity' is invalid.");
          }
          set.provisioningState = 'Updating';
          if (capacity === undefined) return accepted(set, () => undefined);
          set.etag = newEtag();
          const scaleIn = startScaleIn(set, capacity as number);
          accepted(set, () => {
            scaleIn();
            return applyCapacity(set, capacity as number);
          });
          return;
        }
        case 'DELETE':
          if (!set) {
            send(204);
            return;
          }
          set.provisioningState = 'Deleting';
          accepted(set, () => void scaleSets.delete(keyOf(resourceGroup, name)));
          return;
        default:
          fail(405, 'MethodNotAllowed', `${req.method} is not supported.`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    certificate,
    requests,
    scaleSet: (rg, name) => {
      const set = scaleSets.get(keyOf(rg, name));
      return set ? wireOf(set) : undefined;
    },
    instances: (rg, name) => [...(scaleSets.get(keyOf(rg, name))?.instances.values() ?? [])],
    failInstance: (rg, name, instanceId) => {
      const vm = scaleSets.get(keyOf(rg, name))?.instances.get(instanceId);
      if (vm) vm.provisioningState = 'Failed';
    },
    setCoreQuota: (cores) => (coreQuota = cores),
    virtualMachine: (rg, name) => virtualMachines.get(keyOf(rg, name))?.body,
    virtualMachineExtension: (rg, vmName, name) =>
      virtualMachines.get(keyOf(rg, vmName))?.extensions.get(name.toLowerCase())?.body,
    networkInterface: (rg, name) => {
      const nic = networkInterfaces.get(keyOf(rg, name));
      return nic ? networkInterfaceWire(nic) : undefined;
    },
    failExtension: (rg, vmName, name, message) => {
      const extension = virtualMachines.get(keyOf(rg, vmName))?.extensions.get(name.toLowerCase());
      if (
        extension &&
        extension.provisioningState !== 'Creating' &&
        extension.provisioningState !== 'Updating'
      ) {
        extension.provisioningState = 'Failed';
        extension.failureMessage = message;
      } else extensionFailures.set(keyOf(rg, `${vmName}/${name}`), message);
    },
    setVmSize: (location, size) => {
      const key = location.toLowerCase();
      if (!vmSizes.has(key)) vmSizes.set(key, new Map());
      vmSizes.get(key)!.set(size.name.toLowerCase(), size);
    },
    failSkuList: (failure) => (skuListFailure = failure),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
