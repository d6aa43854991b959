// A local HTTPS fake of the Azure Key Vault secrets REST API (api-version 7.4), enough for @azure/keyvault-secrets:
// the bearer challenge (401 + WWW-Authenticate), PUT/GET/DELETE /secrets/{name}, GET /deletedsecrets/{name}, and
// RBAC by token: a 'secretsOfficer' token may write, a 'secretsUser' token may only read. Loopback cert in ./tls.
import { randomUUID } from 'crypto';
import * as https from 'https';
import type { AddressInfo } from 'net';
import { loadLoopbackCertificate } from './loopbackCertificate';

export type KeyVaultRole = 'secretsOfficer' | 'secretsUser';

export interface KeyVaultFakeOptions {
  /** Bearer token -> the role its identity holds on the vault (Key Vault Secrets Officer / User). */
  tokens: Record<string, KeyVaultRole>;
}

export interface KeyVaultRequest {
  method: string;
  path: string;
  /** The request body as text ('' when none): tests check no secret travels where it should not. */
  body: string;
  status: number;
}

export interface KeyVaultFake {
  vaultUrl: string;
  /** PEM of the fake's certificate: trust it for one client only. */
  certificate: string;
  requests: KeyVaultRequest[];
  /** The current value of a secret (undefined when absent or deleted). */
  secretValue(name: string): string | undefined;
  stop(): Promise<void>;
}

const apiVersions = new Set(['7.4', '7.5', '7.6']);

interface StoredSecret {
  value: string;
  version: string;
  contentType?: string;
  created: number;
  deleted?: number;
  /** Earlier versions (a PUT adds a version; GET /secrets/{name}/{version} reads any of them). */
  older?: StoredSecret[];
}

export async function startKeyVaultFake(options: KeyVaultFakeOptions): Promise<KeyVaultFake> {
  const { certificate, key } = loadLoopbackCertificate();
  const secrets = new Map<string, StoredSecret>();
  const requests: KeyVaultRequest[] = [];
  let vaultUrl = '';

  const bundle = (name: string, secret: StoredSecret, withValue: boolean): Record<string, unknown> => ({
    ...(withValue ? { value: secret.value } : {}),
    id: `${vaultUrl}/secrets/${name}/${secret.version}`,
    ...(secret.contentType ? { contentType: secret.contentType } : {}),
    attributes: {
      enabled: true,
      created: Math.floor(secret.created / 1000),
      updated: Math.floor(secret.created / 1000),
      recoveryLevel: 'Recoverable+Purgeable',
    },
  });
  const deletedBundle = (name: string, secret: StoredSecret): Record<string, unknown> => ({
    ...bundle(name, secret, false),
    recoveryId: `${vaultUrl}/deletedsecrets/${name}`,
    deletedDate: Math.floor((secret.deleted ?? Date.now()) / 1000),
    scheduledPurgeDate: Math.floor((secret.deleted ?? Date.now()) / 1000) + 90 * 86_400,
  });

  const handle = (method: string, url: URL, body: string, role: KeyVaultRole): [number, unknown] => {
    const error = (status: number, code: string, message: string): [number, unknown] => [
      status,
      { error: { code, message } },
    ];
    if (!apiVersions.has(url.searchParams.get('api-version') ?? '')) {
      return error(400, 'BadParameter', 'The api-version is missing or not supported (7.4 expected).');
    }
    const secretMatch = /^\/secrets\/([0-9A-Za-z-]{1,127})(?:\/([0-9a-f]*))?\/?$/.exec(url.pathname);
    const deletedMatch = /^\/deletedsecrets\/([0-9A-Za-z-]{1,127})(\/recover)?\/?$/.exec(url.pathname);
    const forbidden = (): [number, unknown] =>
      error(403, 'Forbidden', `Caller is not authorized to perform action on resource (${method}).`);
    if (secretMatch) {
      const name = secretMatch[1];
      const current = secrets.get(name);
      const live = current && current.deleted === undefined ? current : undefined;
      if (method === 'GET') {
        const wanted = secretMatch[2]
          ? [live, ...(live?.older ?? [])].find((v) => v?.version === secretMatch[2])
          : live;
        if (!wanted) {
          return error(
            404,
            'SecretNotFound',
            `A secret with (name/id) ${name} was not found in this key vault.`,
          );
        }
        return [200, bundle(name, wanted, true)];
      }
      if (role !== 'secretsOfficer') return forbidden();
      if (method === 'PUT') {
        let parsed: { value?: unknown; contentType?: unknown };
        try {
          parsed = JSON.parse(body) as typeof parsed;
        } catch {
          return error(400, 'BadParameter', 'The request body is not JSON.');
        }
        if (typeof parsed.value !== 'string') return error(400, 'BadParameter', 'value is required.');
        if (current?.deleted !== undefined) {
          return error(409, 'Conflict', `Secret ${name} is currently in a deleted but recoverable state.`);
        }
        const secret: StoredSecret = {
          value: parsed.value,
          version: randomUUID().replace(/-/g, ''),
          contentType: typeof parsed.contentType === 'string' ? parsed.contentType : undefined,
          created: Date.now(),
          older: live ? [{ ...live, older: undefined }, ...(live.older ?? [])] : undefined,
        };
        secrets.set(name, secret);
        return [200, bundle(name, secret, true)];
      }
      if (method === 'DELETE') {
        if (!live) return error(404, 'SecretNotFound', `A secret with (name/id) ${name} was not found.`);
        live.deleted = Date.now();
        return [200, deletedBundle(name, live)];
      }
      return error(405, 'MethodNotAllowed', `${method} is not supported on secrets.`);
    }
    if (deletedMatch) {
      const name = deletedMatch[1];
      const current = secrets.get(name);
      if (role !== 'secretsOfficer') return forbidden();
      if (deletedMatch[2]) {
        if (method !== 'POST' || current?.deleted === undefined) {
          return error(404, 'SecretNotFound', `A deleted secret ${name} was not found.`);
        }
        current.deleted = undefined; // recovered: live again, with its versions
        return [200, bundle(name, current, true)];
      }
      if (method === 'GET' && current?.deleted !== undefined) return [200, deletedBundle(name, current)];
      if (method === 'DELETE' && current?.deleted !== undefined) {
        secrets.delete(name); // purge
        return [204, undefined];
      }
      return error(404, 'SecretNotFound', `A deleted secret ${name} was not found.`);
    }
    return error(404, 'NotFound', `No such endpoint: ${url.pathname}`);
  };

  const server = https.createServer({ cert: certificate, key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', vaultUrl);
      const method = req.method ?? 'GET';
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      let status: number;
      let payload: unknown;
      const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
      if (!token) {
        // The SDK's first request carries no token and no body: the challenge tells it which resource to ask for.
        status = 401;
        payload = {
          error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer token.' },
        };
        headers['www-authenticate'] =
          'Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="https://vault.azure.net"';
      } else if (!options.tokens[token]) {
        status = 401;
        payload = { error: { code: 'Unauthorized', message: 'AKV10032: Invalid issuer or token.' } };
      } else {
        [status, payload] = handle(method, url, body, options.tokens[token]);
      }
      requests.push({ method, path: url.pathname, body, status });
      res.writeHead(status, { ...headers, 'x-ms-request-id': randomUUID() });
      res.end(payload === undefined ? undefined : JSON.stringify(payload));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  vaultUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    vaultUrl,
    certificate,
    requests,
    secretValue: (name) => {
      const secret = secrets.get(name);
      return secret && secret.deleted === undefined ? secret.value : undefined;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
