// The Azure VM sizes this service knows without asking Azure, with their vCPUs and GPUs (Azure's published
// figures): Batch AI's sizes and the families ML clusters use today. Local compute accepts exactly these; on Azure
// the subscription's own list of sizes in the compute location (Resource SKUs) decides, and this table stands in
// only while that list cannot be read. Names are case-insensitive, as in Azure.
import type { VmSizeCatalog, VmSizeLookup } from '../ports/vmSizeCatalog';
import { editDistance } from './editDistance';

export interface VmSizeResources {
  /** vCPUs of one VM (what Azure's core quotas count). */
  vCpus: number;
  /** GPUs of one VM (a share of a GPU counts as one). */
  gpus: number;
}

const table = new Map<string, VmSizeResources>();

function add(name: string, vCpus: number, gpus = 0): void {
  table.set(`standard_${name}`.toLowerCase(), { vCpus, gpus });
}

/** Sizes named `<prefix><vCPUs><suffix>` for each vCPU count (the rule of every family since Dv3). */
function family(prefix: string, counts: number[], suffixes: string[]): void {
  for (const count of counts) for (const suffix of suffixes) add(`${prefix}${count}${suffix}`, count);
}

// Families whose size number is not the vCPU count.
for (const [name, vCpus] of [
  ['a1', 1],
  ['a2', 2],
  ['a3', 4],
  ['a4', 8],
  ['a5', 2],
  ['a6', 4],
  ['a7', 8],
  ['a8', 8],
  ['a9', 16],
  ['a10', 8],
  ['a11', 16],
  ['d1', 1],
  ['d2', 2],
  ['d3', 4],
  ['d4', 8],
  ['d11', 2],
  ['d12', 4],
  ['d13', 8],
  ['d14', 16],
  ['d1_v2', 1],
  ['d2_v2', 2],
  ['d3_v2', 4],
  ['d4_v2', 8],
  ['d5_v2', 16],
  ['d11_v2', 2],
  ['d12_v2', 4],
  ['d13_v2', 8],
  ['d14_v2', 16],
  ['d15_v2', 20],
  // B (burstable), M (memory)
  ['b1ls', 1],
  ['b1s', 1],
  ['b1ms', 1],
  ['b2s', 2],
  ['b2ms', 2],
  ['b4ms', 4],
  ['b8ms', 8],
  ['b12ms', 12],
  ['b16ms', 16],
  ['b20ms', 20],
  ['m8ms', 8],
  ['m16ms', 16],
  ['m32ts', 32],
  ['m32ls', 32],
  ['m32ms', 32],
  ['m64s', 64],
  ['m64ls', 64],
  ['m64ms', 64],
  ['m128s', 128],
  ['m128ms', 128],
] as const)
  add(name, vCpus);

// General purpose and memory optimized.
family('a', [1, 2, 4, 8], ['_v2']);
family('a', [2, 4, 8], ['m_v2']);
family('d', [2, 4, 8, 16, 32, 48, 64], ['_v3', 's_v3', '_v4', 's_v4', 'd_v4', 'ds_v4', 'a_v4', 'as_v4']);
family('d', [96], ['a_v4', 'as_v4']);
family('d', [2, 4, 8, 16, 32, 48, 64, 96], ['_v5', 's_v5', 'd_v5', 'ds_v5', 'as_v5', 'ads_v5']);
family('d', [2, 4, 8, 16, 32, 48, 64, 96], ['s_v6', 'ds_v6', 'as_v6', 'ads_v6']);
family('e', [2, 4, 8, 16, 20, 32, 48, 64], ['_v3', 's_v3', '_v4', 's_v4', 'd_v4', 'ds_v4', 'a_v4', 'as_v4']);
family('e', [96], ['a_v4', 'as_v4']);
family('e', [2, 4, 8, 16, 20, 32, 48, 64, 96], ['_v5', 's_v5', 'd_v5', 'ds_v5', 'as_v5', 'ads_v5']);
family('b', [2, 4, 8, 16, 32], ['s_v2', 'as_v2', 'ls_v2']);
// Storage optimized.
family('l', [8, 16, 32, 48, 64, 80], ['s_v2', 's_v3', 'as_v3']);
// Compute optimized and high performance compute.
family('f', [1, 2, 4, 8, 16], ['', 's']);
family('f', [2, 4, 8, 16, 32, 48, 64, 72], ['s_v2']);
family('h', [8, 16], ['', 'm']);
add('h16r', 16);
add('h16mr', 16);
add('hb120rs_v2', 120);
add('hb120rs_v3', 120);
add('hb176rs_v4', 176);
add('hc44rs', 44);

