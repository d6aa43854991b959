// Job rules at submission: directory ids are valid variable name parts, directory prefixes resolve as the launch
// resolves them (a 400 naming the field now, not a JobLaunchFailed later), '__proto__' is no variable name, and
// every job body the project ships or copies from Batch AI still passes.
import fs from 'node:fs';
import path from 'node:path';
import { ValidationError } from './errors';
import { checkJobProperties } from './jobRules';
import { checkJobLaunchable } from './toolkits/launchCheck';
import { validateCreateBody, type JsonObject } from './specValidator';
import { validateSweepBody } from './sweeps/sweepDefinition';

const clusterId = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/ws/clusters/c';
const base: JsonObject = {
  cluster: { id: clusterId },
  nodeCount: 1,
  stdOutErrPathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/afs',
  customToolkitSettings: { commandLine: 'true' },
};

function check(properties: JsonObject): string {
  const validated = validateCreateBody('JobCreateParameters', { properties });
  const toolType = checkJobProperties(validated.properties);
  checkJobLaunchable(validated.properties);
  return toolType;
}

function failure(properties: JsonObject): { target?: string; message: string } {
  try {
    check(properties);
  } catch (error: unknown) {
    if (error instanceof ValidationError) return { target: error.target, message: error.message };
    throw error;
  }
  throw new Error('accepted');
}

