// Token validation against the local Entra ID fake over HTTPS (its certificate trusted for these fetches only):
// good tokens (v1 and v2 issuers), forged or tampered signatures, wrong audience, issuer and tenant, expiry, and
// the JWKS refresh on an unknown kid (rate-limited).
import { AuthenticationError, AuthenticationUnavailableError } from '../../shared/security/accessErrors';
import { BearerTokenValidator } from '../../shared/security/bearerTokenValidator';
import { httpsJsonFetcher } from '../../shared/security/httpsJsonFetcher';
import { OpenIdKeySet } from '../../shared/security/openIdKeySet';
import { startEntraIdFake, type EntraIdFake } from '../../runtime/fakes/entraIdFake';

let fake: EntraIdFake;

beforeAll(async () => {
  fake = await startEntraIdFake();
});

afterAll(async () => {
  await fake?.stop();
});

function validatorFor(
  overrides: { minRefreshIntervalMs?: number; audiences?: string[]; configurationUrl?: string } = {},
) {
  const keySet = new OpenIdKeySet({
    configurationUrl: overrides.configurationUrl ?? fake.openIdConfigurationUrl,
    fetchJson: httpsJsonFetcher({ trustedCertificate: fake.certificate, timeoutMs: 5000 }),
    minRefreshIntervalMs: overrides.minRefreshIntervalMs ?? 0,
  });
  const validator = new BearerTokenValidator({
    tenantId: fake.tenantId,
    audiences: overrides.audiences ?? [fake.audience],
    clockSkewSeconds: 120,
    keySet,
  });
  return { validator, keySet };
}

async function failure(promise: Promise<unknown>): Promise<AuthenticationError> {
  try {
    await promise;
  } catch (error: unknown) {
    if (error instanceof AuthenticationError) return error;
    throw error;
  }
  throw new Error('the token was accepted');
}

const oid = '11111111-2222-3333-4444-555555555555';

test('a v2 user token signed by the tenant yields the caller principal', async () => {
  const { validator } = validatorFor();
  const principal = await validator.authenticate(
    `Bearer ${fake.mintToken({ oid, roles: ['BatchAI.Reader'], groups: ['AAAAAAAA-0000-0000-0000-000000000001'] })}`,
  );
  expect(principal).toMatchObject({
    kind: 'User',
    objectId: oid,
    tenantId: fake.tenantId,
    appRoles: ['BatchAI.Reader'],
    groups: ['aaaaaaaa-0000-0000-0000-000000000001'],
  });
});

test('a v1 service principal token (sts.windows.net issuer) is accepted as a service principal', async () => {
  const { validator } = validatorFor();
  const principal = await validator.validate(fake.mintToken({ oid, version: 1, appOnly: true }));
  expect(principal.kind).toBe('ServicePrincipal');
  expect(principal.appId).toMatch(/^[0-9a-f-]{36}$/);
});

test('no Authorization header, or not a bearer one, is AuthenticationFailed', async () => {
  const { validator } = validatorFor();
  expect((await failure(validator.authenticate(undefined))).code).toBe('AuthenticationFailed');
  const basic = await failure(validator.authenticate('Basic dXNlcjpwYXNz'));
  expect(basic.code).toBe('AuthenticationFailed');
  expect(basic.challenge(fake.tenantId)).toContain('error="invalid_token"');
  expect((await failure(validator.authenticate(undefined))).challenge(fake.tenantId)).not.toContain('error=');
});

test('a token signed with an unpublished key is rejected', async () => {
  const { validator } = validatorFor();
  const error = await failure(validator.validate(fake.mintToken({ signWithUnpublishedKey: true })));
  expect(error.code).toBe('InvalidAuthenticationToken');
});

test('a token whose claims were altered after signing fails the signature check', async () => {
  const { validator } = validatorFor();
  const [header, , signature] = fake.mintToken({ oid }).split('.');
  const forgedPayload = fake.mintToken({ oid, roles: ['BatchAI.Admin'] }).split('.')[1];
  const error = await failure(validator.validate(`${header}.${forgedPayload}.${signature}`));
  expect(error.message).toMatch(/signature/);
});

