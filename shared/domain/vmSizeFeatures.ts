// What an Azure VM size's name says about the machine, for the choices that depend on it (the image generation it
// boots, its InfiniBand network).

/**
 * Sizes that boot generation 1 images only: the ones without premium storage of the older families (A and Av2; D,
 * Dv2 and Dv3 without `s`; Ev3 without `s`; F v1), H, and the first NC and NV, and NVv4. Sizes with premium storage
 * (`s`) of those families, and the newer families, boot generation 2.
 */
export function bootsGeneration1Only(vmSize: string): boolean {
  return /^standard_(a\d+(m?_v2)?|d\d+(_v[23])?|e\d+(-\d+)?_v3|f\d+|h\d+[mr]*|n[cv]\d+r?|nv\d+as_v4)$/i.test(
    vmSize,
  );
}

/**
 * Sizes with an InfiniBand (RDMA) network: an `r` among the letters after the core count (H16r, HB120rs_v3,
 * NC24rs_v3, ND40rs_v2, ND96asr_v4, HC44-16rs). Their VMs reach each other over it only within one placement group.
 */
export function rdmaCapable(vmSize: string): boolean {
  return /^standard_[a-z]+\d+(-\d+)?[a-z]*r[a-z]*(_|$)/i.test(vmSize);
}
