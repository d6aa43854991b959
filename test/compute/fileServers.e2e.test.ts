// File servers end to end through the real app on the local host: a file server is provisioned by its monitor
// orchestration (its create operation completes when it is ready), mounted by a cluster's nodes and by a job on
// every node of its gang, which see the same files, as NFS clients of one server do; refused as a mount while it
// is not ready; removed with everything it held. Needs `npx tsc -p tsconfig.json` first.
import * as fs from 'fs';
import * as path from 'path';
import {
  customJob,
  experiment,
  startJobTestBed,
  workspace,
  type JobTestBed,
  jobEnded,
} from '../jobs/support/jobTestBed';

let bed: JobTestBed;

beforeAll(async () => {
  bed = await startJobTestBed();
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

const fileServer = `${workspace}/fileServers/share`;
const fileServerBody = {
  properties: {
    vmSize: 'STANDARD_D2_V2',
    sshConfiguration: {
      userAccountSettings: { adminUserName: 'nfsadmin', adminUserPassword: 'Fs-Passw0rd!' },
    },
    dataDisks: { diskSizeInGB: 10, diskCount: 2, storageAccountType: 'Standard_LRS' },
  },
};

/** Files below `dir` (relative paths, sorted); [] when it does not exist. */
function filesBelow(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((name) => fs.statSync(path.join(dir, name)).isFile())
    .sort();
}

test('a file server is provisioned, shared by the nodes and jobs that mount it, and removed with its files', async () => {
  const put = await bed.api.send('PUT', fileServer, fileServerBody);
  expect(put.status).toBe(202);
  const created = await bed.api.waitForOperation(put);
  expect(created.status).toBe('Succeeded');
  const got = await bed.api.send('GET', fileServer);
  expect(got.body.properties).toMatchObject({
    provisioningState: 'succeeded',
    mountSettings: { mountPoint: '/mnt/data', fileServerInternalIP: '127.0.0.1' },
  });
  expect(got.text).not.toContain('Fs-Passw0rd!');
  // The same PUT again answers the resource as it is.
  expect((await bed.api.send('PUT', fileServer, fileServerBody)).status).toBe(200);

  await bed.createCluster('nfs', 2, {
    nodeSetup: {
      mountVolumes: {
        fileServers: [
          { fileServer: { id: fileServer }, relativeMountPath: 'nfs', sourceDirectory: 'shared' },
        ],
      },
    },
  });
  const base = customJob(bed, 'nfs', '');
  await bed.putJob(
    'writers',
    customJob(
      bed,
      'nfs',
      // The master sees what each node's preparation wrote, through the cluster's mount and the job's own.
      'ls "$AZ_BATCHAI_MOUNT_ROOT/nfs" | wc -l; ls "$AZ_BATCHAI_JOB_MOUNT_ROOT/jfs/shared" | wc -l',
      {
        nodeCount: 2,
        jobPreparation: {
          commandLine:
            'echo "$AZ_BATCHAI_NODE_ID" > "$AZ_BATCHAI_MOUNT_ROOT/nfs/node-$AZ_BATCHAI_NODE_ID.txt"',
        },
        mountVolumes: {
          ...(base.mountVolumes as Record<string, unknown>),
          fileServers: [{ fileServer: { id: fileServer }, relativeMountPath: 'jfs' }],
        },
      },
    ),
  );
  const done = await bed.waitForJob('writers', 'ended', jobEnded);
  expect(JSON.stringify(done)).toContain('"executionState":"succeeded"');
  expect(await bed.stdoutOf('writers')).toBe('2\n2\n');
  // On this machine the export is one directory: both nodes' files are in it, under the mounted sourceDirectory.
  const servers = path.join(bed.dataDir, 'fileservers');
  const [server] = fs.readdirSync(servers);
  const written = filesBelow(path.join(servers, server, 'export'));
  expect(written).toHaveLength(2);
  expect(written.every((name) => /^shared\/node-.+\.txt$/.test(name))).toBe(true);

  // A mount outside the export is not possible: '..' stops at its root.
  const escaped = await bed.api.send('PUT', `${experiment}/jobs/escape`, {
    properties: customJob(bed, 'nfs', 'ls "$AZ_BATCHAI_JOB_MOUNT_ROOT/up"', {
      mountVolumes: {
        ...(base.mountVolumes as Record<string, unknown>),
        fileServers: [
          { fileServer: { id: fileServer }, relativeMountPath: 'up', sourceDirectory: '../../..' },
        ],
      },
    }),
  });
  expect(escaped.status).toBe(202);
  const escapedJob = await bed.waitForJob('escape', 'ended', jobEnded);
  expect(escapedJob.executionState).toBe('succeeded');
  expect((await bed.stdoutOf('escape')).split('\n').filter(Boolean).sort()).toEqual(['shared']);

  const deleted = await bed.api.send('DELETE', fileServer);
  expect(deleted.status).toBe(202);
  expect((await bed.api.waitForOperation(deleted)).status).toBe('Succeeded');
  expect((await bed.api.send('GET', fileServer)).status).toBe(404);
  expect(fs.existsSync(path.join(servers, server))).toBe(false);
  // Mounting a file server that no longer exists is refused, naming the field.
  const refused = await bed.api.send('PUT', `${experiment}/jobs/late`, {
    properties: customJob(bed, 'nfs', 'true', {
      mountVolumes: { fileServers: [{ fileServer: { id: fileServer }, relativeMountPath: 'late' }] },
    }),
  });
  expect(refused.status).toBe(400);
  expect((refused.body.error as { target: string }).target).toBe(
    'properties.mountVolumes.fileServers[0].fileServer.id',
  );
}, 240_000);
