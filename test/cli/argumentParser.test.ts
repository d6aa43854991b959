// Unit tests of the CLI's flag parser: spellings az accepts, typed values, env defaults, and the errors it gives.
import { parseOptions, type OptionSpec } from '../../cli/argumentParser';
import { UsageError } from '../../cli/usageError';

const specs: OptionSpec[] = [
  { name: 'resource-group', short: 'g', type: 'string', required: true, env: 'RG', description: '' },
  { name: 'target', short: 't', type: 'integer', minimum: 0, description: '' },
  { name: 'interval', type: 'number', minimum: 0, description: '' },
  { name: 'no-wait', type: 'boolean', description: '' },
  { name: 'tags', type: 'list', description: '' },
  { name: 'vm-priority', type: 'string', choices: ['dedicated', 'lowpriority'], description: '' },
  { name: 'password', short: 'p', type: 'string', secret: true, env: 'PW', description: '' },
  { name: 'output', short: 'o', type: 'string', default: 'json', description: '' },
];

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (error: unknown) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error('expected a UsageError');
}

test('long, short and --name=value spellings, switches and list values', () => {
  expect(
    parseOptions(['-g', 'rg', '--target=3', '--no-wait', '--tags', 'a=b', 'c', '--interval', '0.5'], specs),
  ).toEqual({
    'resource-group': 'rg',
    target: 3,
    'no-wait': true,
    tags: ['a=b', 'c'],
    interval: 0.5,
    output: 'json',
  });
});

test('choices are matched case-insensitively and kept in their canonical spelling', () => {
  expect(parseOptions(['-g', 'rg', '--vm-priority', 'LowPriority'], specs)['vm-priority']).toBe(
    'lowpriority',
  );
});

test('environment variables fill absent flags; flags win over them', () => {
  expect(parseOptions([], specs, { RG: 'from-env' })['resource-group']).toBe('from-env');
  expect(parseOptions(['-g', 'flag'], specs, { RG: 'from-env' })['resource-group']).toBe('flag');
});

test('a missing required flag names the flag and its environment variable', () => {
  expect(usageError(() => parseOptions([], specs))).toBe(
    'the following argument is required: --resource-group/-g (or RG)',
  );
});

test('an unknown flag suggests the closest known one', () => {
  expect(usageError(() => parseOptions(['-g', 'rg', '--targt', '1'], specs))).toBe(
    "unrecognized argument: --targt. Did you mean '--target'?",
  );
  expect(usageError(() => parseOptions(['-g', 'rg', '--zzzzzzzz'], specs))).toBe(
    'unrecognized argument: --zzzzzzzz',
  );
});

test('typed values are checked and the error names the flag', () => {
  expect(usageError(() => parseOptions(['-g', 'rg', '-t', 'two'], specs))).toBe(
    "--target/-t must be an integer, not 'two'.",
  );
  expect(usageError(() => parseOptions(['-g', 'rg', '-t', '-1'], specs))).toBe(
    '--target/-t must be at least 0, not -1.',
  );
  expect(usageError(() => parseOptions(['-g', 'rg', '--vm-priority', 'dedicatd'], specs))).toContain(
    "Did you mean 'dedicated'?",
  );
  expect(usageError(() => parseOptions(['-g'], specs))).toBe('--resource-group/-g needs a value.');
  expect(usageError(() => parseOptions(['-g', 'a', '-g', 'b'], specs))).toBe(
    '--resource-group/-g is given more than once.',
  );
  expect(usageError(() => parseOptions(['-g', 'a', 'stray'], specs))).toContain(
    "Unexpected argument 'stray'",
  );
});

test('a secret value never appears in an error message', () => {
  const secretSpecs: OptionSpec[] = [{ name: 'key', type: 'integer', secret: true, description: '' }];
  const message = usageError(() => parseOptions(['--key', 'hunter2'], secretSpecs));
  expect(message).not.toContain('hunter2');
  expect(message).toContain('<hidden>');
});
