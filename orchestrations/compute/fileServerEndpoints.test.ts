// How a file server mount becomes the agent's NFS mount: its address and export path from the file server's
// record, the local export directory for local nodes, and a path that cannot leave the export.
import { agentMountsOf } from './poolDefinition';
import { exportRelativePath, fileServerKeyOf, type FileServerEndpoints } from './fileServerEndpoints';

const id = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/ws/fileServers/Share';

test.each([
  [undefined, ''],
  ['', ''],
  ['logs', 'logs'],
  ['/logs/', 'logs'],
  ['/mnt/data', ''],
  ['/mnt/data/logs/run1', 'logs/run1'],
  ['/mnt/database', 'mnt/database'],
  ['../../etc', 'etc'],
  ['a/../../..', ''],
])('sourceDirectory %p is %p inside the export', (sourceDirectory, expected) => {
  expect(exportRelativePath('/mnt/data', sourceDirectory)).toBe(expected);
});

test('a file server mount gets the address and export path of the record, and the local export', () => {
  const endpoints: FileServerEndpoints = new Map([
    [fileServerKeyOf(id), { server: '10.0.0.4', mountPoint: '/mnt/data', localExport: '/data/fs/export' }],
  ]);
  const volumes = {
    fileServers: [
      { fileServer: { id }, relativeMountPath: 'nfs/', sourceDirectory: 'runs', mountOptions: 'rw' },
    ],
  };
  expect(agentMountsOf(volumes, 'properties.mountVolumes', () => undefined, endpoints)).toEqual([
    {
      kind: 'nfs',
      relativeMountPath: 'nfs',
      server: '10.0.0.4',
      sourceDirectory: '/mnt/data/runs',
      mountOptions: 'rw',
      localExport: '/data/fs/export/runs',
    },
  ]);
});

test('a file server that is gone or not ready gives a mount that fails with the reason', () => {
  const endpoints: FileServerEndpoints = new Map([
    [fileServerKeyOf(id), `The file server '${id}' no longer exists.`],
  ]);
  const [mount] = agentMountsOf(
    { fileServers: [{ fileServer: { id }, relativeMountPath: 'nfs' }] },
    'properties.mountVolumes',
    () => undefined,
    endpoints,
  );
  expect(mount).toMatchObject({
    kind: 'nfs',
    server: 'Share',
    unavailable: `The file server '${id}' no longer exists.`,
  });
});
