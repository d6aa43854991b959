// Local output collection (CompleteJobAttempt on local nodes) copies what a reader of the output directory sees:
// symbolic links inside it are followed (a `latest -> checkpoint-100` link, a link to a file); a link out of it, a
// dangling one, a loop and a name with a backslash (which a blob name cannot keep) are left out and said in a log
// line, so listOutputFiles never shows a file that is not there or under another name.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { collectJobOutputs } from '../../orchestrations/jobs/collectJobOutputs';
import { getJobServices, type JobServices } from '../../orchestrations/jobs/jobServices';
import { jobDirectoryBlobFolder } from '../../shared/adapters/storage/jobFileLocation';
import { jobDirectories } from '../../shared/domain/jobLayout/jobOutputLayout';
import {
  jobNodePaths,
  jobPathVariables,
  type NodeFileSystem,
} from '../../shared/domain/jobLayout/nodeFileSystem';
import type { ResourceRecord } from '../../shared/domain/resourceRecord';

jest.mock('../../orchestrations/jobs/jobServices', () => ({ getJobServices: jest.fn() }));

const workspaceId = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/ws';
const clusterKey = `${workspaceId}/clusters/cpu`.toLowerCase();
const jobArmId = `${workspaceId}/experiments/exp/jobs/train`;
const uuid = '0b8f6a52-4a8e-4bb4-9d55-6a1f2f0c1e77';
const segment = `s/rg/workspaces/ws/experiments/exp/jobs/train/${uuid}`;

const job = {
  kind: 'job',
  ref: {
    kind: 'job',
    subscriptionId: 's',
    resourceGroup: 'rg',
    workspace: 'ws',
    experiment: 'exp',
    name: 'train',
  },
  armId: jobArmId,
  spec: {
    stdOutErrPathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/afs',
    outputDirectories: [{ id: 'MODEL', pathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/afs', pathSuffix: 'models' }],
  },
  status: { jobOutputDirectoryPathSegment: segment },
  job: {
    uuid,
    clusterId: `${workspaceId}/clusters/cpu`,
    clusterKey,
    nodeCount: 1,
    executionState: 'succeeded',
  },
} as unknown as ResourceRecord;

let root: string;
let fileSystem: NodeFileSystem;
let outputs: string;
/** The blobs uploaded: name (after the job's folder) -> content. */
let uploaded: Map<string, string>;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'collect-outputs-'));
  fileSystem = { mountRoot: path.join(root, 'mounts'), jobTempRoot: path.join(root, 'jobs') };
  outputs = jobDirectories(job.spec, segment, 1, jobPathVariables(jobNodePaths(fileSystem, uuid))).outputs
    .MODEL!;
  fs.mkdirSync(outputs, { recursive: true });
  uploaded = new Map();
  const container = {
    getBlockBlobClient: (name: string) => ({
      uploadFile: async (file: string) => void uploaded.set(name, fs.readFileSync(file, 'utf8')),
    }),
  };
  jest.mocked(getJobServices).mockReturnValue({
    nodeFileSystem: () => fileSystem,
    store: { get: async () => undefined },
    blobs: { getContainerClient: () => container },
  } as unknown as JobServices);
});

afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

async function collect(): Promise<{ names: Record<string, string>; warnings: string[] }> {
  const warnings: string[] = [];
  await collectJobOutputs(
    { lifecycle: { job: {} as never, jobUuid: uuid, clusterKey }, attempt: 1 },
    job,
    (message) => warnings.push(message),
  );
  // Names relative to the output directory's folder.
  const folder = `${jobDirectoryBlobFolder(job, 'MODEL', 1, undefined)}/`;
  expect([...uploaded.keys()].every((name) => name.startsWith(folder))).toBe(true);
  const names = Object.fromEntries(
    [...uploaded].map(([name, content]) => [name.slice(folder.length), content]),
  );
  return { names, warnings };
}

test('symbolic links inside the output directory are followed: to a directory and to a file', async () => {
  fs.mkdirSync(path.join(outputs, 'checkpoint-100'));
  fs.writeFileSync(path.join(outputs, 'checkpoint-100', 'weights.bin'), 'w100');
  fs.symlinkSync('checkpoint-100', path.join(outputs, 'latest'));
  fs.symlinkSync('checkpoint-100/weights.bin', path.join(outputs, 'best.bin'));
  fs.writeFileSync(path.join(outputs, 'model.txt'), 'model');
  const { names, warnings } = await collect();
  expect(names).toEqual({
    'checkpoint-100/weights.bin': 'w100',
    'latest/weights.bin': 'w100',
    'best.bin': 'w100',
    'model.txt': 'model',
  });
  expect(warnings).toEqual([]);
});

test('a link out of the output directory, a dangling link, a loop and a backslash name are left out and logged', async () => {
  const secret = path.join(root, 'elsewhere.txt');
  fs.writeFileSync(secret, 'not an output');
  fs.symlinkSync(secret, path.join(outputs, 'outside.txt'));
  fs.symlinkSync('/etc', path.join(outputs, 'etc'));
  fs.symlinkSync('missing.txt', path.join(outputs, 'dangling.txt'));
  fs.mkdirSync(path.join(outputs, 'd'));
  fs.writeFileSync(path.join(outputs, 'd', 'f.txt'), 'f');
  fs.symlinkSync('..', path.join(outputs, 'd', 'up'));
  fs.writeFileSync(path.join(outputs, 'a\\b.txt'), 'backslash');
  fs.mkdirSync(path.join(outputs, 'a'));
  fs.writeFileSync(path.join(outputs, 'a', 'b.txt'), 'the real a/b.txt');
  const { names, warnings } = await collect();
  expect(names).toEqual({ 'd/f.txt': 'f', 'a/b.txt': 'the real a/b.txt' });
  expect(Object.keys(names).some((name) => name.includes('\\'))).toBe(false);
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toContain(`Output directory MODEL of job ${jobArmId} (attempt 1): 5 not copied`);
  for (const expected of [
    `'outside.txt' (a symbolic link to outside the output directory)`,
    `'etc' (a symbolic link to outside the output directory)`,
    `'dangling.txt' (a symbolic link to nothing)`,
    `'d/up' (a symbolic link to a directory it is in (a loop))`,
    `'a\\b.txt' (its name holds a backslash`,
  ])
    expect(warnings[0]).toContain(expected);
});
