import { bootsGeneration1Only, rdmaCapable } from './vmSizeFeatures';

test('InfiniBand sizes are told by the r among their feature letters', () => {
  for (const size of [
    'Standard_H16r',
    'Standard_H16mr',
    'Standard_HB120rs_v3',
    'STANDARD_NC24RS_V3',
    'Standard_NC24r',
  ]) {
    expect(rdmaCapable(size)).toBe(true);
  }
  for (const size of [
    'Standard_ND40rs_v2',
    'Standard_ND96asr_v4',
    'Standard_ND96isr_H100_v5',
    'Standard_HC44-16rs',
  ]) {
    expect(rdmaCapable(size)).toBe(true);
  }
  for (const size of [
    'STANDARD_NC6',
    'Standard_NC6s_v3',
    'Standard_D4s_v3',
    'Standard_NC24ads_A100_v4',
    'STANDARD_D1_V2',
  ]) {
    expect(rdmaCapable(size)).toBe(false);
  }
});

test('generation 1 only: the older families without premium storage, H, the first NC and NV, and NVv4', () => {
  for (const size of [
    'STANDARD_A2_v2',
    'Standard_A4m_v2',
    'STANDARD_D1',
    'STANDARD_D1_V2',
    'Standard_D4_v3',
    'Standard_E8_v3',
    'Standard_F4',
    'Standard_H16r',
    'STANDARD_NC6',
    'Standard_NC24r',
    'standard_nv12',
    'Standard_NV8as_v4',
  ]) {
    expect([size, bootsGeneration1Only(size)]).toEqual([size, true]);
  }
  for (const size of [
    'Standard_DS2_v2',
    'Standard_D4s_v3',
    'STANDARD_NC6s_v3',
    'Standard_ND40rs_v2',
    'Standard_F4s_v2',
    'Standard_HB120rs_v3',
  ]) {
    expect([size, bootsGeneration1Only(size)]).toEqual([size, false]);
  }
});
