// The launch context's maps (directories by id, variables by name, secrets given by name) hold any name as a key:
// names of Object.prototype's members are ordinary ones, and no value is ever read from the prototype.
import { ValidationError } from '../errors';
import type { JsonObject } from '../specValidator';
import { createLaunchContext } from './jobLaunchContext';
import type { LaunchPlanInput } from './launchPlan';

const properties: JsonObject = {
  nodeCount: 1,
  stdOutErrPathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/afs',
  customToolkitSettings: { commandLine: 'true' },
};

function input(extra: JsonObject, secrets?: Record<string, string>): LaunchPlanInput {
  return {
    job: {
      name: 'j',
      uuid: 'u-1',
      outputDirectoryPathSegment: 'seg',
      properties: { ...properties, ...extra },
    },
    attempt: 1,
    nodes: [{ id: 'n0', address: '10.0.0.4' }],
    ...(secrets ? { secrets } : {}),
  };
}

test('directory ids and variable names of Object.prototype members reach the environment', () => {
  const context = createLaunchContext(
    input({
      outputDirectories: [{ id: 'constructor', pathPrefix: '/out' }],
      inputDirectories: [{ id: 'toString', path: '/data' }],
      environmentVariables: [{ name: 'valueOf', value: 'v' }],
    }),
  );
  expect(context.nodeEnvironments[0]).toMatchObject({
    AZ_BATCHAI_OUTPUT_constructor: '/out/seg/outputs',
    AZ_BATCHAI_INPUT_toString: '/data',
    valueOf: 'v',
  });
});

test("records written before '__proto__' was refused keep it as a key, not a prototype", () => {
  const context = createLaunchContext(
    input({
      outputDirectories: [{ id: '__proto__', pathPrefix: '/out' }],
      environmentVariables: [{ name: '__proto__', value: 'v' }],
    }),
  );
  expect(Object.hasOwn(context.directories.outputs, '__proto__')).toBe(true);
  expect(Object.hasOwn(context.nodeEnvironments[0], 'AZ_BATCHAI_OUTPUT___proto__')).toBe(true);
  expect(Object.hasOwn(context.nodeEnvironments[0], '__proto__')).toBe(true);
});

test("a secret without a value is refused even when its name is an Object.prototype member's", () => {
  let error: unknown;
  try {
    createLaunchContext(input({ secrets: [{ name: 'toString' }] }, {}));
  } catch (caught: unknown) {
    error = caught;
  }
  expect(error).toBeInstanceOf(ValidationError);
  expect((error as ValidationError).target).toBe('properties.secrets[0].value');
  const context = createLaunchContext(input({ secrets: [{ name: 'toString' }] }, { toString: 's' }));
  expect(context.nodeEnvironments[0].toString).toBe('s');
  expect(context.secretNames).toEqual(['toString']);
});
