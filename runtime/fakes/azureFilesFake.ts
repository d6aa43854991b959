// A local fake of the Azure Files REST API (there is no emulator for it; Azurite has no File service) for the parts
// the app uses: List Directories and Files (`?restype=directory&comp=list`, with timestamps) and Get File, path-style
// on 127.0.0.1 (`/<account>/<share>/<path>`). Requests are authenticated as Azure does: Shared Key (the signature
// over the canonicalized request, checked with the account key) or a service SAS (its signature recomputed from the
// query with the account key, expiry and read permission checked). Tests put files in directly.
import { createHmac } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';
import {
  FileSASPermissions,
  generateFileSASQueryParameters,
  SASProtocol,
  StorageSharedKeyCredential,
} from '@azure/storage-file-share';

interface StoredFile {
  content: Buffer;
  lastModified: Date;
}

export interface AzureFilesFake {
  /** `http://127.0.0.1:<port>/{accountName}`: the USER_STORAGE_FILE_ENDPOINT template for this fake. */
  endpointTemplate: string;
  /** Creates an account with this base64 key. */
  addAccount(accountName: string, accountKey: string): void;
  createShare(accountName: string, shareName: string): void;
  /** Writes a file (its directories exist from then on). */
  putFile(accountName: string, shareName: string, path: string, content: string | Buffer): void;
  /** Requests refused for their authentication so far. */
  refusals(): number;
  stop(): Promise<void>;
}

