import type { ResourceRecord } from '../../shared/domain/resourceRecord';
import { cpuCountOf, gpuCountOf } from './vmSizeResources';

function cluster(vmSize: string, recorded?: { vCpus: number; gpus: number }): ResourceRecord {
  return {
    kind: 'cluster',
    ref: { kind: 'cluster', subscriptionId: 's', resourceGroup: 'rg', workspace: 'ws', name: 'c' },
    armId: '/c',
    location: 'eastus',
    spec: { vmSize },
    status: {},
    encryptedSecrets: {},
    ...(recorded ? { cluster: { vmSize: recorded } } : {}),
  } as ResourceRecord;
}

test("GPU counts follow Azure's sizes, not only the first generations' naming", () => {
  const expected: Record<string, number> = {
    STANDARD_NC6: 1,
    STANDARD_NC12: 2,
    STANDARD_NC24r: 4,
    Standard_NC6s_v3: 1,
    Standard_NC24rs_v3: 4,
    Standard_ND24rs: 4,
    Standard_NC24ads_A100_v4: 1,
    Standard_NC40ads_H100_v5: 1,
    Standard_NV36ads_A10_v5: 1,
    Standard_ND96asr_v4: 8,
    Standard_ND96isr_H100_v5: 8,
    Standard_ND40rs_v2: 8,
    Standard_NC64as_T4_v3: 4,
    Standard_NV48s_v3: 4,
    Standard_NX99ufo_v9: 1, // an N size not known here: at least one, its agent reports the rest
    Standard_D4s_v3: 0,
  };
  expect(Object.fromEntries(Object.keys(expected).map((size) => [size, gpuCountOf(cluster(size))]))).toEqual(
    expected,
  );
});

test('what the catalogue recorded at creation wins over the built-in table', () => {
  // A size Azure lists that the table does not know, and one whose figures the record holds.
  expect(gpuCountOf(cluster('Standard_NX99ufo_v9', { vCpus: 36, gpus: 3 }))).toBe(3);
  expect(cpuCountOf(cluster('Standard_NX99ufo_v9', { vCpus: 36, gpus: 3 }))).toBe(36);
  expect(cpuCountOf(cluster('Standard_D4s_v3'))).toBe(4);
  expect(cpuCountOf(cluster('Standard_Unknown9'))).toBe(1);
});
