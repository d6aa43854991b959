// vCPUs per node of the VM sizes Batch AI clusters used, for the Usages core counts (a size missing from the
// table counts no cores: it is reported, not guessed).
const coresBySize: Record<string, number> = {
  standard_nc6: 6, standard_nc12: 12, standard_nc24: 24, standard_nc24r: 24,
  standard_nc6s_v2: 6, standard_nc12s_v2: 12, standard_nc24s_v2: 24, standard_nc24rs_v2: 24,
  standard_nc6s_v3: 6, standard_nc12s_v3: 12, standard_nc24s_v3: 24, standard_nc24rs_v3: 24,
  standard_nd6s: 6, standard_nd12s: 12, standard_nd24s: 24, standard_nd24rs: 24,
  standard_nv6: 6, standard_nv12: 12, standard_nv24: 24,
  standard_d1: 1, standard_d2: 2, standard_d3: 4, standard_d4: 8,
  standard_d1_v2: 1, standard_d2_v2: 2, standard_d3_v2: 4, standard_d4_v2: 8, standard_d5_v2: 16,
  standard_d2_v3: 2, standard_d4_v3: 4, standard_d8_v3: 8, standard_d16_v3: 16, standard_d32_v3: 32, standard_d64_v3: 64,
  standard_f2: 2, standard_f4: 4, standard_f8: 8, standard_f16: 16,
  standard_a1: 1, standard_a2: 2, standard_a3: 4, standard_a4: 8,
  standard_h8: 8, standard_h16: 16, standard_h16r: 16, standard_h16mr: 16,
};

/** vCPUs of one node of `vmSize`, or undefined when the size is not in the table. */
export function coresOf(vmSize: string): number | undefined {
  return coresBySize[vmSize.toLowerCase()];
}