describe('directory ids', () => {
  test.each(['a b/c=d', 'a/b', '..', '1X', '__proto__', 'é'])(
    'the output and input directory id %j is a 400 naming the field',
    (id) => {
      const output = failure({
        ...base,
        outputDirectories: [{ id, pathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/o' }],
      });
      expect(output.target).toBe('properties.outputDirectories[0].id');
      expect(output.message).toContain('AZ_BATCHAI_OUTPUT_<id>');
      const input = failure({
        ...base,
        inputDirectories: [
          { id: 'OK', path: '/data' },
          { id, path: '$AZ_BATCHAI_MOUNT_ROOT/data' },
        ],
      });
      expect(input.target).toBe('properties.inputDirectories[1].id');
    },
  );

  test('ids that are variable name parts are accepted', () => {
    expect(
      check({
        ...base,
        inputDirectories: [{ id: 'DATA_1', path: '$AZ_BATCHAI_MOUNT_ROOT/data' }],
        outputDirectories: [{ id: '_model', pathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/o' }],
      }),
    ).toBe('custom');
  });
});

describe('directory prefixes resolve at submission', () => {
  test.each([
    ['relative/path', 'must be an absolute path'],
    ['$NOPE/x', 'refers to $NOPE'],
    ['${NOPE}/x', 'refers to $NOPE'],
    ['', 'must be a non-empty string'],
  ])('stdOutErrPathPrefix %j is a 400 naming the field', (prefix, message) => {
    const result = failure({ ...base, stdOutErrPathPrefix: prefix });
    expect(result.target).toBe('properties.stdOutErrPathPrefix');
    expect(result.message).toContain(message);
  });

  test('an output directory pathPrefix is resolved the same way', () => {
    const result = failure({ ...base, outputDirectories: [{ id: 'M', pathPrefix: '$AZ_BATCHAI_NOPE/x' }] });
    expect(result.target).toBe('properties.outputDirectories[0].pathPrefix');
    expect(failure({ ...base, outputDirectories: [{ id: 'M', pathPrefix: 'out' }] }).target).toBe(
      'properties.outputDirectories[0].pathPrefix',
    );
  });

  test('absolute paths and the node variables are accepted', () => {
    for (const prefix of [
      '/mnt/logs',
      '$AZ_BATCHAI_MOUNT_ROOT/afs',
      '${AZ_BATCHAI_JOB_MOUNT_ROOT}/afs',
      '$AZ_BATCHAI_JOB_TEMP',
      '$AZ_BATCHAI_SHARED_JOB_TEMP/x',
    ])
      expect(
        check({
          ...base,
          stdOutErrPathPrefix: prefix,
          outputDirectories: [{ id: 'M', pathPrefix: prefix, pathSuffix: 'models' }],
        }),
      ).toBe('custom');
  });
});

test("'__proto__' as an environment variable or secret name is a 400 naming the field", () => {
  expect(failure({ ...base, environmentVariables: [{ name: '__proto__', value: 'x' }] }).target).toBe(
    'properties.environmentVariables[0].name',
  );
  expect(failure({ ...base, secrets: [{ name: '__proto__', value: 'x' }] }).target).toBe(
    'properties.secrets[0].name',
  );
  // Other names of Object.prototype's members are ordinary variables.
  expect(
    check({
      ...base,
      environmentVariables: [
        { name: 'constructor', value: 'a' },
        { name: 'toString', value: 'b' },
      ],
    }),
  ).toBe('custom');
});

test('what the launch needs of the toolkit and the job preparation is required at submission, naming the field', () => {
  const { customToolkitSettings: _custom, ...rest } = base;
  // A misspelt commandLine is dropped as an unknown property: the job has none.
  expect(failure({ ...rest, customToolkitSettings: { comandLine: 'python train.py' } })).toEqual({
    target: 'properties.customToolkitSettings.commandLine',
    message: "'properties.customToolkitSettings.commandLine' is required.",
  });
  expect(failure({ ...rest, pyTorchSettings: {} }).target).toBe(
    'properties.pyTorchSettings.pythonScriptFilePath',
  );
  expect(failure({ ...base, jobPreparation: { commandLine: ' ' } }).target).toBe(
    'properties.jobPreparation.commandLine',
  );
  // What the counts ask is not planned here (the launch plans it on the real nodes): 16,384 workers on 16 nodes took
  // the API host's whole heap when their plan was built at the PUT.
  expect(
    check({
      ...rest,
      nodeCount: 16,
      tensorFlowSettings: { pythonScriptFilePath: 'train.py', workerCount: 16_384, parameterServerCount: 16 },
    }),
  ).toBe('tensorflow');
  expect(
    check({ ...rest, pyTorchSettings: { pythonScriptFilePath: 'train.py', processCount: 300_000 } }),
  ).toBe('pytorch');
  // What depends on the nodes is not refused here: ten TensorFlow workers on two nodes may fit their GPUs.
  expect(
    check({
      ...rest,
      nodeCount: 2,
      secrets: [{ name: 'TOKEN', value: 's3cret' }],
      tensorFlowSettings: { pythonScriptFilePath: 'train.py', workerCount: 10, parameterServerCount: 1 },
    }),
  ).toBe('tensorflow');
});

describe('the job bodies the project ships and the Batch AI recipes still pass', () => {
  const root = path.join(__dirname, '..', '..');
  const recipes = path.join(root, 'test', 'fixtures', 'batchai', 'recipes');
  const jobFiles = [
    path.join(root, 'examples', 'checkpoint-training', 'job.json'),
    ...fs
      .readdirSync(recipes, { recursive: true })
      .map(String)
      .filter((f) => /job[^/]*\.json$/.test(f))
      .map((f) => path.join(recipes, f)),
  ];

  function jobOf(file: string): JsonObject {
    const text = fs.readFileSync(file, 'utf8').replace(/<AZURE_BATCHAI_STORAGE_ACCOUNT>/g, 'teststorage');
    const job = JSON.parse(text) as { properties: JsonObject };
    const volumes = job.properties.mountVolumes as Record<string, JsonObject[]> | undefined;
    for (const share of volumes?.azureFileShares ?? []) {
      share.accountName ??= 'teststorage';
      share.credentials ??= { accountKey: 'a2V5' };
    }
    for (const blob of volumes?.azureBlobFileSystems ?? []) blob.credentials ??= { accountKey: 'a2V5' };
    job.properties.cluster = { id: clusterId };
    return job.properties;
  }

  test('there are recipes to check', () => expect(jobFiles.length).toBeGreaterThan(10));

  test.each(jobFiles.map((f) => [path.relative(root, f), f]))('%s', (_name, file) => {
    expect(typeof check(jobOf(file))).toBe('string');
  });

  test('the spec example PutJob.json', () => {
    const file = path.join(root, 'test', 'fixtures', 'batchai', 'spec-examples', 'PutJob.json');
    const example = JSON.parse(fs.readFileSync(file, 'utf8')) as { parameters: { parameters: JsonObject } };
    expect(check(example.parameters.parameters.properties as JsonObject)).toBe('custom');
  });

  test('the example sweep', () => {
    const sweep = JSON.parse(
      fs.readFileSync(path.join(root, 'examples', 'sweep', 'sweep.json'), 'utf8'),
    ) as unknown;
    expect(validateSweepBody(sweep, 1).definition.jobTemplate).toBeDefined();
  });
});
