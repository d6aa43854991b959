import { compareVersions } from './versionOrder';

test.each([
  ['1.1', '1.0', 1],
  ['1.0', '1.1', -1],
  ['1.0', '1.0', 0],
  ['', '1.0', -1],
  ['1.0', '', 1],
  ['', '', 0],
  [undefined, '', 0],
  ['1.0.1', '1.0.0', 1],
  ['1.0', '1.0.0', -1],
  ['1.10', '1.9', 1],
  ['alpha', 'beta', -1],
  ['Beta', 'alpha', 1],
  ['ALPHA', 'alpha', 0],
  // Not .NET versions (a single number, five parts): compared as text, as the runtime does.
  ['10', '9', -1],
  ['1.2.3.4.5', '1.2.3.4.6', -1],
])('compareVersions(%p, %p) is %p', (a, b, expected) => {
  expect(compareVersions(a, b)).toBe(expected);
});
