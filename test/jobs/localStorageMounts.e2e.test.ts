// End to end on local nodes: an Azure file share or blob container that a job or a cluster mounts is one lasting
// directory under <DATA_DIR>/storage (files/<account>/<share>, blobs/<account>/<container>), as the share is one
// share on Azure: a script a Batch AI recipe reads from its share can be put there first, what a job writes there
// outlives the job, and every job and cluster mounting it sees the same files. Needs `npx tsc -p tsconfig.json`.
import * as fs from 'fs';
import * as path from 'path';
import { customJob, jobEnded, startJobTestBed, type JobTestBed } from './support/jobTestBed';

let bed: JobTestBed;
const accountKey = 'c3RvcmFnZS1rZXktOWQ0ZQ==';

beforeAll(async () => {
  bed = await startJobTestBed();
  await bed.createCluster('shares', 1);
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

function withShare(command: string): Record<string, unknown> {
  return customJob(bed, 'shares', command, {
    mountVolumes: {
      azureFileShares: [
        {
          accountName: 'recipes',
          azureFileUrl: 'https://recipes.file.core.windows.net/scripts',
          credentials: { accountKey },
          relativeMountPath: 'afs',
        },
      ],
      azureBlobFileSystems: [
        {
          accountName: 'recipes',
          containerName: 'data',
          credentials: { accountKey },
          relativeMountPath: 'bfs',
        },
      ],
    },
  });
}

test("a recipe's script put in its share's directory runs; what a job writes there the next job sees", async () => {
  const share = path.join(bed.dataDir, 'storage', 'files', 'recipes', 'scripts');
  const container = path.join(bed.dataDir, 'storage', 'blobs', 'recipes', 'data');
  fs.mkdirSync(share, { recursive: true });
  fs.mkdirSync(container, { recursive: true });
  fs.writeFileSync(
    path.join(share, 'train.sh'),
    'echo trained > "$AZ_BATCHAI_JOB_MOUNT_ROOT/afs/model.txt"\n',
  );
  fs.writeFileSync(path.join(container, 'input.csv'), 'a,b\n');
  await bed.putJob(
    'writer',
    withShare(
      'sh "$AZ_BATCHAI_JOB_MOUNT_ROOT/afs/train.sh" && cat "$AZ_BATCHAI_JOB_MOUNT_ROOT/bfs/input.csv"',
    ),
  );
  const written = await bed.waitForJob('writer', 'ended', jobEnded, 90_000);
  expect(written.executionState).toBe('succeeded');
  expect(await bed.stdoutOf('writer')).toBe('a,b\n');
  // The job's temporary directory is gone; the share's files stay.
  expect(fs.readFileSync(path.join(share, 'model.txt'), 'utf8')).toBe('trained\n');
  expect(fs.readFileSync(path.join(share, 'train.sh'), 'utf8')).toContain('trained');

  await bed.putJob('reader', withShare('cat "$AZ_BATCHAI_JOB_MOUNT_ROOT/afs/model.txt"'));
  const read = await bed.waitForJob('reader', 'ended', jobEnded, 90_000);
  expect(read.executionState).toBe('succeeded');
  expect(await bed.stdoutOf('reader')).toBe('trained\n');
}, 180_000);
