// Writes the library's RPC HTTP response (`{ http: { statusCode, headers, cookies, body } }`) to a Node response.
import type * as http from 'http';

interface RpcCookie {
  name?: string;
  value?: string;
  domain?: { value?: string } | null;
  path?: { value?: string } | null;
  expires?: { value?: { seconds?: number } } | null;
  secure?: { value?: boolean } | null;
  httpOnly?: { value?: boolean } | null;
  sameSite?: string | null;
  maxAge?: { value?: number } | null;
}

interface RpcHttpResponse {
  statusCode?: string | number;
  headers?: Record<string, string>;
  cookies?: RpcCookie[];
  body?: { bytes?: Uint8Array; string?: string; json?: string } | null;
}

export function serializeCookie(c: RpcCookie): string {
  const parts = [`${c.name ?? ''}=${encodeURIComponent(c.value ?? '')}`];
  if (c.domain?.value) parts.push(`Domain=${c.domain.value}`);
  if (c.path?.value) parts.push(`Path=${c.path.value}`);
  if (c.expires?.value?.seconds !== undefined) {
    parts.push(`Expires=${new Date(c.expires.value.seconds * 1000).toUTCString()}`);
  }
  if (c.maxAge?.value !== undefined) parts.push(`Max-Age=${Math.floor(c.maxAge.value)}`);
  if (c.secure?.value) parts.push('Secure');
  if (c.httpOnly?.value) parts.push('HttpOnly');
  const sameSite = { lax: 'Lax', strict: 'Strict', explicitNone: 'None' }[c.sameSite ?? ''];
  if (sameSite) parts.push(`SameSite=${sameSite}`);
  return parts.join('; ');
}

/** `value` is the function's http output as the library returned it (undefined: no response was set: 204). */
export function writeRpcHttpResponse(res: http.ServerResponse, value: unknown): void {
  const rpc = (value as { http?: RpcHttpResponse } | undefined)?.http;
  if (!rpc) {
    res.writeHead(204).end();
    return;
  }
  const status = Number(rpc.statusCode ?? 200);
  if (!Number.isInteger(status) || status < 100 || status > 999) {
    res.writeHead(500).end();
    return;
  }
  for (const [k, v] of Object.entries(rpc.headers ?? {})) res.setHeader(k, v);
  if (rpc.cookies && rpc.cookies.length > 0) res.setHeader('Set-Cookie', rpc.cookies.map(serializeCookie));
  const b = rpc.body;
  const body = b?.bytes ? Buffer.from(b.bytes) : b?.string !== undefined ? b.string : (b?.json ?? undefined);
  res.statusCode = status;
  res.end(body);
}
