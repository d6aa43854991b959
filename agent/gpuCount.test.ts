import { detectGpuCount } from './gpuCount';

test("a VM reports the GPUs nvidia-smi lists, or its size's count when nvidia-smi cannot tell", () => {
  const eight = Array.from(
    { length: 8 },
    (_, i) => `GPU ${i}: NVIDIA H100 80GB HBM3 (UUID: GPU-${i}abc)`,
  ).join('\n');
  expect(detectGpuCount(4, () => `${eight}\n`)).toBe(8);
  expect(detectGpuCount(4, () => 'GPU 0: NVIDIA A10-4Q (UUID: GPU-1)\n')).toBe(1);
  expect(detectGpuCount(1, () => undefined)).toBe(1);
});
