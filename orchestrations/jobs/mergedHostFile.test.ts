import { mergedHostFile } from './mergedHostFile';

test('lines of one host are merged with their slots added, other hosts kept in order', () => {
  expect(mergedHostFile('127.0.0.1 slots=1\n10.0.0.5 slots=2\n127.0.0.1 slots=3\n')).toBe(
    '127.0.0.1 slots=4\n10.0.0.5 slots=2\n',
  );
});

test('a host file without duplicates is unchanged', () => {
  expect(mergedHostFile('10.0.0.4 slots=1\n10.0.0.5 slots=1\n')).toBe('10.0.0.4 slots=1\n10.0.0.5 slots=1\n');
});
