// Unit tests of the dashboard's static-file function: content types, cache revalidation, the trailing-slash
// redirect, the index.html fallback for client routes (deeper ones redirected to the folder), and refused traversal.
import { HttpRequest, type HttpResponseInit } from '@azure/functions';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createStaticFileHandler, safeRelativePath } from '../../functions/dashboard/staticFiles';

describe('dashboard static files', () => {
  let dir: string;
  let handler: (request: HttpRequest) => Promise<HttpResponseInit>;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-static-'));
    const scripts = path.join(dir, 'scripts');
    const pages = path.join(dir, 'pages');
    fs.mkdirSync(path.join(scripts, 'views'), { recursive: true });
    fs.mkdirSync(pages);
    fs.writeFileSync(path.join(scripts, 'main.js'), 'export const x = 1;');
    fs.writeFileSync(path.join(scripts, 'views', 'a.js'), 'export {};');
    fs.writeFileSync(path.join(pages, 'index.html'), '<!doctype html><title>t</title>');
    fs.writeFileSync(path.join(pages, 'styles.css'), 'body{}');
    fs.writeFileSync(path.join(pages, 'notes.ts'), 'const secret = 1;');
    fs.writeFileSync(path.join(pages, '.env'), 'KEY=1');
    fs.writeFileSync(path.join(dir, 'outside.html'), 'outside');
    handler = createStaticFileHandler({ roots: [scripts, pages] });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function get(
    pathParam: string | undefined,
    url?: string,
    headers: Record<string, string> = {},
    method = 'GET',
  ) {
    return handler(
      new HttpRequest({
        method,
        url: url ?? `http://127.0.0.1/api/dashboard/${pathParam ?? ''}`,
        headers,
        params: pathParam === undefined ? {} : { path: pathParam },
      }),
    );
  }
  const header = (r: HttpResponseInit, name: string) => (r.headers as Record<string, string>)[name];
  const bodyText = (r: HttpResponseInit) => Buffer.from(r.body as Uint8Array).toString('utf8');

  it('serves scripts, pages and styles with their content types from the roots in order', async () => {
    const js = await get('main.js');
    expect(js.status).toBe(200);
    expect(header(js, 'Content-Type')).toBe('text/javascript; charset=utf-8');
    expect(bodyText(js)).toBe('export const x = 1;');
    expect(header(await get('views/a.js'), 'Content-Type')).toBe('text/javascript; charset=utf-8');
    const css = await get('styles.css');
    expect(header(css, 'Content-Type')).toBe('text/css; charset=utf-8');
    expect(header(css, 'X-Content-Type-Options')).toBe('nosniff');
  });

  it('serves index.html for the folder and for client routes, with a content security policy', async () => {
    const index = await get(undefined, 'http://127.0.0.1/api/dashboard/');
    expect(index.status).toBe(200);
    expect(header(index, 'Content-Type')).toBe('text/html; charset=utf-8');
    expect(header(index, 'Content-Security-Policy')).toMatch(/script-src 'self'/);
    expect(bodyText(index)).toContain('<title>t</title>');
    const route = await get('workspaces');
    expect(route.status).toBe(200);
    expect(bodyText(route)).toContain('<title>t</title>');
    // Deeper, the page's relative scripts would not load: the browser is sent to the folder.
    const deeper = await get('workspaces/rg/ws');
    expect(deeper.status).toBe(302);
    expect(header(deeper, 'Location')).toBe('/api/dashboard/');
  });

  it('redirects the bare folder to the trailing slash so relative URLs work', async () => {
    const r = await get(undefined, 'http://127.0.0.1/api/dashboard?x=1');
    expect(r.status).toBe(301);
    expect(header(r, 'Location')).toBe('/api/dashboard/?x=1');
  });

  it('answers 404 for a missing file with an extension and for unserved types', async () => {
    expect((await get('missing.js')).status).toBe(404);
    expect((await get('notes.ts')).status).toBe(404);
  });

  it('refuses traversal, hidden files and backslashes', async () => {
    for (const p of [
      '../outside.html',
      'views/../../outside.html',
      '..',
      '.env',
      'a\\..\\outside.html',
      `x\0.js`,
    ]) {
      const r = await get(p);
      expect({ p, status: r.status }).toEqual({ p, status: 400 });
    }
    expect(safeRelativePath('./views//a.js')).toBe('views/a.js');
    expect(safeRelativePath('C:/windows')).toBeUndefined();
  });

  it('revalidates with the ETag (304) and answers HEAD without a body', async () => {
    const first = await get('main.js');
    const etag = header(first, 'ETag');
    expect(header(first, 'Cache-Control')).toBe('no-cache');
    const again = await get('main.js', undefined, { 'If-None-Match': etag });
    expect(again.status).toBe(304);
    expect(again.body).toBeUndefined();
    const head = await get('main.js', undefined, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBeUndefined();
    expect(header(head, 'Content-Length')).toBe(String('export const x = 1;'.length));
  });

  it('refuses methods other than GET and HEAD', async () => {
    const r = await get('main.js', undefined, {}, 'POST');
    expect(r.status).toBe(405);
    expect(header(r, 'Allow')).toBe('GET, HEAD');
  });
});
