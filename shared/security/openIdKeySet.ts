// The tenant's token-signing keys: the OpenID Connect metadata gives the issuer and `jwks_uri`, the JWKS gives the
// RSA keys by `kid`. Cached; fetched again when stale or when a token names an unknown `kid` (Entra ID rotates keys),
// at most once per `minRefreshIntervalMs` so a flood of forged kids cannot turn into a flood of fetches.
import { createPublicKey, type JsonWebKey, type KeyObject } from 'crypto';
import { AuthenticationUnavailableError } from './accessErrors';

/** GETs a URL and returns its JSON body; throws on any failure (network, status, JSON). */
export type JsonFetcher = (url: string) => Promise<unknown>;

export interface OpenIdKeySetOptions {
  configurationUrl: string;
  fetchJson: JsonFetcher;
  now?: () => number;
  /** Least time between two fetches triggered by unknown kids. Default 30 s. */
  minRefreshIntervalMs?: number;
  /** Keys older than this are fetched again before use. Default 12 h. */
  maxAgeMs?: number;
}

interface KeySnapshot {
  issuer: string;
  keys: Map<string, KeyObject>;
  /** Where a browser signs in and redeems codes (absent when the metadata has no https ones). */
  authorizationEndpoint?: string;
  endSessionEndpoint?: string;
  tokenEndpoint?: string;
  fetchedAt: number;
}

export class OpenIdKeySet {
  private snapshot: KeySnapshot | undefined;
  private loading: Promise<KeySnapshot> | undefined;
  private lastAttempt = Number.NEGATIVE_INFINITY;
  /** Why the last fetch failed when no keys were held (answered again until the next attempt is due). */
  private lastFailure: AuthenticationUnavailableError | undefined;
  /** How many times metadata and keys were fetched (for tests and diagnostics). */
  fetchCount = 0;

  constructor(private readonly options: OpenIdKeySetOptions) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** The issuer the metadata declares (may hold `{tenantid}` for multi-tenant metadata). */
  async issuer(): Promise<string> {
    return (await this.current()).issuer;
  }

  /**
   * The metadata's authorization and token endpoints (https), for a browser's sign-in, and its end-session
   * endpoint when it names one (https), for signing out of the identity provider too.
   */
  async signInEndpoints(): Promise<
    { authorizationEndpoint: string; tokenEndpoint: string; endSessionEndpoint?: string } | undefined
  > {
    const { authorizationEndpoint, tokenEndpoint, endSessionEndpoint } = await this.current();
    if (!authorizationEndpoint || !tokenEndpoint) return undefined;
    return { authorizationEndpoint, tokenEndpoint, ...(endSessionEndpoint ? { endSessionEndpoint } : {}) };
  }

  /** The signing key with this `kid`, refreshing once when it is unknown; undefined if the tenant has no such key. */
  async key(kid: string): Promise<KeyObject | undefined> {
    const snapshot = await this.current();
    const known = snapshot.keys.get(kid);
    if (known) return known;
    const minInterval = this.options.minRefreshIntervalMs ?? 30_000;
    if (this.now() - this.lastAttempt < minInterval) return undefined;
    return (await this.refresh()).keys.get(kid);
  }

  private async current(): Promise<KeySnapshot> {
    const maxAge = this.options.maxAgeMs ?? 12 * 3600_000;
    if (this.snapshot && this.now() - this.snapshot.fetchedAt < maxAge) return this.snapshot;
    // Stale, and the last fetch was moments ago (it failed: the provider is down): keep what we have, or the
    // failure, until the next attempt is due, instead of a fetch per request.
    if (this.now() - this.lastAttempt < (this.options.minRefreshIntervalMs ?? 30_000)) {
      if (this.snapshot) return this.snapshot;
      if (this.lastFailure) throw this.lastFailure;
    }
    return this.refresh();
  }

  private refresh(): Promise<KeySnapshot> {
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load(): Promise<KeySnapshot> {
    this.lastAttempt = this.now();
    this.fetchCount++;
    try {
      const metadata = asObject(
        await this.options.fetchJson(this.options.configurationUrl),
        'OpenID metadata',
      );
      const issuer = metadata.issuer;
      const jwksUri = metadata.jwks_uri;
      if (typeof issuer !== 'string' || typeof jwksUri !== 'string' || !jwksUri.startsWith('https://'))
        throw new Error("the OpenID metadata lacks 'issuer' or an https 'jwks_uri'");
      const jwks = asObject(await this.options.fetchJson(jwksUri), 'JWKS');
      if (!Array.isArray(jwks.keys)) throw new Error("the JWKS has no 'keys' array");
      const keys = new Map<string, KeyObject>();
      for (const jwk of jwks.keys as unknown[]) {
        const parsed = rsaSigningKey(jwk);
        if (parsed) keys.set(parsed.kid, parsed.key);
      }
      const https = (value: unknown): string | undefined =>
        typeof value === 'string' && value.startsWith('https://') ? value : undefined;
      this.snapshot = {
        issuer,
        keys,
        authorizationEndpoint: https(metadata.authorization_endpoint),
        tokenEndpoint: https(metadata.token_endpoint),
        endSessionEndpoint: https(metadata.end_session_endpoint),
        fetchedAt: this.now(),
      };
      this.lastFailure = undefined;
      return this.snapshot;
    } catch (error: unknown) {
      // Keys we already hold stay valid through a failed refresh; without any, no token can be checked.
      if (this.snapshot) return this.snapshot;
      const reason = error instanceof Error ? error.message : String(error);
      this.lastFailure = new AuthenticationUnavailableError(
        `The signing keys of the identity provider could not be fetched, so the access token cannot be checked now: ${reason}.`,
      );
      throw this.lastFailure;
    }
  }
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new Error(`the ${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** An RSA signature key with a kid, or undefined for anything else (encryption keys, other key types). */
function rsaSigningKey(value: unknown): { kid: string; key: KeyObject } | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const jwk = value as Record<string, unknown>;
  if (
    jwk.kty !== 'RSA' ||
    typeof jwk.kid !== 'string' ||
    typeof jwk.n !== 'string' ||
    typeof jwk.e !== 'string'
  )
    return undefined;
  if (jwk.use !== undefined && jwk.use !== 'sig') return undefined;
  try {
    const key = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e } as JsonWebKey, format: 'jwk' });
    return { kid: jwk.kid, key };
  } catch {
    return undefined;
  }
}
