// A new cluster's or file server's VM size is checked against the deployment's catalogue: locally the built-in
// table, on Azure the compute location's Resource SKUs read through @azure/arm-compute (here from the ARM fake).
// A misspelt size is a 400 naming properties.vmSize with the closest names, a restricted one a 400 with Azure's
// reason; the record keeps the size's vCPUs and GPUs, so core quotas count every size (a size the old table did
// not know counted none). While the list cannot be read, known sizes pass and others are a 503.
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { startArmFake, type ArmFake } from '../../runtime/fakes/armFake';
import { ArmVmSizeCatalog } from '../../shared/adapters/compute/armVmSizeCatalog';
import { createComputeClient } from '../../shared/adapters/compute/computeClientFactory';
import { ServiceUnavailableError, ValidationError } from '../../shared/domain/errors';
import { keyOf, type ResourceRef } from '../../shared/domain/resourceId';
import { createCluster, updateCluster } from '../../shared/domain/services/clusterService';
import { createFileServer } from '../../shared/domain/services/fileServerService';
import { listUsages } from '../../shared/domain/services/usageService';
import { builtInVmSize, builtInVmSizeNames, closestVmSizes } from '../../shared/domain/vmSizeTable';
import { memoryScope, memoryServiceDeps } from '../support/memoryServiceDeps';
import { refusal } from '../support/refusals';

const clusterRef = (name: string): ResourceRef => ({ kind: 'cluster', ...memoryScope, name });

function clusterBody(vmSize: string, nodes = 1, vmPriority?: string) {
  return {
    properties: {
      vmSize,
      ...(vmPriority ? { vmPriority } : {}),
      scaleSettings: { manual: { targetNodeCount: nodes } },
      userAccountSettings: { adminUserName: 'admin', adminUserPassword: 'p@ssw0rd-x' },
    },
  };
}

const fileServerRef = (name: string): ResourceRef => ({ kind: 'fileServer', ...memoryScope, name });

/** The refusal of a file server of `vmSize`. */
function fileServerRefusal(deps: Parameters<typeof createFileServer>[0], name: string, vmSize: string) {
  return refusal(createFileServer(deps, fileServerRef(name), fileServerBody(vmSize)), ValidationError);
}

function fileServerBody(vmSize: string) {
  return {
    properties: {
      vmSize,
      sshConfiguration: { userAccountSettings: { adminUserName: 'admin', adminUserPassword: 'p@ssw0rd-x' } },
      dataDisks: { diskSizeInGB: 10, diskCount: 1, storageAccountType: 'Standard_LRS' },
    },
  };
}

const credential: TokenCredential = {
  getToken: async (): Promise<AccessToken> => ({
    token: 'fake-token',
    expiresOnTimestamp: Date.now() + 3_600_000,
  }),
};

