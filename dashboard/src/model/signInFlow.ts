// The pure parts of the dashboard's Entra ID sign-in (OAuth 2.0 authorization code flow with PKCE, RFC 7636, as a
// single-page app does it): the verifier and its S256 challenge, the authorization URL, the token request bodies,
// reading the redirect back and the token response, and when a held token must be renewed. No DOM, no storage:
// dashboard/src/ui/signIn.ts does the browser's part.

/** What GET /api/dashboard-config tells about signing in (functions/dashboard/dashboardConfigFunction.ts). */
export interface SignInConfig {
  clientId: string;
  scope: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  /** The identity provider's end-session (sign-out) endpoint, when its metadata names one. */
  endSessionEndpoint?: string;
}

export interface DashboardAuthConfig {
  auth: 'none' | 'entra';
  signIn?: SignInConfig | null;
  message?: string;
}

/** The tokens the dashboard holds for this tab. */
export interface HeldTokens {
  accessToken: string;
  /** Epoch ms when the access token expires. */
  expiresAt: number;
  refreshToken?: string;
}

/** What a sign-in in progress keeps across the redirect. */
export interface PendingSignIn {
  state: string;
  verifier: string;
  /** The dashboard route (URL hash) to return to. */
  returnHash: string;
}

/** What the flow needs of Web Crypto: the browser's `crypto` (Node's `webcrypto` in tests). */
export interface WebCrypto {
  getRandomValues(array: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer>;
  subtle: { digest(algorithm: 'SHA-256', data: Uint8Array<ArrayBuffer>): Promise<ArrayBuffer> };
}

/** A token is renewed when it has less than this left, so no request goes out with one about to expire. */
export const renewBeforeExpiryMs = 120_000;

export function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A PKCE code verifier (43 characters from 32 random bytes) or a state value. */
export function randomToken(crypto: WebCrypto): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(32)));
}

/** The S256 code challenge of a verifier: base64url(SHA-256(verifier)). */
export async function codeChallenge(crypto: WebCrypto, verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

export function authorizationUrl(
  config: SignInConfig,
  redirectUri: string,
  state: string,
  challenge: string,
): string {
  const url = new URL(config.authorizationEndpoint);
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('response_mode', 'query');
  url.searchParams.set('scope', config.scope);
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', challenge);
  url.searchParams.set('code_challenge_method', 'S256');
  return url.toString();
}

/**
 * Where Sign out sends the browser to end the identity provider's session as well (OpenID Connect RP-Initiated
 * Logout: Entra ID's `/oauth2/v2.0/logout`), coming back to `redirectUri`; undefined when the provider names no
 * end-session endpoint (then only the tab's tokens are forgotten).
 */
export function endSessionUrl(config: SignInConfig, redirectUri: string): string | undefined {
  if (!config.endSessionEndpoint) return undefined;
  const url = new URL(config.endSessionEndpoint);
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('post_logout_redirect_uri', redirectUri);
  return url.toString();
}

export function codeRedemptionBody(
  config: SignInConfig,
  redirectUri: string,
  code: string,
  verifier: string,
): URLSearchParams {
  return new URLSearchParams({
    client_id: config.clientId,
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    code_verifier: verifier,
    scope: config.scope,
  });
}

export function refreshBody(config: SignInConfig, refreshToken: string): URLSearchParams {
  return new URLSearchParams({
    client_id: config.clientId,
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    scope: config.scope,
  });
}

/** What the identity provider's redirect back carries, if it is one. */
export type RedirectResult =
  { kind: 'none' } | { kind: 'code'; code: string; state: string } | { kind: 'error'; message: string };

export function readRedirect(search: string): RedirectResult {
  const query = new URLSearchParams(search);
  const error = query.get('error');
  if (error) {
    const description = query.get('error_description');
    return { kind: 'error', message: description ? `${error}: ${description}` : error };
  }
  const code = query.get('code');
  if (!code) return { kind: 'none' };
  return { kind: 'code', code, state: query.get('state') ?? '' };
}

/** The held tokens from a token endpoint's answer, or an Error saying what was wrong with it. */
export function heldTokensOf(status: number, body: unknown, now: number): HeldTokens | Error {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  if (status !== 200) {
    const what = typeof b.error === 'string' ? b.error : `HTTP ${status}`;
    const why = typeof b.error_description === 'string' ? `: ${b.error_description}` : '';
    return new Error(`The sign-in service refused: ${what}${why}`);
  }
  if (typeof b.access_token !== 'string' || b.access_token === '')
    return new Error('The sign-in service answered without an access token.');
  const lifetime = typeof b.expires_in === 'number' ? b.expires_in : Number(b.expires_in ?? 3600);
  return {
    accessToken: b.access_token,
    expiresAt: now + (Number.isFinite(lifetime) ? lifetime : 3600) * 1000,
    refreshToken: typeof b.refresh_token === 'string' ? b.refresh_token : undefined,
  };
}

/** 'valid' to use as is, 'renew' (a refresh token can get a new one), or 'signIn' (none held, or it cannot). */
export function tokenStatus(tokens: HeldTokens | undefined, now: number): 'valid' | 'renew' | 'signIn' {
  if (!tokens) return 'signIn';
  if (tokens.expiresAt - now > renewBeforeExpiryMs) return 'valid';
  if (tokens.refreshToken) return 'renew';
  return tokens.expiresAt > now ? 'valid' : 'signIn';
}

/** The signed-in user's display name from the access token's claims (display only: the API checks the token). */
export function displayNameOf(accessToken: string): string | undefined {
  const payload = accessToken.split('.')[1];
  if (!payload) return undefined;
  try {
    const binary = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const json = new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    const claims = JSON.parse(json) as Record<string, unknown>;
    for (const key of ['name', 'preferred_username', 'upn', 'oid']) {
      if (typeof claims[key] === 'string' && claims[key] !== '') return claims[key] as string;
    }
  } catch {
    return undefined;
  }
  return undefined;
}
