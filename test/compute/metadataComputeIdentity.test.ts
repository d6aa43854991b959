// A VM node's identity from the Instance Metadata Service (its fake): the VM's name is the node id, and its own
// vmId tells two VMs apart that a scale set gave the same instance id in turn.
import { MetadataServiceClient } from '../../shared/adapters/identity/metadataServiceClient';
import { startImdsFake, type ImdsFake } from '../../runtime/fakes/imdsFake';

let imds: ImdsFake;
afterEach(async () => {
  await imds?.stop();
});

test("a VM's name and vmId come from the compute metadata", async () => {
  imds = await startImdsFake({ computeName: 'batchai-gpu_0', vmId: '2c1d6b0e-5d3a-4c1e-8f1a-3b9e0c7d4a11' });
  const client = new MetadataServiceClient(imds.baseUrl);
  expect(await client.computeIdentity()).toEqual({
    name: 'batchai-gpu_0',
    vmId: '2c1d6b0e-5d3a-4c1e-8f1a-3b9e0c7d4a11',
  });
  expect(await client.computeName()).toBe('batchai-gpu_0');
});
