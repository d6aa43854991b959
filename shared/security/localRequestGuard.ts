// AUTH_MODE=none trusts whoever reaches the API, which is meant to be the user of this machine. A web page the user
// opens can reach it too: by DNS rebinding (its own name resolving to 127.0.0.1, so the browser sends the page's
// Host) or with a plain cross-site request (a form POST needs no CORS preflight). So in that mode a request must
// name a loopback host, and a request that changes something must not come from another site's page.
import { ApiError } from '../domain/errors';

/** 403 LocalRequestRefused: a request AUTH_MODE=none does not take (another site's page, or another host name). */
export class LocalRequestRefusedError extends ApiError {
  readonly httpStatus = 403;
  constructor(message: string) {
    super('LocalRequestRefused', message);
  }
}

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** The host name of a Host header (`name:port`, `[v6]:port`), lower-cased. */
function hostName(host: string): string {
  const value = host.trim().toLowerCase();
  if (value.startsWith('[')) return value.slice(0, value.indexOf(']') + 1);
  const colon = value.lastIndexOf(':');
  return colon >= 0 ? value.slice(0, colon) : value;
}

/** Whether `origin` is the API's own (the page the dashboard is served from): same host and port as requested. */
function isOwnOrigin(origin: string, host: string | null): boolean {
  try {
    const url = new URL(origin);
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      host !== null &&
      url.host === host.trim().toLowerCase()
    );
  } catch {
    return false;
  }
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Throws LocalRequestRefusedError unless the request names a loopback host (Host header) and, when it may change
 * something (not GET/HEAD/OPTIONS), comes from no page of another origin (`Origin` absent or the API's own, and
 * `Sec-Fetch-Site` not `cross-site`). Clients that are not browsers (the CLI, SDKs, curl) send no Origin.
 */
export function checkLocalRequest(method: string, headers: { get(name: string): string | null }): void {
  const host = headers.get('host');
  if (host !== null && !loopbackHosts.has(hostName(host))) {
    throw new LocalRequestRefusedError(
      `This API (AUTH_MODE=none) answers requests to 127.0.0.1 or localhost only, not to '${host}'.`,
    );
  }
  if (safeMethods.has(method.toUpperCase())) return;
  const origin = headers.get('origin');
  if ((origin !== null && !isOwnOrigin(origin, host)) || headers.get('sec-fetch-site') === 'cross-site') {
    throw new LocalRequestRefusedError(
      `This API (AUTH_MODE=none) takes no ${method.toUpperCase()} from a page of another origin ('${origin ?? 'cross-site'}').`,
    );
  }
}
