import { gpuCountOf } from './vmSizeResources';

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
  expect(Object.fromEntries(Object.keys(expected).map((size) => [size, gpuCountOf(size)]))).toEqual(expected);
});
