import { batchAiDefaultImage, bootImage, generation1NodeImage, nodeImage } from './nodeImages';

const ubuntu = (sku: string) => ({ publisher: 'Canonical', offer: 'UbuntuServer', sku, version: 'latest' });

test("Batch AI's images, which cannot run the node agent, boot today's node image", () => {
  for (const image of [batchAiDefaultImage, ubuntu('18.04-LTS'), ubuntu('14.04.5-LTS')]) {
    expect(bootImage(image, 'STANDARD_NC6s_v3')).toEqual(nodeImage);
  }
  const dsvm = {
    publisher: 'microsoft-ads',
    offer: 'linux-data-science-vm-ubuntu',
    sku: 'linuxdsvmubuntu',
    version: 'latest',
  };
  expect(bootImage(dsvm, 'Standard_D4s_v3')).toEqual(nodeImage);
  expect(nodeImage).toEqual({
    publisher: 'microsoft-dsvm',
    offer: 'ubuntu-hpc',
    sku: '2204',
    version: 'latest',
  });
});

test('sizes that boot only generation 1 images get Ubuntu Server 22.04 gen 1 instead', () => {
  for (const size of ['STANDARD_A2_v2', 'Standard_A4m_v2', 'STANDARD_D1', 'STANDARD_NC6', 'standard_nv12']) {
    expect(bootImage(batchAiDefaultImage, size)).toEqual(generation1NodeImage);
  }
  for (const size of ['Standard_D4s_v3', 'STANDARD_NC6s_v3', 'Standard_ND40rs_v2', 'Standard_F4s_v2']) {
    expect(bootImage(batchAiDefaultImage, size)).toEqual(nodeImage);
  }
});

test('any other image boots as named', () => {
  const jammy = {
    publisher: 'Canonical',
    offer: '0001-com-ubuntu-server-jammy',
    sku: '22_04-lts-gen2',
    version: 'latest',
  };
  expect(bootImage(jammy, 'STANDARD_NC6')).toBe(jammy);
  expect(bootImage(ubuntu('20.04-LTS'), 'Standard_D2s_v3')).toEqual(ubuntu('20.04-LTS'));
});
