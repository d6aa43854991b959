// What an Azure VM size's name says about the machine, for the choices that depend on it (the image generation it
// boots, its InfiniBand network).

/**
 * Sizes that boot generation 1 images only, among those still offered: the A series (A, Av2), D v1 and the first
 * NC and NV (retired, kept for old cluster definitions).
 */
export function bootsGeneration1Only(vmSize: string): boolean {
  return /^standard_(a\d+(m?_v2)?|d\d+|n[cv]\d+r?)$/i.test(vmSize);
}

/**
 * Sizes with an InfiniBand (RDMA) network: an `r` among the letters after the core count (H16r, HB120rs_v3,
 * NC24rs_v3, ND40rs_v2, ND96asr_v4, HC44-16rs). Their VMs reach each other over it only within one placement group.
 */
export function rdmaCapable(vmSize: string): boolean {
  return /^standard_[a-z]+\d+(-\d+)?[a-z]*r[a-z]*(_|$)/i.test(vmSize);
}
