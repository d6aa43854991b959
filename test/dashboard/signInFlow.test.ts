// The pure parts of the dashboard's sign-in: PKCE (RFC 7636's own example), the authorization URL and token
// requests, the redirect back, token answers, when a held token is renewed, and the sign-out URL.
import { webcrypto } from 'crypto';
import {
  authorizationUrl,
  codeChallenge,
  codeRedemptionBody,
  displayNameOf,
  endSessionUrl,
  heldTokensOf,
  randomToken,
  readRedirect,
  refreshBody,
  renewBeforeExpiryMs,
  tokenStatus,
  type SignInConfig,
  type WebCrypto,
} from '../../dashboard/src/model/signInFlow';

const crypto: WebCrypto = webcrypto;
const config: SignInConfig = {
  clientId: 'client-1',
  scope: 'openid profile offline_access api://batchai/.default',
  authorizationEndpoint: 'https://login.example/tenant/oauth2/v2.0/authorize',
  tokenEndpoint: 'https://login.example/tenant/oauth2/v2.0/token',
};

test('the S256 challenge of RFC 7636 appendix B; verifiers are 43 URL-safe characters and differ', async () => {
  expect(await codeChallenge(crypto, 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
    'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  );
  const a = randomToken(crypto);
  expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(randomToken(crypto)).not.toBe(a);
});

test('sign out goes to the end-session endpoint when the provider names one, and comes back', () => {
  expect(endSessionUrl(config, 'https://app.example/api/dashboard/')).toBeUndefined();
  const url = new URL(
    endSessionUrl(
      { ...config, endSessionEndpoint: 'https://login.example/tenant/oauth2/v2.0/logout' },
      'https://app.example/api/dashboard/',
    )!,
  );
  expect(url.origin + url.pathname).toBe('https://login.example/tenant/oauth2/v2.0/logout');
  expect(Object.fromEntries(url.searchParams)).toEqual({
    client_id: 'client-1',
    post_logout_redirect_uri: 'https://app.example/api/dashboard/',
  });
});

test('the authorization URL and the token requests carry what a SPA code flow needs', () => {
  const url = new URL(authorizationUrl(config, 'https://app.example/api/dashboard/', 'st', 'ch'));
  expect(url.origin + url.pathname).toBe(config.authorizationEndpoint);
  expect(Object.fromEntries(url.searchParams)).toEqual({
    client_id: 'client-1',
    response_type: 'code',
    redirect_uri: 'https://app.example/api/dashboard/',
    response_mode: 'query',
    scope: config.scope,
    state: 'st',
    code_challenge: 'ch',
    code_challenge_method: 'S256',
  });
  expect(Object.fromEntries(codeRedemptionBody(config, 'https://r/', 'c0de', 'v3r'))).toEqual({
    client_id: 'client-1',
    grant_type: 'authorization_code',
    code: 'c0de',
    redirect_uri: 'https://r/',
    code_verifier: 'v3r',
    scope: config.scope,
  });
  expect(Object.fromEntries(refreshBody(config, 'rt'))).toMatchObject({
    grant_type: 'refresh_token',
    refresh_token: 'rt',
  });
});

test('the redirect back: a code with its state, an error with its description, or nothing', () => {
  expect(readRedirect('?code=abc&state=xyz')).toEqual({ kind: 'code', code: 'abc', state: 'xyz' });
  expect(readRedirect('?error=access_denied&error_description=The+user+declined')).toEqual({
    kind: 'error',
    message: 'access_denied: The user declined',
  });
  expect(readRedirect('')).toEqual({ kind: 'none' });
});

test('token answers: held with their expiry, refusals and malformed answers are errors', () => {
  expect(heldTokensOf(200, { access_token: 'at', expires_in: 3599, refresh_token: 'rt' }, 1_000)).toEqual({
    accessToken: 'at',
    expiresAt: 1_000 + 3_599_000,
    refreshToken: 'rt',
  });
  const refused = heldTokensOf(400, { error: 'invalid_grant', error_description: 'expired' }, 0);
  expect(refused).toBeInstanceOf(Error);
  expect((refused as Error).message).toBe('The sign-in service refused: invalid_grant: expired');
  expect(heldTokensOf(200, { token_type: 'Bearer' }, 0)).toBeInstanceOf(Error);
});

test('a token is used while it has more than the margin left, then renewed, or signed in again without a refresh token', () => {
  const now = 10_000_000;
  const tokens = (left: number, refreshToken?: string) => ({
    accessToken: 'at',
    expiresAt: now + left,
    refreshToken,
  });
  expect(tokenStatus(undefined, now)).toBe('signIn');
  expect(tokenStatus(tokens(renewBeforeExpiryMs + 1, 'rt'), now)).toBe('valid');
  expect(tokenStatus(tokens(renewBeforeExpiryMs - 1, 'rt'), now)).toBe('renew');
  expect(tokenStatus(tokens(-1, 'rt'), now)).toBe('renew');
  expect(tokenStatus(tokens(5_000), now)).toBe('valid'); // no refresh token: used to its end
  expect(tokenStatus(tokens(-1), now)).toBe('signIn');
});

test("the user's display name comes from the token's claims (UTF-8 safe)", () => {
  const token = (claims: object): string =>
    `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
  expect(displayNameOf(token({ name: 'Zoë Ångström', oid: 'x' }))).toBe('Zoë Ångström');
  expect(displayNameOf(token({ preferred_username: 'ada@contoso.com' }))).toBe('ada@contoso.com');
  expect(displayNameOf('not-a-jwt')).toBeUndefined();
});
