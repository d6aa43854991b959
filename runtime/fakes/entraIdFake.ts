// A local OpenID Connect issuer standing in for Entra ID: the tenant's v2.0 metadata and JWKS over HTTPS on
// 127.0.0.1 (loopback certificate in ./tls), and a helper that mints RS256 access tokens shaped like Entra's (v1 or
// v2 issuer, tid, oid, aud, roles, groups). Keys can be rotated to exercise a validator's refresh on unknown kid.
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'crypto';
import * as https from 'https';
import type { AddressInfo } from 'net';
import { loadLoopbackCertificate } from './loopbackCertificate';

export interface MintOptions {
  /** Object id of the caller; default a new GUID. */
  oid?: string;
  /** `aud`; default the fake's `audience`. */
  audience?: string;
  /** `tid`; default the fake's tenant. */
  tenantId?: string;
  /** v1 (`https://sts.windows.net/{tid}/`) or v2 (the metadata issuer); default 2. */
  version?: 1 | 2;
  /** Overrides `iss` entirely. */
  issuer?: string;
  /** App roles (`roles`). */
  roles?: string[];
  groups?: string[];
  /** A service principal's token (idtyp app, no scp); default a user's delegated token. */
  appOnly?: boolean;
  /** Seconds from now to `exp` (negative: already expired); default 3600. */
  expiresInSeconds?: number;
  /** Seconds from now to `nbf`; default -60. */
  notBeforeInSeconds?: number;
  /** Sign with a key the fake never published (a forged token). */
  signWithUnpublishedKey?: boolean;
  /** Extra or overriding claims. */
  claims?: Record<string, unknown>;
}

export interface EntraIdFake {
  tenantId: string;
  /** The audience tokens are minted for unless told otherwise (`api://batchai-test`). */
  audience: string;
  baseUrl: string;
  /** The v2 issuer this fake declares in its metadata. */
  issuer: string;
  openIdConfigurationUrl: string;
  /** The loopback certificate (PEM) and its file: trust it for the metadata and JWKS fetches only. */
  certificate: string;
  certificateFile: string;
  mintToken(options?: MintOptions): string;
  /** Publishes a new signing key and signs new tokens with it (the old key stays published unless `retireOld`). */
  rotateKey(options?: { retireOld?: boolean }): string;
  /** How many times the metadata and the JWKS were fetched. */
  fetches(): { metadata: number; jwks: number };
  stop(): Promise<void>;
}

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

function newKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid: randomUUID().replace(/-/g, ''), privateKey, publicKey };
}

function base64UrlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export async function startEntraIdFake(
  options: { tenantId?: string; audience?: string } = {},
): Promise<EntraIdFake> {
  const { certificateFile, certificate, key: tlsKey } = loadLoopbackCertificate();
  const tenantId = (options.tenantId ?? randomUUID()).toLowerCase();
  const audience = options.audience ?? 'api://batchai-test';
  let published: SigningKey[] = [newKey()];
  let current = published[0];
  const unpublished = newKey();
  const counts = { metadata: 0, jwks: 0 };
  let baseUrl = '';

  const server = https.createServer({ cert: certificate, key: tlsKey }, (req, res) => {
    const url = new URL(req.url ?? '/', baseUrl);
    const answer = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return answer(405, { error: 'method_not_allowed' });
    if (url.pathname === `/${tenantId}/v2.0/.well-known/openid-configuration`) {
      counts.metadata++;
      return answer(200, {
        issuer: `${baseUrl}/${tenantId}/v2.0`,
        jwks_uri: `${baseUrl}/${tenantId}/discovery/v2.0/keys`,
        authorization_endpoint: `${baseUrl}/${tenantId}/oauth2/v2.0/authorize`,
        token_endpoint: `${baseUrl}/${tenantId}/oauth2/v2.0/token`,
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        tenant_region_scope: 'NA',
      });
    }
    if (url.pathname === `/${tenantId}/discovery/v2.0/keys`) {
      counts.jwks++;
      return answer(200, {
        keys: published.map((k) => ({
          ...k.publicKey.export({ format: 'jwk' }),
          kid: k.kid,
          use: 'sig',
          kty: 'RSA',
          issuer: `${baseUrl}/${tenantId}/v2.0`,
        })),
      });
    }
    return answer(404, { error: 'not_found', error_description: `No route for ${url.pathname}` });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${baseUrl}/${tenantId}/v2.0`;

  return {
    tenantId,
    audience,
    baseUrl,
    issuer,
    openIdConfigurationUrl: `${issuer}/.well-known/openid-configuration`,
    certificate,
    certificateFile,
    mintToken(mint: MintOptions = {}): string {
      const key = mint.signWithUnpublishedKey ? unpublished : current;
      const now = Math.floor(Date.now() / 1000);
      const oid = mint.oid ?? randomUUID();
      const tid = mint.tenantId ?? tenantId;
      const version = mint.version ?? 2;
      const appId = randomUUID();
      const claims: Record<string, unknown> = {
        aud: mint.audience ?? audience,
        iss: mint.issuer ?? (version === 1 ? `https://sts.windows.net/${tid}/` : `${baseUrl}/${tid}/v2.0`),
        iat: now,
        nbf: now + (mint.notBeforeInSeconds ?? -60),
        exp: now + (mint.expiresInSeconds ?? 3600),
        tid,
        oid,
        sub: mint.appOnly ? oid : randomUUID(),
        ver: version === 1 ? '1.0' : '2.0',
        ...(version === 1 ? { appid: appId } : { azp: appId }),
        ...(mint.appOnly ? { idtyp: 'app' } : { scp: 'user_impersonation', name: `user ${oid.slice(0, 8)}` }),
        ...(mint.roles ? { roles: mint.roles } : {}),
        ...(mint.groups ? { groups: mint.groups } : {}),
        ...mint.claims,
      };
      const signingInput = `${base64UrlJson({ typ: 'JWT', alg: 'RS256', kid: key.kid })}.${base64UrlJson(claims)}`;
      const signature = sign('RSA-SHA256', Buffer.from(signingInput, 'ascii'), key.privateKey);
      return `${signingInput}.${signature.toString('base64url')}`;
    },
    rotateKey(rotate: { retireOld?: boolean } = {}): string {
      current = newKey();
      published = rotate.retireOld ? [current] : [...published, current];
      return current.kid;
    },
    fetches: () => ({ ...counts }),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
