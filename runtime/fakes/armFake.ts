// A local HTTPS fake of Azure Resource Manager for Microsoft.Compute scale sets, speaking the real protocol so
// the real @azure/arm-compute client and its pollers run against it: PUT 201 + Azure-AsyncOperation, PATCH and
// POST .../delete and DELETE 202 + Azure-AsyncOperation + Location, provisioning states, per-instance VMs, and
// failures ({status:'Failed', error}) such as QuotaExceeded. Loopback only; its certificate is in ./tls.
import { randomUUID } from 'crypto';
import * as https from 'https';
import type { AddressInfo } from 'net';
import { coresOf } from '../../shared/domain/vmCores';
import { loadLoopbackCertificate } from './loopbackCertificate';

type Json = Record<string, unknown>;

export interface ArmFakeOptions {
  /** Total vCPUs the subscription may use in the fake (QuotaExceeded beyond). Default unlimited. */
  coreQuota?: number;
  /** How long an operation stays InProgress. Default 100 ms. */
  operationDelayMs?: number;
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
  nextInstanceId: number;
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
  stop(): Promise<void>;
}

const scaleSetPath =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachineScaleSets\/([^/]+)(\/delete|\/virtualMachines)?$/i;
const operationPath =
  /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.Compute\/locations\/([^/]+)\/operations\/([^/]+)$/i;

export async function startArmFake(options: ArmFakeOptions = {}): Promise<ArmFake> {
  const { certificate, key } = loadLoopbackCertificate();
  const delayMs = options.operationDelayMs ?? 100;
  let coreQuota = options.coreQuota;
  const scaleSets = new Map<string, FakeScaleSet>();
  const operations = new Map<string, FakeOperation>();
  const requests: RecordedRequest[] = [];
  let endpoint = '';

  const keyOf = (rg: string, name: string): string => `${rg}/${name}`.toLowerCase();

  function usedCores(except?: FakeScaleSet): number {
    let total = 0;
    for (const set of scaleSets.values()) {
      if (set === except) continue;
      total += set.instances.size * (coresOf(String((set.body.sku as Json)?.name ?? '')) ?? 1);
    }
    return total;
  }

  /** Starts an async operation; `work` runs when it completes and may fail it. */
  function startOperation(
    subscription: string,
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
    const base = `${endpoint}/subscriptions/${subscription}/providers/Microsoft.Compute/locations/${location}/operations/${op.id}`;
    return {
      asyncUrl: `${base}?api-version=2024-07-01`,
      locationUrl: `${base}?api-version=2024-07-01&monitor=true`,
    };
  }

  /** Brings the instance count to `capacity` (new instances are created, the highest ids removed). */
  function applyCapacity(set: FakeScaleSet, capacity: number): FakeOperation['error'] | void {
    const cores = coresOf(String((set.body.sku as Json)?.name ?? '')) ?? 1;
    const growth = capacity - set.instances.size;
    if (growth > 0 && coreQuota !== undefined && usedCores(set) + capacity * cores > coreQuota) {
      set.provisioningState = 'Failed';
      return {
        code: 'QuotaExceeded',
        message: `Operation could not be completed as it results in exceeding approved Total Regional Cores quota. Location: ${set.location}, Current Limit: ${coreQuota}, Current Usage: ${usedCores(set) + set.instances.size * cores}, Additional Required: ${growth * cores}.`,
      };
    }
    for (let i = 0; i < growth; i++) {
      const instanceId = String(set.nextInstanceId++);
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
    (set.body.sku as Json).capacity = capacity;
    set.provisioningState = 'Succeeded';
  }

  function wireOf(set: FakeScaleSet): Json {
    const properties = { ...((set.body.properties as Json) ?? {}), provisioningState: set.provisioningState };
    return {
      ...set.body,
      id: set.id,
      name: set.name,
      type: 'Microsoft.Compute/virtualMachineScaleSets',
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
        const op = operations.get(opMatch[3]);
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
            const target = [...scaleSets.values()].find((candidate) => candidate.id === op.resourceId);
            send(target ? 200 : 204, target ? wireOf(target) : undefined);
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
        const { asyncUrl, locationUrl } = startOperation(subscription, s.location, s.id, work);
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
        for (const i of ids as string[]) {
          const vm = set.instances.get(i);
          if (vm) vm.provisioningState = 'Deleting';
        }
        accepted(set, () => {
          for (const i of ids as string[]) set.instances.delete(i);
          (set.body.sku as Json).capacity = set.instances.size;
        });
        return;
      }
      if (suffix) return notFound();
      switch (req.method) {
        case 'GET':
          if (!set) return notFound();
          send(200, wireOf(set));
          return;
        case 'PUT': {
          const input = body as Json | undefined;
          const sku = input?.sku as Json | undefined;
          const props = input?.properties as Json | undefined;
          if (!input || typeof input.location !== 'string')
            return fail(400, 'LocationRequired', 'The location property is required for this definition.');
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
          const existing = set;
          const target: FakeScaleSet = existing ?? {
            id,
            name,
            location: input.location,
            body: {},
            provisioningState: 'Creating',
            instances: new Map(),
            nextInstanceId: 0,
          };
          target.body = { ...input, sku: { ...sku, capacity: target.instances.size } };
          target.provisioningState = existing ? 'Updating' : 'Creating';
          scaleSets.set(keyOf(resourceGroup, name), target);
          const capacity = sku.capacity;
          accepted(target, () => applyCapacity(target, capacity), existing ? 200 : 201);
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
          accepted(set, () => (capacity === undefined ? undefined : applyCapacity(set, capacity as number)));
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
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
