// Serves the dashboard's built files from fixed folders: content type by extension, ETag revalidation, a redirect
// to the trailing slash (relative URLs), index.html for unknown extensionless paths (client routes), and no path
// outside the folders (no '..', no dot files, no backslashes).
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { createHash } from 'crypto';
import * as fs from 'fs/promises';
import * as path from 'path';

export const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** Scripts only from this origin; the log tail reads SAS links on the storage account's origin (connect-src). */
const contentSecurityPolicy =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' http: https:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

export interface StaticFileOptions {
  /** Folders searched in order (e.g. the compiled scripts, then index.html and CSS). */
  roots: string[];
  /** The file served for client routes and the bare folder. */
  indexFile?: string;
}

/** The relative file path asked for, or undefined when it could leave the roots or name a hidden file. */
export function safeRelativePath(requested: string): string | undefined {
  if (requested.includes('\0') || requested.includes('\\')) return undefined;
  const segments = requested.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.some((s) => s === '..' || s.startsWith('.') || s.includes(':'))) return undefined;
  return segments.join('/');
}

/**
 * The dashboard's folder (`/api/dashboard/`) from the request's path and the part of it the route matched: that many
 * segments off the end. Always a path on this origin (never `//host`, which a browser reads as another site).
 */
function folderOf(pathname: string, requested: string): string {
  const segments = pathname.replace(/\/+$/, '').split('/');
  const matched = requested.replace(/\/+$/, '').split('/').length;
  const kept = segments.slice(0, Math.max(1, segments.length - matched));
  return `/${kept.join('/').replace(/^\/+/, '')}/`.replace(/\/{2,}/g, '/');
}

function text(status: number, body: string, headers: Record<string, string> = {}): HttpResponseInit {
  return {
    status,
    body,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers },
  };
}

async function findFile(
  roots: string[],
  relative: string,
): Promise<{ file: string; size: number; mtimeMs: number } | undefined> {
  for (const root of roots) {
    const base = path.resolve(root);
    const file = path.resolve(base, relative);
    // Belt and braces: the resolved path must still be inside the root.
    if (file !== base && !file.startsWith(base + path.sep)) continue;
    try {
      const stat = await fs.stat(file);
      if (stat.isFile()) return { file, size: stat.size, mtimeMs: stat.mtimeMs };
    } catch {
      // Not in this root: try the next.
    }
  }
  return undefined;
}

export function createStaticFileHandler(
  options: StaticFileOptions,
): (request: HttpRequest) => Promise<HttpResponseInit> {
  const indexFile = options.indexFile ?? 'index.html';
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return text(405, 'Only GET and HEAD are allowed.', { Allow: 'GET, HEAD' });
    }
    const url = new URL(request.url);
    const requested = request.params.path ?? '';
    if (requested === '' && !url.pathname.endsWith('/')) {
      // Without the slash, the page's relative URLs (styles.css, main.js) would resolve one level up.
      return {
        status: 301,
        headers: { Location: `${url.pathname}/${url.search}`, 'Cache-Control': 'no-store' },
      };
    }
    const relative = safeRelativePath(requested);
    if (relative === undefined) return text(400, `The path '${requested}' is not allowed.`);
    const extension = path.extname(relative).toLowerCase();
    let found = relative === '' ? undefined : await findFile(options.roots, relative);
    let served = relative;
    if (!found && extension === '' && relative !== '' && requested.replace(/^\/+/, '').includes('/')) {
      // A client route without its '#' (/dashboard/workspaces/rg/ws): the page served here would load its relative
      // main.js and styles.css from /dashboard/workspaces/rg/ (404, a blank page). Send the browser to the folder.
      return {
        status: 302,
        headers: { Location: folderOf(url.pathname, requested), 'Cache-Control': 'no-store' },
      };
    }
    if (!found && (relative === '' || extension === '')) {
      // Client-side routes (and the folder itself) get the page; the page reads its route from the hash.
      found = await findFile(options.roots, indexFile);
      served = indexFile;
    }
    if (!found)
      return text(
        404,
        `Not found: ${relative}. Build the dashboard with \`npm run build\` if it is missing.`,
      );
    const contentType = contentTypes[path.extname(served).toLowerCase()];
    if (!contentType) return text(404, `Not found: ${relative}.`);
    const etag = `"${createHash('sha1').update(`${served}:${found.size}:${found.mtimeMs}`).digest('base64url')}"`;
    const headers: Record<string, string> = {
      'Content-Type': contentType,
      // Names are not content-hashed, so the browser revalidates each time; the ETag makes that a 304.
      'Cache-Control': 'no-cache',
      ETag: etag,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    };
    if (served === indexFile) headers['Content-Security-Policy'] = contentSecurityPolicy;
    const ifNoneMatch = request.headers.get('if-none-match');
    if (ifNoneMatch && ifNoneMatch.split(',').some((tag) => tag.trim() === etag))
      return { status: 304, headers };
    if (request.method === 'HEAD')
      return { status: 200, headers: { ...headers, 'Content-Length': String(found.size) } };
    return { status: 200, headers, body: await fs.readFile(found.file) };
  };
}
