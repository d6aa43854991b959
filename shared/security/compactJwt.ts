// Splits a JWS compact serialization (header.payload.signature) into its decoded parts without trusting any of
// them: the caller checks the signature before it believes a claim. Anything malformed is an InvalidAuthenticationToken.
import { AuthenticationError } from './accessErrors';

export interface CompactJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  /** `base64url(header) + '.' + base64url(payload)`: the bytes the signature covers. */
  signingInput: string;
  signature: Buffer;
}

const base64UrlPattern = /^[A-Za-z0-9_-]*$/;

function decodeJsonPart(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new AuthenticationError(
      'InvalidAuthenticationToken',
      `The access token is malformed: its ${what} is not a JSON object.`,
    );
  return value as Record<string, unknown>;
}

export function parseCompactJwt(token: string): CompactJwt {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((part) => part === '' || !base64UrlPattern.test(part)))
    throw new AuthenticationError(
      'InvalidAuthenticationToken',
      'The access token is malformed: expected a JWT (three base64url parts separated by dots).',
    );
  const [header, payload, signature] = parts;
  return {
    header: decodeJsonPart(header, 'header'),
    claims: decodeJsonPart(payload, 'payload'),
    signingInput: `${header}.${payload}`,
    signature: Buffer.from(signature, 'base64url'),
  };
}