describe('the built-in table (local compute)', () => {
  test('a misspelt size is a 400 naming properties.vmSize with the sizes it may have meant; nothing is recorded', async () => {
    const { deps, records, applied } = memoryServiceDeps();
    const error = await refusal(
      createCluster(deps, clusterRef('typo'), clusterBody('Standard_NC6s_v4')),
      ValidationError,
    );
    expect(error).toMatchObject({ httpStatus: 400, code: 'InvalidVmSize', target: 'properties.vmSize' });
    expect(error.message).toContain("'Standard_NC6s_v4' is not a VM size of this deployment");
    expect(error.message).toContain("Did you mean 'Standard_NC6s_v2', 'Standard_NC6s_v3'?");
    expect(records.has(keyOf(clusterRef('typo')))).toBe(false);
    expect(applied).toEqual([]);
  });

  test('sizes are case-insensitive and the record keeps what one VM has', async () => {
    const { deps, records } = memoryServiceDeps();
    await createCluster(deps, clusterRef('a100'), clusterBody('STANDARD_NC48ADS_A100_V4'));
    expect(records.get(keyOf(clusterRef('a100')))!.record.cluster?.vmSize).toEqual({ vCpus: 48, gpus: 2 });
  });

  test('a size the old vCPU table did not know counts its cores: 7 ND96asr_v4 (672 cores) exceed 600', async () => {
    const { deps } = memoryServiceDeps();
    const error = await refusal(
      createCluster(deps, clusterRef('nd'), clusterBody('Standard_ND96asr_v4', 7)),
      ValidationError,
    );
    expect(error).toMatchObject({
      code: 'QuotaExceeded',
      target: 'properties.scaleSettings.manual.targetNodeCount',
    });
    expect(error.message).toContain('672');
    await createCluster(deps, clusterRef('nd'), clusterBody('Standard_ND96asr_v4', 6));
  });

  test("Usages and a PATCH's quota count the recorded cores", async () => {
    const { deps, records } = memoryServiceDeps();
    await createCluster(deps, clusterRef('h100'), clusterBody('Standard_NC40ads_H100_v5', 2));
    const stored = records.get(keyOf(clusterRef('h100')))!;
    stored.record.status.currentNodeCount = 2;
    const usages = await listUsages(deps, memoryScope.subscriptionId, 'eastus');
    expect(
      usages.find((usage) => usage.name.value === 'Total Cluster Dedicated Regional vCPUs')?.currentValue,
    ).toBe(80);
    const error = await refusal(
      updateCluster(deps, clusterRef('h100'), {
        properties: { scaleSettings: { manual: { targetNodeCount: 16 } } },
      }),
      ValidationError,
    );
    expect(error.code).toBe('QuotaExceeded'); // 16 x 40 = 640 > 600
  });

  test('a file server of an unknown size is a 400 naming properties.vmSize', async () => {
    const { deps, applied } = memoryServiceDeps();
    const error = await fileServerRefusal(deps, 'nfs', 'Standard_D4s_v9');
    expect(error).toMatchObject({ code: 'InvalidVmSize', target: 'properties.vmSize' });
    expect(applied).toEqual([]);
  });

  test('the table: legacy names by their own vCPU counts, families by the count in the name, suggestions only when close', () => {
    expect(builtInVmSize('Standard_D14')).toEqual({ vCpus: 16, gpus: 0 });
    expect(builtInVmSize('standard_d15_v2')).toEqual({ vCpus: 20, gpus: 0 });
    expect(builtInVmSize('Standard_D8ds_v5')).toEqual({ vCpus: 8, gpus: 0 });
    expect(builtInVmSize('Standard_NC64as_T4_v3')).toEqual({ vCpus: 64, gpus: 4 });
    expect(builtInVmSize('Standard_A0')).toBeUndefined();
    expect(builtInVmSizeNames()).toContain('Standard_NC24ads_A100_v4');
    expect(closestVmSizes('Standard_D2s_v3', builtInVmSizeNames())[0]).toBe('Standard_D2s_v3');
    expect(closestVmSizes('Standard_Supercomputer', builtInVmSizeNames())).toEqual([]);
    // A size with a generation it does not have: the size it begins with.
    expect(closestVmSizes('Standard_NC6_v4', builtInVmSizeNames())).toContain('Standard_NC6');
  });
});

describe('review fixes', () => {
  test('a repeated PUT of an existing cluster is confirmed whatever the catalogue says of its size now', async () => {
    const { deps, records } = memoryServiceDeps();
    // A cluster recorded before sizes were checked, of a size the table does not have.
    await createCluster(deps, clusterRef('old'), clusterBody('Standard_D2_v2'));
    const stored = records.get(keyOf(clusterRef('old')))!;
    stored.record.spec.vmSize = 'Standard_Z9_v9';
    delete stored.record.cluster;
    const again = await createCluster(deps, clusterRef('old'), clusterBody('standard_z9_V9'));
    expect(again.created).toBe(false);
    // Another cluster of that size is still refused, and so is the same name with another size.
    await expect(createCluster(deps, clusterRef('new'), clusterBody('Standard_Z9_v9'))).rejects.toMatchObject(
      {
        code: 'InvalidVmSize',
      },
    );
    const file = await fileServerRefusal(deps, 'old', 'Standard_Z9_v9');
    expect(file.code).toBe('InvalidVmSize');
  });

  test('a long vmSize is refused at once by its length, not compared with every size', async () => {
    const { deps } = memoryServiceDeps();
    const error = await refusal(
      createCluster(deps, clusterRef('long'), clusterBody(`Standard_${'a'.repeat(1_000_000)}`)),
      ValidationError,
    );
    expect(error).toMatchObject({ code: 'InvalidVmSize', target: 'properties.vmSize' });
    expect(error.message).toContain('1000009 characters long');
    expect(error.message.length).toBeLessThan(200);
  });

  test('the table has NVv2, B, L, M and NCads A10 v4', () => {
    expect(builtInVmSize('Standard_NV12s_v2')).toEqual({ vCpus: 12, gpus: 2 });
    expect(builtInVmSize('Standard_B2ms')).toEqual({ vCpus: 2, gpus: 0 });
    expect(builtInVmSize('Standard_L16s_v3')).toEqual({ vCpus: 16, gpus: 0 });
    expect(builtInVmSize('Standard_M128ms')).toEqual({ vCpus: 128, gpus: 0 });
    expect(builtInVmSize('Standard_NC32ads_A10_v4')).toEqual({ vCpus: 32, gpus: 2 });
  });
});

