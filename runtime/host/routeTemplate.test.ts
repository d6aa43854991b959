// Unit tests of the HTTP route template matcher.
import { matchRoute, parseRouteTemplate } from './routeTemplate';

const match = (template: string, path: string): Record<string, string> | undefined =>
  matchRoute(parseRouteTemplate(template), path);

describe('routeTemplate', () => {
  it('matches literals case-insensitively and rejects other paths', () => {
    expect(match('jobs/list', 'Jobs/LIST')).toEqual({});
    expect(match('jobs/list', 'jobs')).toBeUndefined();
    expect(match('jobs/list', 'jobs/list/extra')).toBeUndefined();
  });

  it('extracts decoded parameters', () => {
    expect(match('workspaces/{ws}/jobs/{job}', 'workspaces/w%201/jobs/j-2')).toEqual({
      ws: 'w 1',
      job: 'j-2',
    });
  });

  it('treats a trailing optional parameter as optional', () => {
    expect(match('items/{id?}', 'items')).toEqual({});
    expect(match('items/{id?}', 'items/7')).toEqual({ id: '7' });
  });

  it('applies defaults', () => {
    expect(match('page/{n=1}', 'page')).toEqual({ n: '1' });
  });

  it('enforces int, alpha, guid and range constraints', () => {
    expect(match('items/{id:int}', 'items/42')).toEqual({ id: '42' });
    expect(match('items/{id:int}', 'items/abc')).toBeUndefined();
    // Int32: -2147483648..2147483647.
    expect(match('items/{id:int}', 'items/2147483647')).toEqual({ id: '2147483647' });
    expect(match('items/{id:int}', 'items/2147483648')).toBeUndefined();
    expect(match('items/{id:int}', 'items/-2147483648')).toEqual({ id: '-2147483648' });
    expect(match('items/{id:int}', 'items/-2147483649')).toBeUndefined();
    // Int64.
    expect(match('items/{id:long}', 'items/9223372036854775807')).toEqual({ id: '9223372036854775807' });
    expect(match('items/{id:long}', 'items/9223372036854775808')).toBeUndefined();
    expect(match('n/{name:alpha}', 'n/abc')).toEqual({ name: 'abc' });
    expect(match('n/{name:alpha}', 'n/ab1')).toBeUndefined();
    expect(match('g/{id:guid}', 'g/3f2504e0-4f89-11d3-9a0c-0305e82c3301')).toBeDefined();
    expect(match('r/{v:int:range(1,5)}', 'r/6')).toBeUndefined();
    expect(match('r/{v:int:range(1,5)}', 'r/5')).toEqual({ v: '5' });
  });

  it('captures the rest of the path in a catch-all', () => {
    expect(match('files/{*path}', 'files/a/b/c.txt')).toEqual({ path: 'a/b/c.txt' });
    expect(match('files/{*path}', 'files')).toEqual({});
  });

  it('matches the empty route', () => {
    expect(match('', '')).toEqual({});
    expect(match('', 'x')).toBeUndefined();
  });

  it('rejects malformed templates with a message naming the template', () => {
    expect(() => parseRouteTemplate('a/{id?}/b')).toThrow(/a\/\{id\?\}\/b.*optional/);
    expect(() => parseRouteTemplate('a/{id:nope}')).toThrow(/unknown constraint "nope"/);
    expect(() => parseRouteTemplate('a/{*p}/b')).toThrow(/catch-all/);
  });

  it('ranks literal segments above parameters', () => {
    expect(parseRouteTemplate('jobs/new').precedence).toBeGreaterThan(
      parseRouteTemplate('jobs/{id}').precedence,
    );
  });
});
