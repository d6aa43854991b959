// The marketplace image a cluster's VMs boot. Batch AI's default, Ubuntu 16.04 LTS (what GET shows when a cluster
// named none, as Batch AI's examples do), and the other images of its era cannot run today's node agent (Node.js 20
// needs glibc 2.28; 16.04 has 2.23, 18.04 2.27) and are retired: they run as the current node image instead, Azure's
// Ubuntu-HPC 22.04 (NVIDIA drivers, Docker with the NVIDIA runtime, InfiniBand, HPC-X), or, on the few sizes that
// boot only generation 1 images, Ubuntu Server 22.04 (gen 1). Any other image runs as named.
import { bootsGeneration1Only } from './vmSizeFeatures';

export interface MarketplaceImage {
  publisher: string;
  offer: string;
  sku: string;
  version: string;
}

/** Azure's HPC and AI image: GPU drivers, Moby with nvidia-container-toolkit, Mellanox OFED, HPC-X (gen 2). */
export const nodeImage: MarketplaceImage = {
  publisher: 'microsoft-dsvm',
  offer: 'ubuntu-hpc',
  sku: '2204',
  version: 'latest',
};

/** For sizes without generation 2 support. No GPU drivers: the agent installs Docker when the image has none. */
export const generation1NodeImage: MarketplaceImage = {
  publisher: 'Canonical',
  offer: '0001-com-ubuntu-server-jammy',
  sku: '22_04-lts',
  version: 'latest',
};

/** Batch AI's default image, recorded on a cluster created without one. */
export const batchAiDefaultImage: MarketplaceImage = {
  publisher: 'Canonical',
  offer: 'UbuntuServer',
  sku: '16.04-LTS',
  version: 'latest',
};

/** Images of Batch AI's era that cannot run the node agent. */
function retired(image: MarketplaceImage): boolean {
  const publisher = image.publisher.toLowerCase();
  const offer = image.offer.toLowerCase();
  if (publisher === 'canonical' && offer === 'ubuntuserver') return /^1[468]\.04/.test(image.sku);
  // The Ubuntu Data Science VM of that time (16.04), the CLI's 'UbuntuDSVM' alias.
  return publisher === 'microsoft-ads' && offer === 'linux-data-science-vm-ubuntu';
}

/** The image a cluster of `vmSize` boots for the image it names. */
export function bootImage(image: MarketplaceImage, vmSize: string): MarketplaceImage {
  if (!retired(image)) return image;
  return bootsGeneration1Only(vmSize) ? generation1NodeImage : nodeImage;
}
