// The errors of authentication (401, with the RFC 6750 challenge) and authorization (403), with ARM's codes and
// message shapes, so clients written for Azure Resource Manager recognise them. Messages never quote the token.
import { ApiError } from '../domain/errors';

export type AuthenticationErrorCode =
  | 'AuthenticationFailed'
  | 'InvalidAuthenticationToken'
  | 'InvalidAuthenticationTokenAudience'
  | 'InvalidAuthenticationTokenTenant'
  | 'ExpiredAuthenticationToken';

/** 401: no credentials, or credentials that are not a valid token for this API. */
export class AuthenticationError extends ApiError {
  readonly httpStatus = 401;
  /** The request carried no credentials at all (the challenge then names no error, RFC 6750 section 3.1). */
  readonly credentialsMissing: boolean;

  constructor(
    code: AuthenticationErrorCode,
    message: string,
    options: { credentialsMissing?: boolean } = {},
  ) {
    super(code, message);
    this.credentialsMissing = options.credentialsMissing === true;
  }

  /** The `WWW-Authenticate` value, shaped like ARM's: where to get a token, and what was wrong with this one. */
  challenge(tenantId: string | undefined): string {
    const parts: string[] = [];
    if (tenantId) parts.push(`authorization_uri="https://login.microsoftonline.com/${tenantId}"`);
    if (!this.credentialsMissing) {
      parts.push('error="invalid_token"');
      parts.push(`error_description="${this.message.replace(/["\\]/g, "'")}"`);
    }
    return parts.length > 0 ? `Bearer ${parts.join(', ')}` : 'Bearer';
  }
}

/** 403: a valid caller without the role the action needs over the scope. */
export class AuthorizationError extends ApiError {
  readonly httpStatus = 403;
  constructor(objectId: string, action: string, scope: string) {
    super(
      'AuthorizationFailed',
      `The client '${objectId}' with object id '${objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
  }
}

/** 503: the tenant's OpenID metadata or signing keys could not be fetched, so no token can be checked now. */
export class AuthenticationUnavailableError extends ApiError {
  readonly httpStatus = 503;
  constructor(message: string) {
    super('AuthenticationServiceUnavailable', message);
  }
}