// GPU sizes: vCPUs, GPUs.
for (const [name, vCpus, gpus] of [
  // NC, NCv2, NCv3 (K80, P100, V100)
  ['nc6', 6, 1],
  ['nc12', 12, 2],
  ['nc24', 24, 4],
  ['nc24r', 24, 4],
  ['nc6s_v2', 6, 1],
  ['nc12s_v2', 12, 2],
  ['nc24s_v2', 24, 4],
  ['nc24rs_v2', 24, 4],
  ['nc6s_v3', 6, 1],
  ['nc12s_v3', 12, 2],
  ['nc24s_v3', 24, 4],
  ['nc24rs_v3', 24, 4],
  // NCads A10 v4 (a third, two thirds, then whole A10s)
  ['nc8ads_a10_v4', 8, 1],
  ['nc16ads_a10_v4', 16, 1],
  ['nc32ads_a10_v4', 32, 2],
  // NCasT4_v3 (T4)
  ['nc4as_t4_v3', 4, 1],
  ['nc8as_t4_v3', 8, 1],
  ['nc16as_t4_v3', 16, 1],
  ['nc64as_t4_v3', 64, 4],
  // NC A100 v4, NC H100 v5
  ['nc24ads_a100_v4', 24, 1],
  ['nc48ads_a100_v4', 48, 2],
  ['nc96ads_a100_v4', 96, 4],
  ['nc40ads_h100_v5', 40, 1],
  ['nc80adis_h100_v5', 80, 2],
  ['ncc40ads_h100_v5', 40, 1],
  // ND (P40), NDv2 (V100), ND A100 v4, ND H100/H200 v5, ND MI300X v5
  ['nd6s', 6, 1],
  ['nd12s', 12, 2],
  ['nd24s', 24, 4],
  ['nd24rs', 24, 4],
  ['nd40rs_v2', 40, 8],
  ['nd96asr_v4', 96, 8],
  ['nd96amsr_a100_v4', 96, 8],
  ['nd96isr_h100_v5', 96, 8],
  ['nd96isr_h200_v5', 96, 8],
  ['nd96isr_mi300x_v5', 96, 8],
  // NV (M60), NVv2 (M60), NVv3, NVv4 (a share of one GPU), NVadsA10 v5 (shares up to NV36, then whole GPUs)
  ['nv6', 6, 1],
  ['nv12', 12, 2],
  ['nv24', 24, 4],
  ['nv6s_v2', 6, 1],
  ['nv12s_v2', 12, 2],
  ['nv24s_v2', 24, 4],
  ['nv12s_v3', 12, 1],
  ['nv24s_v3', 24, 2],
  ['nv48s_v3', 48, 4],
  ['nv4as_v4', 4, 1],
  ['nv8as_v4', 8, 1],
  ['nv16as_v4', 16, 1],
  ['nv32as_v4', 32, 1],
  ['nv6ads_a10_v5', 6, 1],
  ['nv12ads_a10_v5', 12, 1],
  ['nv18ads_a10_v5', 18, 1],
  ['nv36ads_a10_v5', 36, 1],
  ['nv36adms_a10_v5', 36, 1],
  ['nv72ads_a10_v5', 72, 2],
] as const)
  add(name, vCpus, gpus);

/** The resources of a size in the table, or undefined when the table does not know it. */
export function builtInVmSize(vmSize: string): VmSizeResources | undefined {
  return table.get(vmSize.toLowerCase());
}

/** Every size in the table, as Azure spells them (`Standard_NC6s_v3`). */
export function builtInVmSizeNames(): string[] {
  return [...table.keys()].map(azureSpelling);
}

/** `standard_nc24ads_a100_v4` -> `Standard_NC24ads_A100_v4`: the series letters and the accelerator upper case. */
function azureSpelling(lower: string): string {
  const [, ...parts] = lower.split('_');
  const [size, ...rest] = parts;
  const sized = size!.replace(
    /^([a-z]+)(\d+)/,
    (_, series: string, count: string) => series.toUpperCase() + count,
  );
  return ['Standard', sized, ...rest.map((part) => (/^v\d+$/.test(part) ? part : part.toUpperCase()))].join(
    '_',
  );
}

/** Up to three names of `known` nearest to `vmSize` (case-insensitive, equally near); none when nothing is close. */
export function closestVmSizes(vmSize: string, known: readonly string[]): string[] {
  const wanted = vmSize.toLowerCase();
  const limit = Math.max(2, Math.floor(wanted.length / 4));
  // A size followed by a suffix it does not have counts as one edit (`Standard_NC6_v4` for `Standard_NC6`).
  const scored = known.map((name) => ({
    name,
    d: wanted.startsWith(`${name.toLowerCase()}_`) ? 1 : editDistance(wanted, name),
  }));
  const best = Math.min(limit, ...scored.map((candidate) => candidate.d));
  return scored
    .filter((candidate) => candidate.d === best)
    .sort((a, b) => a.d - b.d || a.name.localeCompare(b.name))
    .slice(0, 3)
    .map((candidate) => candidate.name);
}

/**
 * Local compute's catalogue: this table. Local nodes are processes of this machine whatever their size; the size
 * still decides the cores quotas count and the GPUs a node reports.
 */
export const builtInVmSizeCatalog: VmSizeCatalog = {
  location: undefined,
  lookup(vmSize: string): Promise<VmSizeLookup> {
    const resources = builtInVmSize(vmSize);
    return Promise.resolve(
      resources
        ? { kind: 'available', resources, lowPriorityCapable: true }
        : { kind: 'unknown', suggestions: closestVmSizes(vmSize, builtInVmSizeNames()) },
    );
  },
};