describe("Azure's list of the compute location (Resource SKUs through the ARM fake)", () => {
  let arm: ArmFake;
  let now = 0;

  beforeEach(async () => {
    arm = await startArmFake({ skuLocations: ['eastus', 'westus2'], skuPageSize: 40 });
    now = 1_000_000;
  });
  afterEach(() => arm.stop());

  function catalog(): ArmVmSizeCatalog {
    const client = createComputeClient({
      subscriptionId: 's',
      credential,
      endpoint: arm.endpoint,
      trustedCertificate: arm.certificate,
    });
    return new ArmVmSizeCatalog({
      client,
      location: 'East US', // as a setting may spell it
      refreshMs: 60_000,
      retryAfterMs: 5_000,
      now: () => now,
    });
  }
  const skuReads = (): number => arm.requests.filter((request) => request.path.endsWith('/skus')).length;

  test("Azure's figures, restrictions and low-priority capability decide; the list is read once (all its pages)", async () => {
    arm.setVmSize('eastus', { name: 'Standard_NX48ufo_v9', vCpus: 48, gpus: 6 });
    arm.setVmSize('eastus', {
      name: 'Standard_NC24ads_A100_v4',
      vCpus: 24,
      gpus: 1,
      restriction: 'NotAvailableForSubscription',
    });
    arm.setVmSize('eastus', { name: 'Standard_HB120rs_v3', vCpus: 120, lowPriorityCapable: false });
    arm.setVmSize('westus2', { name: 'Standard_NW8_v1', vCpus: 8 });
    const { deps, records } = memoryServiceDeps();
    deps.vmSizes = catalog();

    // A size only Azure knows: its figures are the record's.
    await createCluster(deps, clusterRef('new'), clusterBody('standard_nx48UFO_v9'));
    expect(records.get(keyOf(clusterRef('new')))!.record.cluster?.vmSize).toEqual({ vCpus: 48, gpus: 6 });
    // The last entry of the last page: every page was read.
    const last = builtInVmSizeNames().at(-1)!;
    await createCluster(deps, clusterRef('last'), clusterBody(last));

    const restricted = await refusal(
      createCluster(deps, clusterRef('a100'), clusterBody('Standard_NC24ads_A100_v4')),
      ValidationError,
    );
    expect(restricted).toMatchObject({ code: 'SkuNotAvailable', target: 'properties.vmSize' });
    expect(restricted.message).toContain(
      "in 'eastus', where this deployment's VMs run (Azure says NotAvailableForSubscription)",
    );

    const lowPriority = await refusal(
      createCluster(deps, clusterRef('hb'), clusterBody('Standard_HB120rs_v3', 1, 'lowpriority')),
      ValidationError,
    );
    expect(lowPriority).toMatchObject({ code: 'SkuNotAvailable', target: 'properties.vmPriority' });
    await createCluster(deps, clusterRef('hb'), clusterBody('Standard_HB120rs_v3', 1, 'dedicated'));

    // Listed in another location only.
    const elsewhere = await refusal(
      createCluster(deps, clusterRef('w'), clusterBody('Standard_NW8_v1')),
      ValidationError,
    );
    expect(elsewhere).toMatchObject({ code: 'InvalidVmSize', target: 'properties.vmSize' });
    expect(elsewhere.message).toContain("is not a VM size of 'eastus'");
    expect(skuReads()).toBe(Math.ceil((builtInVmSizeNames().length + 4) / 40));
  });

  test('constrained-vCPU sizes are taken; suggestions leave out sizes a PUT may not ask for; a size listed without GPUs that has a share of one counts it', async () => {
    arm.setVmSize('eastus', { name: 'Standard_E4-2s_v3', vCpus: 4 });
    arm.setVmSize('eastus', { name: 'Standard_DS3_v2', vCpus: 4 }); // Azure lists it; Batch AI excluded the DS series
    arm.setVmSize('eastus', { name: 'Standard_NV8as_v4', vCpus: 8 }); // no GPUs capability
    const { deps, records } = memoryServiceDeps();
    deps.vmSizes = catalog();
    await createCluster(deps, clusterRef('constrained'), clusterBody('Standard_E4-2s_v3'));
    const typo = await refusal(
      createCluster(deps, clusterRef('typo'), clusterBody('Standard_DX3_v2')),
      ValidationError,
    );
    expect(typo.message).toContain("'Standard_D3_v2'");
    expect(typo.message).not.toContain('DS3');
    await createCluster(deps, clusterRef('nv'), clusterBody('Standard_NV8as_v4'));
    expect(records.get(keyOf(clusterRef('nv')))!.record.cluster?.vmSize).toEqual({ vCpus: 8, gpus: 1 });
  });

  test('a repeated PUT while the list cannot be read is confirmed; a new cluster of a size outside the table is a 503', async () => {
    arm.setVmSize('eastus', { name: 'Standard_NX48ufo_v9', vCpus: 48, gpus: 6 });
    const { deps } = memoryServiceDeps();
    deps.vmSizes = catalog();
    await createCluster(deps, clusterRef('x'), clusterBody('Standard_NX48ufo_v9'));
    arm.failSkuList({ status: 403, code: 'AuthorizationFailed' });
    deps.vmSizes = catalog(); // another host instance: no list read yet
    expect((await createCluster(deps, clusterRef('x'), clusterBody('Standard_NX48ufo_v9'))).created).toBe(
      false,
    );
    await expect(
      createCluster(deps, clusterRef('y'), clusterBody('Standard_NX48ufo_v9')),
    ).rejects.toBeInstanceOf(ServiceUnavailableError);
  });

  test("while the list cannot be read, known sizes pass, others are a 503 naming Azure's answer; it is read again after a pause, and after an hour", async () => {
    const sizes = catalog();
    // The deployment's identity may not list sizes (a missing role assignment; 5xx answers are retried first).
    arm.failSkuList({ status: 403, code: 'AuthorizationFailed' });
    await expect(sizes.lookup('Standard_NC6s_v3')).resolves.toMatchObject({
      kind: 'available',
      resources: { vCpus: 6, gpus: 1 },
    });
    const { deps } = memoryServiceDeps();
    deps.vmSizes = sizes;
    const unavailable = await refusal(
      createCluster(deps, clusterRef('x'), clusterBody('Standard_NX48ufo_v9')),
      ServiceUnavailableError,
    );
    expect(unavailable).toMatchObject({
      httpStatus: 503,
      code: 'ServiceUnavailable',
      target: 'properties.vmSize',
    });
    expect(unavailable.message).toContain("cannot be read from Azure now (the app's identity may not read");
    expect(unavailable.message).toContain('Reader on the subscription');
    const failedReads = skuReads();

    // Azure answers again: not asked before the pause is over.
    arm.failSkuList(undefined);
    arm.setVmSize('eastus', { name: 'Standard_NX48ufo_v9', vCpus: 48, gpus: 6 });
    await expect(sizes.lookup('Standard_NX48ufo_v9')).rejects.toThrow('cannot be read');
    expect(skuReads()).toBe(failedReads);
    now += 5_000;
    await expect(sizes.lookup('Standard_NX48ufo_v9')).resolves.toMatchObject({ kind: 'available' });
    const reads = skuReads();
    await sizes.lookup('Standard_D2s_v3');
    expect(skuReads()).toBe(reads);

    // An hour later (here a minute) the list is read again; if that read fails, the older list still answers.
    arm.failSkuList({ status: 409, code: 'Conflict' });
    now += 60_000;
    await expect(sizes.lookup('Standard_NX48ufo_v9')).resolves.toMatchObject({ kind: 'available' });
    expect(skuReads()).toBeGreaterThan(reads);
  });
});
