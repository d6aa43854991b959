// A cluster's setup task reaches every VM inside its custom data, which Azure caps (87,380 base64 characters): a
// setup task that cannot fit is refused at the cluster's PUT, naming the field, instead of failing later in the
// cluster's errors.
import { checkClusterProperties, setupTaskMaxCharacters } from '../../shared/domain/clusterRules';
import { ValidationError } from '../../shared/domain/errors';
import type { JsonObject } from '../../shared/domain/specValidator';
import { createCluster } from '../../shared/domain/services/clusterService';
import { memoryScope, memoryServiceDeps } from '../support/memoryServiceDeps';

function properties(setupTask: JsonObject): JsonObject {
  return {
    vmSize: 'STANDARD_NC6',
    scaleSettings: { manual: { targetNodeCount: 1, nodeDeallocationOption: 'requeue' } },
    nodeSetup: { setupTask },
  };
}

const variables = (count: number, size: number): JsonObject[] =>
  Array.from({ length: count }, (_, i) => ({ name: `VAR_${i}`, value: 'x'.repeat(size) }));

test('48 environment variables of 1 KB are taken (they fit, compressed)', () => {
  expect(() =>
    checkClusterProperties(properties({ commandLine: 'echo hi', environmentVariables: variables(48, 1024) })),
  ).not.toThrow();
});

test('a setup task past the limit is a 400 naming properties.nodeSetup.setupTask', () => {
  const error = (() => {
    try {
      checkClusterProperties(
        properties({ commandLine: 'echo hi', environmentVariables: variables(64, 1024) }),
      );
    } catch (e: unknown) {
      return e;
    }
    return undefined;
  })();
  expect(error).toBeInstanceOf(ValidationError);
  expect((error as ValidationError).message).toContain("'properties.nodeSetup.setupTask' is too large");
  expect((error as ValidationError).message).toContain(String(setupTaskMaxCharacters));
});

test('secret values count when the service passes them (they reach the nodes sealed)', () => {
  const setupTask = {
    commandLine: 'echo hi',
    environmentVariables: variables(40, 1024),
    secrets: [{ name: 'TOKEN' }],
  };
  expect(() => checkClusterProperties(properties(setupTask))).not.toThrow();
  expect(() =>
    checkClusterProperties(properties(setupTask), {
      'properties.nodeSetup.setupTask.secrets[0].value': 's'.repeat(20 * 1024),
    }),
  ).toThrow(ValidationError);
});

test("the cluster PUT counts the setup task's secret values", async () => {
  const { deps } = memoryServiceDeps();
  const ref = { kind: 'cluster' as const, ...memoryScope, name: 'big-secret' };
  const body = {
    properties: {
      ...properties({
        commandLine: 'echo hi',
        environmentVariables: variables(40, 1024),
        secrets: [{ name: 'TOKEN', value: 's'.repeat(20 * 1024) }],
        stdOutErrPathPrefix: '$AZ_BATCHAI_MOUNT_ROOT/logs',
      }),
      userAccountSettings: { adminUserName: 'admin', adminUserSshPublicKey: 'ssh-rsa AAAA' },
    },
  };
  await expect(createCluster(deps, ref, body)).rejects.toMatchObject({
    target: 'properties.nodeSetup.setupTask.environmentVariables',
    message: expect.stringContaining("'properties.nodeSetup.setupTask' is too large"),
  });
});
