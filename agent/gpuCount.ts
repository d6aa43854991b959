// The GPUs a VM node really has, as nvidia-smi lists them: a size's published count is a guess for sizes the
// control plane does not know, and a share of a GPU (NVv4, NVads A10) still shows as one device.
import { spawnSync } from 'child_process';

/** `nvidia-smi -L` lines ("GPU 0: ..."), or `fallback` when it cannot run (no driver, no GPU). */
export function detectGpuCount(fallback: number, run = nvidiaSmiList): number {
  const listed = run();
  if (listed === undefined) return fallback;
  return listed.split('\n').filter((line) => /^GPU \d+:/.test(line)).length;
}

function nvidiaSmiList(): string | undefined {
  const result = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 20_000 });
  return result.status === 0 ? result.stdout : undefined;
}
