import { parseVersioning, versionMismatch } from './orchestrationVersion';

test('CurrentOrOlder runs its own version and older ones, not newer ones', () => {
  const config = {
    defaultVersion: '2.0',
    matchStrategy: 'CurrentOrOlder',
    failureStrategy: 'Reject',
  } as const;
  expect(versionMismatch('2.0', config)).toBeUndefined();
  expect(versionMismatch('1.0', config)).toBeUndefined();
  expect(versionMismatch(undefined, config)).toBeUndefined();
  expect(versionMismatch('2.1', config)).toBe(
    "The orchestration's version '2.1' is newer than this worker's version '2.0' (versionMatchStrategy CurrentOrOlder).",
  );
});

test('Strict runs its own version only; None runs any', () => {
  const strict = { defaultVersion: '2.0', matchStrategy: 'Strict', failureStrategy: 'Fail' } as const;
  expect(versionMismatch('2.0', strict)).toBeUndefined();
  expect(versionMismatch('1.0', strict)).toMatch(/version '1.0' is not this worker's version '2.0'/);
  expect(versionMismatch(undefined, strict)).toMatch(/version none is not/);
  expect(versionMismatch('9.0', { ...strict, matchStrategy: 'None' })).toBeUndefined();
});

test('an unversioned worker runs unversioned instances and refuses versioned ones', () => {
  const config = { matchStrategy: 'CurrentOrOlder', failureStrategy: 'Reject' } as const;
  expect(versionMismatch(undefined, config)).toBeUndefined();
  expect(versionMismatch('1.0', config)).toMatch(/newer than this worker's version none/);
});

test('host.json settings: defaults, case-insensitive names, and errors naming the field', () => {
  const prefix = 'host.json extensions.durableTask';
  expect(parseVersioning({}, prefix)).toEqual({
    defaultVersion: undefined,
    matchStrategy: 'CurrentOrOlder',
    failureStrategy: 'Reject',
  });
  expect(
    parseVersioning(
      { defaultVersion: '1.0', versionMatchStrategy: 'strict', versionFailureStrategy: 'FAIL' },
      prefix,
    ),
  ).toEqual({ defaultVersion: '1.0', matchStrategy: 'Strict', failureStrategy: 'Fail' });
  expect(() => parseVersioning({ versionMatchStrategy: 'Newest' }, prefix)).toThrow(
    'host.json extensions.durableTask.versionMatchStrategy: expected one of None, Strict, CurrentOrOlder',
  );
  expect(() => parseVersioning({ versionFailureStrategy: 1 }, prefix)).toThrow(
    'host.json extensions.durableTask.versionFailureStrategy: expected one of Reject, Fail',
  );
  expect(() => parseVersioning({ defaultVersion: 2 }, prefix)).toThrow(
    'host.json extensions.durableTask.defaultVersion: expected a string',
  );
});
