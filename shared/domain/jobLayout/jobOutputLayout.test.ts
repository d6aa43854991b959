// Unit tests of the job's on-storage layout: Batch AI's stdouterr and output paths, attempts, variable expansion.
import { ValidationError } from '../errors';
import type { JsonObject } from '../specValidator';
import {
  attemptFolder,
  missingStderrs,
  jobDirectories,
  outputDirectory,
  stdOutErrDirectory,
  stdOutErrFileNames,
} from './jobOutputLayout';
import { batchAiNodeFileSystem, jobNodePaths } from './nodeFileSystem';
import { joinPosix } from './posixPath';
import { expandVariables, referencedVariables } from './variableExpansion';

const segment = 'sub/rg/workspaces/ws/experiments/exp/jobs/job/1111-2222';
const variables = { AZ_BATCHAI_MOUNT_ROOT: '/mnt/m', AZ_BATCHAI_JOB_MOUNT_ROOT: '/jobs/u/mounts' };

test('stdout and stderr live under {prefix}/{segment}/stdouterr as in Batch AI', () => {
  expect(stdOutErrDirectory('/jobs/u/mounts/logs', segment, 1)).toBe(
    `/jobs/u/mounts/logs/${segment}/stdouterr`,
  );
});

test('an output directory is {prefix}/{segment}/outputs/{suffix}, as the recipes show', () => {
  // Recipe listing: .../logs/<sub>/batchai.recipes/.../jobs/distributed_chainer/<uuid>/outputs/cg.dot (no pathSuffix).
  expect(outputDirectory('/m/logs/', segment, undefined, 1)).toBe(`/m/logs/${segment}/outputs`);
  expect(outputDirectory('/m/logs', segment, 'Models', 1)).toBe(`/m/logs/${segment}/outputs/Models`);
});

test('a retry writes below attempt-<n> and names the previous attempt as PREV_OUTPUT', () => {
  const properties: JsonObject = {
    stdOutErrPathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/logs',
    outputDirectories: [{ id: 'MODEL', pathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/logs', pathSuffix: 'Models' }],
    inputDirectories: [{ id: 'DATA', path: '${AZ_BATCHAI_MOUNT_ROOT}/data' }],
  };
  const first = jobDirectories(properties, segment, 1, variables);
  expect(first).toEqual({
    stdOutErr: `/jobs/u/mounts/logs/${segment}/stdouterr`,
    outputs: { MODEL: `/jobs/u/mounts/logs/${segment}/outputs/Models` },
    previousOutputs: { MODEL: '' },
    inputs: { DATA: '/mnt/m/data' },
  });
  const third = jobDirectories(properties, segment, 3, variables);
  expect(third.stdOutErr).toBe(`/jobs/u/mounts/logs/${segment}/attempt-3/stdouterr`);
  expect(third.outputs.MODEL).toBe(`/jobs/u/mounts/logs/${segment}/attempt-3/outputs/Models`);
  expect(third.previousOutputs.MODEL).toBe(`/jobs/u/mounts/logs/${segment}/attempt-2/outputs/Models`);
  expect(jobDirectories(properties, segment, 2, variables).previousOutputs.MODEL).toBe(first.outputs.MODEL);
});

test('a prefix that refers to an undefined variable or is relative is an error naming the field', () => {
  const bad = (properties: JsonObject) => () => jobDirectories(properties, segment, 1, variables);
  expect(bad({ stdOutErrPathPrefix: '$NOPE/logs' })).toThrow(
    "'properties.stdOutErrPathPrefix' refers to $NOPE",
  );
  expect(bad({ stdOutErrPathPrefix: 'logs' })).toThrow(ValidationError);
  expect(bad({ stdOutErrPathPrefix: '/l', outputDirectories: [{ id: 'X', pathPrefix: '$FOO' }] })).toThrow(
    "'properties.outputDirectories[0].pathPrefix'",
  );
  expect(() => attemptFolder(0)).toThrow("'attempt'");
});

test("a '..' segment in a prefix or a suffix is an error: the directories stay below {prefix}/{segment}", () => {
  const bad = (properties: JsonObject) => () => jobDirectories(properties, segment, 1, variables);
  expect(bad({ stdOutErrPathPrefix: '/l/../x' })).toThrow(
    "'properties.stdOutErrPathPrefix' must not contain",
  );
  const output = (pathSuffix: string): JsonObject => ({
    stdOutErrPathPrefix: '/l',
    outputDirectories: [{ id: 'X', pathPrefix: '/l', pathSuffix }],
  });
  expect(bad(output('../../../../..'))).toThrow("'properties.outputDirectories[0].pathSuffix'");
  expect(jobDirectories(output('a..b/c.'), segment, 1, variables).outputs.X).toBe(
    `/l/${segment}/outputs/a..b/c.`,
  );
});

test('file names follow Batch AI: job_prep, TensorFlow wk/ps, per-rank', () => {
  expect(stdOutErrFileNames.jobPreparation(0)).toEqual({
    stdout: 'stdout-job_prep.txt',
    stderr: 'stderr-job_prep.txt',
  });
  expect(stdOutErrFileNames.jobPreparation(2).stdout).toBe('stdout-job_prep-2.txt');
  expect(stdOutErrFileNames.task('worker', 0).stdout).toBe('stdout-wk-0.txt');
  expect(stdOutErrFileNames.task('parameterServer', 1).stderr).toBe('stderr-ps-1.txt');
  expect(stdOutErrFileNames.task('rank', 3).stdout).toBe('stdout-3.txt');
});

test('node paths default to Batch AI roots and are per job uuid', () => {
  expect(jobNodePaths(batchAiNodeFileSystem, 'u-1')).toEqual({
    mountRoot: '/mnt/batch/tasks/shared/LS_root/mounts',
    jobTempRoot: '/mnt/batch/tasks/shared/LS_root/jobs',
    jobTemp: '/mnt/batch/tasks/shared/LS_root/jobs/u-1',
    jobMountRoot: '/mnt/batch/tasks/shared/LS_root/jobs/u-1/mounts',
    sharedJobTemp: '/mnt/batch/tasks/shared/LS_root/jobs/u-1/shared',
    mpiHostFile: '/mnt/batch/tasks/shared/LS_root/jobs/u-1/hostfile',
  });
});

test('variable expansion replaces known names only, and only shell-safe values in command lines', () => {
  const vars = { A: '/x', SPACE: 'a b' };
  expect(expandVariables('$A/y ${A} $B $SPACE', vars)).toBe('/x/y /x $B a b');
  expect(expandVariables('$A $SPACE', vars, { shellSafeOnly: true })).toBe('/x $SPACE');
  expect(referencedVariables('$A ${B}c $1')).toEqual(['A', 'B']);
  expect(joinPosix('/a/', '/b//c/', undefined, '', './d')).toBe('/a/b/c/d');
});

test("the stderr files missing beside the processes' stdout files, and only theirs", () => {
  expect(
    missingStderrs([
      'execution.log',
      'stderr-wk-1.txt',
      'stdout-job_prep-2.txt',
      'stdout-job_node-1.txt',
      'stdout-ps-0.txt',
      'stdout-wk-0.txt',
      'stdout-wk-1.txt',
      'stdout-3.txt',
      'stdout.txt',
      'stdout-summary.txt',
      'stdout.txt.bak',
    ]),
  ).toEqual([
    'stderr-job_prep-2.txt',
    'stderr-job_node-1.txt',
    'stderr-ps-0.txt',
    'stderr-wk-0.txt',
    'stderr-3.txt',
    'stderr.txt',
  ]);
});
