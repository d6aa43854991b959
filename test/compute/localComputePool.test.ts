// The local compute pool's files: deleting a cluster's pool removes what its nodes shared (the stand-ins of its
// mounts and its job temp directories), so a cluster created again under the name, in a workspace created again
// say, starts with none of the old jobs' files; a file server's export, linked into the mounts, is left alone.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LocalComputePool } from '../../shared/adapters/compute/localComputePool';
import { localClusterFileSystem } from '../../shared/adapters/compute/localNodeRegistry';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-pool-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test("deleting a cluster's pool removes its shared files, not a file server's export linked into them", async () => {
  const dataDir = path.join(dir, 'data');
  const clusterKey = 'sub/rg/ws/clusters/cpu';
  const pool = new LocalComputePool({ dataDir, storageConnectionString: 'UseDevelopmentStorage=true' });
  const shared = localClusterFileSystem(dataDir, clusterKey);
  const oldJob = path.join(shared.mountRoot, 'logs', 'jobs', 'old', 'stdout.txt');
  fs.mkdirSync(path.dirname(oldJob), { recursive: true });
  fs.writeFileSync(oldJob, 'an old job of a deleted workspace\n');
  fs.mkdirSync(path.join(shared.jobTempRoot, 'some-job-guid'), { recursive: true });
  const exportDir = path.join(dataDir, 'fileservers', 'nfs', 'export');
  fs.mkdirSync(exportDir, { recursive: true });
  fs.writeFileSync(path.join(exportDir, 'keep.txt'), 'the file server keeps this\n');
  fs.symlinkSync(exportDir, path.join(shared.mountRoot, 'nfs'), 'dir');
  const other = localClusterFileSystem(dataDir, 'sub/rg/ws/clusters/gpu');
  fs.mkdirSync(other.mountRoot, { recursive: true });

  await pool.deletePool(clusterKey);

  expect(fs.existsSync(path.dirname(shared.mountRoot))).toBe(false);
  expect(fs.readFileSync(path.join(exportDir, 'keep.txt'), 'utf8')).toBe('the file server keeps this\n');
  expect(fs.existsSync(other.mountRoot)).toBe(true);
});
