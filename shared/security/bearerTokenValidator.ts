// Validates an Entra ID access token from `Authorization: Bearer <JWT>`: RS256 signature with the tenant's keys,
// then tenant (`tid`), issuer (v1 and v2 forms), audience, lifetime (`exp`, `nbf`, with a small clock skew), and
// an object id. The result is the caller's principal; every failure is a 401 with ARM's error codes.
import { verify } from 'crypto';
import { AuthenticationError } from './accessErrors';
import { isGuid } from './authSettings';
import type { CallerPrincipal } from './callerPrincipal';
import { parseCompactJwt } from './compactJwt';
import type { OpenIdKeySet } from './openIdKeySet';

export interface BearerTokenValidatorOptions {
  tenantId: string;
  audiences: string[];
  clockSkewSeconds: number;
  keySet: OpenIdKeySet;
  now?: () => number;
}

export class BearerTokenValidator {
  constructor(private readonly options: BearerTokenValidatorOptions) {}

  /** The principal of a request's Authorization header. */
  async authenticate(authorization: string | null | undefined): Promise<CallerPrincipal> {
    if (!authorization || authorization.trim() === '')
      throw new AuthenticationError(
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is missing.",
        { credentialsMissing: true },
      );
    const match = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(authorization);
    if (!match)
      throw new AuthenticationError(
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is provided in an invalid format: expected 'Bearer <access token>'.",
      );
    return this.validate(match[1]);
  }

  async validate(token: string): Promise<CallerPrincipal> {
    const jwt = parseCompactJwt(token);
    if (jwt.header.alg !== 'RS256')
      throw new AuthenticationError(
        'InvalidAuthenticationToken',
        `The access token is not valid: its algorithm must be RS256.`,
      );
    if (typeof jwt.header.kid !== 'string' || jwt.header.kid === '')
      throw new AuthenticationError(
        'InvalidAuthenticationToken',
        "The access token is not valid: its header has no 'kid'.",
      );
    const key = await this.options.keySet.key(jwt.header.kid);
    if (!key)
      throw new AuthenticationError(
        'InvalidAuthenticationToken',
        "The access token is not valid: it is not signed by a key of the tenant's identity provider.",
      );
    if (!verify('RSA-SHA256', Buffer.from(jwt.signingInput, 'ascii'), key, jwt.signature))
      throw new AuthenticationError(
        'InvalidAuthenticationToken',
        'The access token is not valid: its signature does not verify.',
      );
    return this.principalOf(jwt.claims);
  }

  private async principalOf(claims: Record<string, unknown>): Promise<CallerPrincipal> {
    const { tenantId, audiences, clockSkewSeconds } = this.options;
    const tid = typeof claims.tid === 'string' ? claims.tid.toLowerCase() : '';
    if (tid !== tenantId)
      throw new AuthenticationError(
        'InvalidAuthenticationTokenTenant',
        `The access token is from the wrong issuer tenant '${tid}'. It must match the tenant '${tenantId}' this API trusts.`,
      );
    const issuer = typeof claims.iss === 'string' ? claims.iss : '';
    if (!(await this.acceptedIssuers()).includes(issuer.toLowerCase()))
      throw new AuthenticationError(
        'InvalidAuthenticationToken',
        `The access token has an issuer '${issuer}' this API does not trust.`,
      );
    const aud = typeof claims.aud === 'string' ? claims.aud : '';
    if (!audiences.includes(aud))
      throw new AuthenticationError(
        'InvalidAuthenticationTokenAudience',
        `The access token has been obtained for wrong audience or resource '${aud}'. It should exactly match with one of the allowed audiences '${audiences.join("','")}'.`,
      );
    const nowSeconds = Math.floor((this.options.now ?? Date.now)() / 1000);
    if (typeof claims.exp !== 'number')
      throw new AuthenticationError(
        'InvalidAuthenticationToken',
        "The access token is not valid: it has no 'exp' claim.",
      );
    if (nowSeconds > claims.exp + clockSkewSeconds)
      throw new AuthenticationError(
        'ExpiredAuthenticationToken',
        `The access token expiry UTC time '${new Date(claims.exp * 1000).toISOString()}' is earlier than current UTC time '${new Date(nowSeconds * 1000).toISOString()}'.`,
      );
    if (typeof claims.nbf === 'number' && nowSeconds + clockSkewSeconds < claims.nbf)
      throw new AuthenticationError(
        'InvalidAuthenticationToken',
        `The access token is not valid before UTC time '${new Date(claims.nbf * 1000).toISOString()}'.`,
      );
    const oid = typeof claims.oid === 'string' ? claims.oid.toLowerCase() : '';
    if (!isGuid(oid))
      throw new AuthenticationError(
        'InvalidAuthenticationToken',
        "The access token is not valid: it has no object id ('oid') claim.",
      );
    const appId = [claims.appid, claims.azp].find((v): v is string => typeof v === 'string');
    const appOnly = claims.idtyp === 'app' || (claims.scp === undefined && claims.sub === claims.oid);
    const displayName = [claims.upn, claims.preferred_username, claims.name, claims.app_displayname].find(
      (v): v is string => typeof v === 'string',
    );
    return {
      kind: appOnly ? 'ServicePrincipal' : 'User',
      objectId: oid,
      tenantId: tid,
      ...(appId ? { appId } : {}),
      appRoles: stringArray(claims.roles),
      groups: stringArray(claims.groups)
        .filter(isGuid)
        .map((g) => g.toLowerCase()),
      ...(displayName ? { displayName } : {}),
    };
  }

  private async acceptedIssuers(): Promise<string[]> {
    const tenant = this.options.tenantId;
    const declared = (await this.options.keySet.issuer()).replace(/\{tenantid\}/i, tenant);
    return [
      declared,
      `https://sts.windows.net/${tenant}/`,
      `https://login.microsoftonline.com/${tenant}/v2.0`,
    ].map((i) => i.toLowerCase());
  }
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