const xmlEscape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export async function startAzureFilesFake(): Promise<AzureFilesFake> {
  const accounts = new Map<string, { key: string; shares: Map<string, Map<string, StoredFile>> }>();
  let refused = 0;

  const fail = (res: http.ServerResponse, status: number, code: string, message: string): void => {
    res.writeHead(status, { 'content-type': 'application/xml', 'x-ms-error-code': code });
    res.end(
      `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`,
    );
  };

  /** Shared Key (https://learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key). */
  const sharedKeyValid = (req: http.IncomingMessage, url: URL, account: string, key: string): boolean => {
    const header = String(req.headers.authorization ?? '');
    const match = /^SharedKey ([^:]+):(.+)$/.exec(header);
    if (!match || match[1] !== account) return false;
    const h = (name: string): string => {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(',') : (value ?? '');
    };
    const contentLength = h('content-length') === '0' ? '' : h('content-length');
    const canonicalHeaders = Object.keys(req.headers)
      .filter((name) => name.startsWith('x-ms-'))
      .sort()
      .map((name) => `${name}:${h(name).trim()}\n`)
      .join('');
    const query = [...url.searchParams.keys()]
      .map((name) => name.toLowerCase())
      .filter((name, index, all) => all.indexOf(name) === index)
      .sort()
      .map((name) => `\n${name}:${url.searchParams.getAll(name).join(',')}`)
      .join('');
    const stringToSign = [
      req.method,
      h('content-encoding'),
      h('content-language'),
      contentLength,
      h('content-md5'),
      h('content-type'),
      h('date'),
      h('if-modified-since'),
      h('if-match'),
      h('if-none-match'),
      h('if-unmodified-since'),
      h('range'),
    ].join('\n');
    const resource = `/${account}${decodeURIComponent(url.pathname)}${query}`;
    const expected = createHmac('sha256', Buffer.from(key, 'base64'))
      .update(`${stringToSign}\n${canonicalHeaders}${resource}`, 'utf8')
      .digest('base64');
    return expected === match[2];
  };

  /** A read SAS for this file, signed with the account key, not expired. */
  const sasValid = (url: URL, account: string, key: string, share: string, filePath: string): boolean => {
    const q = url.searchParams;
    const expiresOn = q.get('se') ? new Date(q.get('se')!) : undefined;
    if (!q.get('sig') || !expiresOn || Number.isNaN(expiresOn.getTime()) || expiresOn.getTime() < Date.now())
      return false;
    if (!(q.get('sp') ?? '').includes('r')) return false;
    // The signature the SDK would compute for these fields with the account key.
    const expected = generateFileSASQueryParameters(
      {
        shareName: share,
        filePath,
        version: q.get('sv') ?? undefined,
        permissions: FileSASPermissions.parse(q.get('sp')!),
        startsOn: q.get('st') ? new Date(q.get('st')!) : undefined,
        expiresOn,
        protocol: (q.get('spr') as SASProtocol | null) ?? undefined,
        identifier: q.get('si') ?? undefined,
        cacheControl: q.get('rscc') ?? undefined,
        contentDisposition: q.get('rscd') ?? undefined,
        contentEncoding: q.get('rsce') ?? undefined,
        contentLanguage: q.get('rscl') ?? undefined,
        contentType: q.get('rsct') ?? undefined,
      },
      new StorageSharedKeyCredential(account, key),
    );
    return expected.signature === q.get('sig');
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const [account = '', share = '', ...rest] = url.pathname
      .split('/')
      .filter((part) => part !== '')
      .map(decodeURIComponent);
    const path = rest.join('/');
    const stored = accounts.get(account);
    if (!stored) return fail(res, 400, 'InvalidUri', `No account '${account}'.`);
    const listing =
      url.searchParams.get('restype') === 'directory' && url.searchParams.get('comp') === 'list';
    const authorized = url.searchParams.has('sig')
      ? !listing && sasValid(url, account, stored.key, share, path)
      : sharedKeyValid(req, url, account, stored.key);
    if (!authorized) {
      refused++;
      return fail(res, 403, 'AuthenticationFailed', 'Server failed to authenticate the request.');
    }
    const files = stored.shares.get(share);
    if (!files) return fail(res, 404, 'ShareNotFound', 'The specified share does not exist.');
    if (req.method === 'GET' && listing) {
      const prefix = path === '' ? '' : `${path}/`;
      if (path !== '' && ![...files.keys()].some((name) => name.startsWith(prefix))) {
        return fail(res, 404, 'ResourceNotFound', 'The specified resource does not exist.');
      }
      // Entries in name order, files and directories together; a page holds `maxresults` (default 5,000) and its
      // NextMarker names where the next page starts (opaque to clients; here the next entry's name, base64).
      const directories = new Set<string>();
      const entries: { name: string; xml: string }[] = [];
      for (const [name, file] of files.entries()) {
        if (!name.startsWith(prefix)) continue;
        const [first, ...deeper] = name.slice(prefix.length).split('/');
        if (deeper.length > 0) {
          directories.add(first);
          continue;
        }
        entries.push({
          name: first,
          xml:
            `<File><Name>${xmlEscape(first)}</Name><Properties><Content-Length>${file.content.length}</Content-Length>` +
            `<Last-Modified>${file.lastModified.toUTCString()}</Last-Modified></Properties></File>`,
        });
      }
      for (const directory of directories)
        entries.push({
          name: directory,
          xml: `<Directory><Name>${xmlEscape(directory)}</Name><Properties /></Directory>`,
        });
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const marker = Buffer.from(url.searchParams.get('marker') ?? '', 'base64').toString('utf8');
      const maxResults = Number(url.searchParams.get('maxresults') ?? 5000);
      const start = entries.findIndex((entry) => entry.name >= marker);
      const page = start < 0 ? [] : entries.slice(start, start + maxResults);
      const next = start < 0 ? undefined : entries[start + maxResults];
      const nextMarker = next ? Buffer.from(next.name, 'utf8').toString('base64') : '';
      res.writeHead(200, { 'content-type': 'application/xml', 'x-ms-version': '2025-11-05' });
      return res.end(
        `<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="http://127.0.0.1/${xmlEscape(account)}/" ` +
          `ShareName="${xmlEscape(share)}" DirectoryPath="${xmlEscape(path)}"><Entries>${page.map((e) => e.xml).join('')}</Entries>` +
          `<NextMarker>${nextMarker}</NextMarker></EnumerationResults>`,
      );
    }
    if (req.method === 'GET') {
      const file = files.get(path);
      if (!file) return fail(res, 404, 'ResourceNotFound', 'The specified resource does not exist.');
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': file.content.length,
        'last-modified': file.lastModified.toUTCString(),
      });
      return res.end(file.content);
    }
    return fail(res, 405, 'UnsupportedHttpVerb', `This fake serves GET only, not ${req.method}.`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpointTemplate: `http://127.0.0.1:${port}/{accountName}`,
    addAccount(accountName, accountKey) {
      accounts.set(accountName, { key: accountKey, shares: new Map() });
    },
    createShare(accountName, shareName) {
      const account = accounts.get(accountName);
      if (!account) throw new Error(`no account '${accountName}'`);
      if (!account.shares.has(shareName)) account.shares.set(shareName, new Map());
    },
    putFile(accountName, shareName, path, content) {
      const files = accounts.get(accountName)?.shares.get(shareName);
      if (!files) throw new Error(`no share '${shareName}' on '${accountName}'`);
      files.set(path.replace(/^\/+/, ''), {
        content: Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8'),
        lastModified: new Date(),
      });
    },
    refusals: () => refused,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
