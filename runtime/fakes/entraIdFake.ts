// A local OpenID Connect issuer standing in for Entra ID: the tenant's v2.0 metadata and JWKS over HTTPS on
// 127.0.0.1 (loopback certificate in ./tls), and a helper that mints RS256 access tokens shaped like Entra's (v1 or
// v2 issuer, tid, oid, aud, roles, groups). Keys can be rotated to exercise a validator's refresh on unknown kid.
// It also signs in one configured user through the authorization code flow with PKCE that a single-page app uses
// (`/authorize` answers at once with a code, no login page; `/token` redeems it, or a refresh token, with CORS), and
// ends that session at `/logout` (its refresh tokens stop working; the browser is sent back to the app).
import { createHash, generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from 'crypto';
import type { ServerResponse } from 'http';
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

/** The user `/authorize` signs in, and how long the tokens `/token` issues live. */
export interface SignInOptions {
  oid: string;
  name: string;
  /** Seconds an access token from `/token` lives (default 3600). */
  accessTokenLifetimeSeconds?: number;
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
  /** The API's app settings that make this fake its tenant (AUTH_MODE=entra, its metadata, certificate, audience). */
  appSettings(): Record<string, string>;
  mintToken(options?: MintOptions): string;
  /** Publishes a new signing key and signs new tokens with it (the old key stays published unless `retireOld`). */
  rotateKey(options?: { retireOld?: boolean }): string;
  /** How many times the metadata and the JWKS were fetched, and codes and refresh tokens redeemed at `/token`. */
  fetches(): { metadata: number; jwks: number; codeGrants: number; refreshGrants: number; signOuts: number };
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

interface PendingCode {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  scope: string;
  expires: number;
}

export async function startEntraIdFake(
  options: { tenantId?: string; audience?: string; signIn?: SignInOptions } = {},
): Promise<EntraIdFake> {
  const { certificateFile, certificate, key: tlsKey } = loadLoopbackCertificate();
  const tenantId = (options.tenantId ?? randomUUID()).toLowerCase();
  const audience = options.audience ?? 'api://batchai-test';
  let published: SigningKey[] = [newKey()];
  let current = published[0];
  const unpublished = newKey();
  const counts = { metadata: 0, jwks: 0, codeGrants: 0, refreshGrants: 0, signOuts: 0 };
  const codes = new Map<string, PendingCode>();
  const refreshTokens = new Map<string, { clientId: string; scope: string }>();
  let baseUrl = '';
  let mint: (options?: MintOptions) => string = () => '';

  /** `/authorize`: checks the request as Entra does for a SPA, then signs the configured user in at once. */
  const authorize = (url: URL, res: ServerResponse): void => {
    const q = url.searchParams;
    const redirectUri = q.get('redirect_uri') ?? '';
    const fail = (error: string, description: string): void => {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${error}: ${description}`);
    };
    if (!options.signIn) return fail('unauthorized_client', 'this fake was started without a sign-in user');
    if (!/^https?:\/\//.test(redirectUri))
      return fail('invalid_request', 'redirect_uri must be an http(s) URL');
    if (!q.get('client_id')) return fail('invalid_request', 'client_id is required');
    if (q.get('response_type') !== 'code') return fail('unsupported_response_type', 'only code');
    if (q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge'))
      return fail('invalid_request', 'PKCE with code_challenge_method=S256 is required for a SPA');
    const code = randomBytes(24).toString('base64url');
    codes.set(code, {
      clientId: q.get('client_id')!,
      redirectUri,
      codeChallenge: q.get('code_challenge')!,
      scope: q.get('scope') ?? '',
      expires: Date.now() + 600_000,
    });
    const back = new URL(redirectUri);
    back.searchParams.set('code', code);
    if (q.get('state') !== null) back.searchParams.set('state', q.get('state')!);
    res.writeHead(302, { location: back.toString() });
    res.end();
  };

  /** `/token`: redeems a code (PKCE checked) or a refresh token for the configured user's tokens. */
  const token = (form: URLSearchParams, res: ServerResponse, origin: string): void => {
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'access-control-allow-origin': origin || '*',
      });
      res.end(JSON.stringify(body));
    };
    const invalid = (description: string): void =>
      reply(400, { error: 'invalid_grant', error_description: description });
    const signIn = options.signIn;
    if (!signIn) return reply(400, { error: 'unauthorized_client', error_description: 'no sign-in user' });
    const clientId = form.get('client_id') ?? '';
    let scope: string;
    if (form.get('grant_type') === 'authorization_code') {
      const pending = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? ''); // a code is redeemed once
      if (!pending || pending.expires < Date.now()) return invalid('the code is unknown, used or expired');
      if (pending.clientId !== clientId) return invalid('the code was issued to another client');
      if (pending.redirectUri !== form.get('redirect_uri')) return invalid('redirect_uri differs');
      const verifier = form.get('code_verifier') ?? '';
      if (createHash('sha256').update(verifier).digest('base64url') !== pending.codeChallenge)
        return invalid('the code_verifier does not match the code_challenge');
      counts.codeGrants++;
      scope = pending.scope;
    } else if (form.get('grant_type') === 'refresh_token') {
      const held = refreshTokens.get(form.get('refresh_token') ?? '');
      refreshTokens.delete(form.get('refresh_token') ?? ''); // rotated, as for a SPA
      if (!held || held.clientId !== clientId) return invalid('the refresh token is unknown or used');
      counts.refreshGrants++;
      scope = held.scope;
    } else {
      return reply(400, { error: 'unsupported_grant_type', error_description: 'code or refresh_token' });
    }
    const refreshToken = randomBytes(24).toString('base64url');
    refreshTokens.set(refreshToken, { clientId, scope });
    const lifetime = signIn.accessTokenLifetimeSeconds ?? 3600;
    reply(200, {
      token_type: 'Bearer',
      scope,
      expires_in: lifetime,
      access_token: mint({ oid: signIn.oid, expiresInSeconds: lifetime, claims: { name: signIn.name } }),
      refresh_token: refreshToken,
    });
  };

  /** `/logout` (RP-initiated logout): ends the session, so its refresh tokens are refused, and goes back. */
  const logout = (url: URL, res: ServerResponse): void => {
    const back = url.searchParams.get('post_logout_redirect_uri') ?? '';
    counts.signOuts++;
    refreshTokens.clear();
    if (/^https?:\/\//.test(back)) {
      res.writeHead(302, { location: back });
      return void res.end();
    }
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('You signed out of your account.');
  };

  const server = https.createServer({ cert: certificate, key: tlsKey }, (req, res) => {
    const url = new URL(req.url ?? '/', baseUrl);
    const answer = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && url.pathname === `/${tenantId}/oauth2/v2.0/authorize`)
      return authorize(url, res);
    if (req.method === 'GET' && url.pathname === `/${tenantId}/oauth2/v2.0/logout`) return logout(url, res);
    if (url.pathname === `/${tenantId}/oauth2/v2.0/token`) {
      const origin = String(req.headers.origin ?? '');
      if (req.method === 'OPTIONS') {
        res.writeHead(204, {
          'access-control-allow-origin': origin || '*',
          'access-control-allow-methods': 'POST',
          'access-control-allow-headers': 'content-type',
        });
        return res.end();
      }
      if (req.method !== 'POST') return answer(405, { error: 'method_not_allowed' });
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => token(new URLSearchParams(Buffer.concat(chunks).toString('utf8')), res, origin));
      return;
    }
    if (req.method !== 'GET') return answer(405, { error: 'method_not_allowed' });
    if (url.pathname === `/${tenantId}/v2.0/.well-known/openid-configuration`) {
      counts.metadata++;
      return answer(200, {
        issuer: `${baseUrl}/${tenantId}/v2.0`,
        jwks_uri: `${baseUrl}/${tenantId}/discovery/v2.0/keys`,
        authorization_endpoint: `${baseUrl}/${tenantId}/oauth2/v2.0/authorize`,
        token_endpoint: `${baseUrl}/${tenantId}/oauth2/v2.0/token`,
        end_session_endpoint: `${baseUrl}/${tenantId}/oauth2/v2.0/logout`,
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

  const fake: EntraIdFake = {
    tenantId,
    audience,
    baseUrl,
    issuer,
    openIdConfigurationUrl: `${issuer}/.well-known/openid-configuration`,
    certificate,
    certificateFile,
    appSettings: () => ({
      AUTH_MODE: 'entra',
      AUTH_TENANT_ID: tenantId,
      AUTH_OPENID_CONFIGURATION_URL: `${issuer}/.well-known/openid-configuration`,
      AUTH_OPENID_CA_FILE: certificateFile,
      AUTH_AUDIENCE: audience,
    }),
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
  mint = (mintOptions) => fake.mintToken(mintOptions);
  return fake;
}
