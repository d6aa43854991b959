// 409 OperationNotAllowed is how the compute provider answers a conflict that passes ("VM marked for deletion", an
// operation in progress): clusters retry it on the next pass and file servers keep creating, neither records it as
// a refusal. The same code over a quota stays a refusal.
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { armRefusalOf } from '../../shared/adapters/compute/armRefusal';
import { createComputeClient } from '../../shared/adapters/compute/computeClientFactory';
import { createNetworkClient } from '../../shared/adapters/fileServers/networkClientFactory';
import { VmFileServerHosts } from '../../shared/adapters/fileServers/vmFileServerHosts';
import type { FileServerHostSpec, FileServerHostState } from '../../shared/ports/fileServerHosts';
import { startArmFake, type ArmFake } from '../../runtime/fakes/armFake';

const credential: TokenCredential = {
  getToken: async (): Promise<AccessToken> => ({ token: 't', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

const conflict = Object.assign(
  new Error("Operation 'PUT' is not allowed on VM 'x' since the VM is marked for deletion."),
  {
    statusCode: 409,
    code: 'OperationNotAllowed',
  },
);

test('OperationNotAllowed is not a refusal, unless it is about a quota', () => {
  expect(armRefusalOf(conflict)).toBeUndefined();
  expect(
    armRefusalOf(
      new Error(
        'The long-running operation has failed. OperationNotAllowed. Another operation is in progress.',
      ),
    ),
  ).toBeUndefined();
  const quota = {
    statusCode: 409,
    code: 'OperationNotAllowed',
    message:
      'Operation could not be completed as it results in exceeding approved standardNCSv3Family Cores quota.',
  };
  expect(armRefusalOf(quota)).toEqual({ code: 'OperationNotAllowed', message: quota.message });
});

describe('a file server', () => {
  let arm: ArmFake;
  beforeEach(async () => {
    arm = await startArmFake({ operationDelayMs: 20 });
  });
  afterEach(async () => arm.stop());

  test('whose VM create meets a passing conflict keeps creating and is made on a later pass', async () => {
    const settings = {
      subscriptionId: 's',
      credential,
      endpoint: arm.endpoint,
      trustedCertificate: arm.certificate,
    };
    const compute = createComputeClient(settings);
    const create = compute.virtualMachines.createOrUpdate.bind(compute.virtualMachines);
    let refused = 0;
    compute.virtualMachines.createOrUpdate = ((...args: Parameters<typeof create>) => {
      if (refused++ === 0) {
        return { submitted: () => Promise.reject(conflict) } as unknown as ReturnType<typeof create>;
      }
      return create(...args);
    }) as typeof create;
    const hosts = new VmFileServerHosts({
      compute,
      network: createNetworkClient(settings),
      resourceGroup: 'rg',
      location: 'eastus',
      pollIntervalMs: 10,
    });
    const spec: FileServerHostSpec = {
      key: '/subscriptions/s/resourcegroups/rg/providers/microsoft.batchai/workspaces/w/fileservers/data',
      vmSize: 'Standard_D4_v3',
      dataDisks: { diskCount: 1, diskSizeInGB: 128, storageAccountType: 'Premium_LRS', cachingType: 'none' },
      adminUserName: 'me',
      adminSshPublicKey: 'ssh-rsa AAAAB3Nza me@host',
      subnetId:
        '/subscriptions/s/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/v/subnets/fs',
    };
    const states: FileServerHostState[] = [];
    for (let pass = 0; pass < 200; pass++) {
      const state = await hosts.ensure(spec);
      states.push(state);
      if (state.state !== 'creating') break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(refused).toBeGreaterThan(1);
    expect(states.some((s) => s.state === 'creating' && s.detail.includes('marked for deletion'))).toBe(true);
    expect(states.at(-1)?.state).toBe('ready');
  });
});
