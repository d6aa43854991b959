// Mount volume rules beyond the schema: relative, distinct mount paths that nodes can use as they are.
import { validateMountVolumes } from '../../shared/domain/mountVolumeRules';
import type { JsonObject } from '../../shared/domain/specValidator';

const share = (relativeMountPath: string): JsonObject => ({
  accountName: 'acct',
  azureFileUrl: 'https://acct.file.core.windows.net/logs',
  credentials: { accountKey: 'a2V5' },
  relativeMountPath,
});

test('plain and nested mount paths are accepted, a trailing slash too', () => {
  expect(() =>
    validateMountVolumes('properties.mountVolumes', {
      azureFileShares: [share('afs'), share('data/in'), share('logs/')],
    }),
  ).not.toThrow();
});

test.each([
  ['', "'properties.mountVolumes.azureFileShares[0].relativeMountPath' must be a non-empty relative path"],
  ['/abs', 'must be a non-empty relative path without'],
  ['a/../b', 'must be a non-empty relative path without'],
  ['my share', "must be '/'-separated names of letters, digits, '_', '.', '-'; it is 'my share'."],
  ['a;reboot', "it is 'a;reboot'."],
  ['./a', "it is './a'."],
])('a mount path nodes could not use as it is is refused, naming the field (%p)', (path, message) => {
  expect(() => validateMountVolumes('properties.mountVolumes', { azureFileShares: [share(path)] })).toThrow(
    message,
  );
});

test('two volumes at one mount path are refused', () => {
  expect(() =>
    validateMountVolumes('properties.mountVolumes', {
      azureFileShares: [share('afs')],
      unmanagedFileSystems: [{ mountCommand: 'mount x', relativeMountPath: 'afs/' }],
    }),
  ).toThrow(
    "The mount path 'afs/' is also used by properties.mountVolumes.azureFileShares[0].relativeMountPath.",
  );
});
