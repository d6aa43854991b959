import { etagMatches } from './etagMatch';

test("If-Match: absent or '*' matches any existing resource; a listed ETag matches quoted or not", () => {
  expect(etagMatches(undefined, 'abc')).toBe(true);
  expect(etagMatches('*', 'abc')).toBe(true);
  expect(etagMatches('abc', 'abc')).toBe(true);
  expect(etagMatches('"abc"', 'abc')).toBe(true);
  expect(etagMatches('W/"abc"', '"abc"')).toBe(true);
  expect(etagMatches('"x", "abc"', 'abc')).toBe(true);
  expect(etagMatches('"x"', 'abc')).toBe(false);
});