test('alg none and malformed tokens are rejected without a crash', async () => {
  const { validator } = validatorFor();
  const [, payload] = fake.mintToken().split('.');
  const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.x`;
  expect((await failure(validator.validate(none))).message).toMatch(/RS256/);
  for (const bad of ['abc', 'a.b', 'a.b.c', '!!.??.**', '....'])
    expect((await failure(validator.validate(bad))).code).toBe('InvalidAuthenticationToken');
});

test('a token for another audience is InvalidAuthenticationTokenAudience', async () => {
  const { validator } = validatorFor();
  const error = await failure(validator.validate(fake.mintToken({ audience: 'api://someone-else' })));
  expect(error.code).toBe('InvalidAuthenticationTokenAudience');
  expect(error.message).toContain('api://someone-else');
});

test('a token from another tenant, or naming an untrusted issuer, is rejected', async () => {
  const { validator } = validatorFor();
  const otherTenant = await failure(
    validator.validate(fake.mintToken({ tenantId: '99999999-9999-9999-9999-999999999999' })),
  );
  expect(otherTenant.code).toBe('InvalidAuthenticationTokenTenant');
  const otherIssuer = await failure(
    validator.validate(fake.mintToken({ issuer: 'https://evil.example/v2.0' })),
  );
  expect(otherIssuer.code).toBe('InvalidAuthenticationToken');
  expect(otherIssuer.message).toMatch(/issuer/);
});

test('an expired token is ExpiredAuthenticationToken; within the clock skew it still passes', async () => {
  const { validator } = validatorFor();
  const expired = await failure(validator.validate(fake.mintToken({ expiresInSeconds: -600 })));
  expect(expired.code).toBe('ExpiredAuthenticationToken');
  await expect(validator.validate(fake.mintToken({ oid, expiresInSeconds: -30 }))).resolves.toMatchObject({
    objectId: oid,
  });
  const early = await failure(validator.validate(fake.mintToken({ notBeforeInSeconds: 900 })));
  expect(early.message).toMatch(/not valid before/);
});

test('a token without an object id is rejected', async () => {
  const { validator } = validatorFor();
  expect((await failure(validator.validate(fake.mintToken({ claims: { oid: undefined } })))).message).toMatch(
    /oid/,
  );
});

test('an unknown kid triggers one JWKS refresh, after which the rotated key is accepted', async () => {
  const { validator, keySet } = validatorFor();
  await validator.validate(fake.mintToken({ oid }));
  const before = keySet.fetchCount;
  fake.rotateKey();
  await expect(validator.validate(fake.mintToken({ oid }))).resolves.toMatchObject({ objectId: oid });
  expect(keySet.fetchCount).toBe(before + 1);
  await validator.validate(fake.mintToken({ oid }));
  expect(keySet.fetchCount).toBe(before + 1);
});

test('unknown kids do not refresh the keys more than once per interval', async () => {
  const { validator, keySet } = validatorFor({ minRefreshIntervalMs: 60_000 });
  await validator.validate(fake.mintToken({ oid }));
  const before = keySet.fetchCount;
  for (let i = 0; i < 5; i++)
    await failure(validator.validate(fake.mintToken({ signWithUnpublishedKey: true })));
  expect(keySet.fetchCount).toBe(before);
});

test('unreachable metadata is a 503 AuthenticationServiceUnavailable, not an authentication failure', async () => {
  const { validator } = validatorFor({
    configurationUrl: `${fake.baseUrl}/missing/.well-known/openid-configuration`,
  });
  await expect(validator.validate(fake.mintToken())).rejects.toBeInstanceOf(AuthenticationUnavailableError);
});

test('while the provider is down, stale keys (or the failure) are answered without a fetch per request', async () => {
  let clock = 0;
  let down = false;
  const fetcher = httpsJsonFetcher({ trustedCertificate: fake.certificate, timeoutMs: 5000 });
  const keySet = new OpenIdKeySet({
    configurationUrl: fake.openIdConfigurationUrl,
    fetchJson: async (url) => {
      if (down) throw new Error('connection refused');
      return fetcher(url);
    },
    maxAgeMs: 1_000,
    minRefreshIntervalMs: 30_000,
    now: () => clock,
  });
  await keySet.issuer();
  expect(keySet.fetchCount).toBe(1);
  down = true;
  clock = 31_000; // stale: one attempt, which fails; the old keys stay
  for (let i = 0; i < 5; i++) await expect(keySet.issuer()).resolves.toEqual(expect.any(String));
  expect(keySet.fetchCount).toBe(2);
  clock = 62_000; // the next attempt is due
  await keySet.issuer();
  expect(keySet.fetchCount).toBe(3);
  // Never any keys: the failure is answered again until the next attempt is due.
  const empty = new OpenIdKeySet({
    configurationUrl: fake.openIdConfigurationUrl,
    fetchJson: async () => {
      throw new Error('connection refused');
    },
    minRefreshIntervalMs: 30_000,
    now: () => clock,
  });
  for (let i = 0; i < 3; i++)
    await expect(empty.issuer()).rejects.toBeInstanceOf(AuthenticationUnavailableError);
  expect(empty.fetchCount).toBe(1);
});
