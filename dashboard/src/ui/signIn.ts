// The dashboard's sign-in with Entra ID, where the API asks for tokens (AUTH_MODE=entra): the authorization code
// flow with PKCE that a single-page app runs (dashboard/src/model/signInFlow.ts), against the endpoints and the app
// registration that GET /api/dashboard-config names. Tokens live in this tab's sessionStorage only, and are renewed
// with the refresh token before they expire. Without a sign-in (AUTH_MODE=none) requests go without a token.
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
  tokenStatus,
  type DashboardAuthConfig,
  type HeldTokens,
  type PendingSignIn,
  type SignInConfig,
} from '../model/signInFlow.js';

/** The access token a request carries: also where a token pasted by hand goes (docs/security.md). */
export const accessTokenStorageKey = 'batchai-access-token';
const heldTokensKey = 'batchai-sign-in-tokens';
const pendingKey = 'batchai-sign-in-pending';
/** Set while the browser is away ending the identity provider's session: the page it comes back to says so. */
const signedOutKey = 'batchai-signed-out';

function read<T>(key: string): T | undefined {
  try {
    const text = sessionStorage.getItem(key);
    return text ? (JSON.parse(text) as T) : undefined;
  } catch {
    return undefined;
  }
}

function write(key: string, value: unknown): void {
  try {
    if (value === undefined) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, JSON.stringify(value));
  } catch {
    // storage disabled: the sign-in lasts as long as the page
  }
}

/** Where the identity provider sends the browser back: this page, without its query or route. */
function redirectUri(): string {
  return `${location.origin}${location.pathname}`;
}

async function postForm(url: string, body: URLSearchParams): Promise<HeldTokens> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
  } catch (error: unknown) {
    throw new Error(`The sign-in service could not be reached: ${(error as Error).message}`);
  }
  const json: unknown = await response.json().catch(() => undefined);
  const tokens = heldTokensOf(response.status, json, Date.now());
  if (tokens instanceof Error) throw tokens;
  return tokens;
}

export type AuthState =
  | { kind: 'anonymous' } // the API takes no token (AUTH_MODE=none)
  | { kind: 'signedIn'; name: string }
  | { kind: 'signedOut'; message?: string } // sign in to continue
  | { kind: 'unavailable'; message: string }; // the API wants tokens but the dashboard cannot sign in

export class DashboardAuth {
  private config: SignInConfig | undefined;
  private renewing: Promise<string | undefined> | undefined;

  constructor(private readonly apiRoot: string) {}

  /**
   * Reads how to sign in and finishes a sign-in coming back from the identity provider (a `code` in the URL,
   * removed from it at once). Never throws: a failure is the state's message.
   */
  async start(): Promise<AuthState> {
    let config: DashboardAuthConfig;
    try {
      const response = await fetch(`${this.apiRoot}/dashboard-config`, { cache: 'no-store' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      config = (await response.json()) as DashboardAuthConfig;
    } catch (error: unknown) {
      return {
        kind: 'unavailable',
        message: `The sign-in settings could not be read: ${(error as Error).message}`,
      };
    }
    if (config.auth !== 'entra') return { kind: 'anonymous' };
    if (!config.signIn) {
      // A token pasted into sessionStorage by hand still works (docs/security.md).
      if (sessionStorage.getItem(accessTokenStorageKey))
        return { kind: 'signedIn', name: 'token set by hand' };
      return { kind: 'unavailable', message: config.message ?? 'This deployment has no dashboard sign-in.' };
    }
    this.config = config.signIn;
    if (read<boolean>(signedOutKey)) {
      write(signedOutKey, undefined);
      return { kind: 'signedOut', message: 'You are signed out.' };
    }
    const redirect = readRedirect(location.search);
    if (redirect.kind !== 'none') {
      const pending = read<PendingSignIn>(pendingKey);
      write(pendingKey, undefined);
      history.replaceState(null, '', `${redirectUri()}${pending?.returnHash ?? location.hash}`);
      if (redirect.kind === 'error')
        return { kind: 'signedOut', message: `Sign-in failed: ${redirect.message}` };
      if (!pending || pending.state !== redirect.state) {
        return {
          kind: 'signedOut',
          message: 'Sign-in failed: the answer does not match a sign-in of this tab.',
        };
      }
      try {
        const tokens = await postForm(
          this.config.tokenEndpoint,
          codeRedemptionBody(this.config, redirectUri(), redirect.code, pending.verifier),
        );
        this.hold(tokens);
      } catch (error: unknown) {
        return { kind: 'signedOut', message: `Sign-in failed: ${(error as Error).message}` };
      }
    }
    return (await this.accessToken())
      ? { kind: 'signedIn', name: this.displayName() }
      : { kind: 'signedOut' };
  }

  /** Whether this deployment lets the dashboard sign in (else only a token set by hand works). */
  canSignIn(): boolean {
    return this.config !== undefined;
  }

  /** Leaves for the identity provider's sign-in page; the browser comes back to this page. */
  async signIn(): Promise<void> {
    if (!this.config) return;
    const pending: PendingSignIn = {
      state: randomToken(crypto),
      verifier: randomToken(crypto),
      returnHash: location.hash,
    };
    write(pendingKey, pending);
    const challenge = await codeChallenge(crypto, pending.verifier);
    location.assign(authorizationUrl(this.config, redirectUri(), pending.state, challenge));
  }

  /**
   * The user's Sign out: forgets this tab's tokens and, when the identity provider names an end-session endpoint
   * and the tokens came from a sign-in here, leaves for it so that its session ends too (the browser comes back to
   * this page). True when the page is being left.
   */
  signOutEverywhere(): boolean {
    const signedIn = read<HeldTokens>(heldTokensKey) !== undefined;
    this.signOut();
    const endSession = this.config && signedIn ? endSessionUrl(this.config, redirectUri()) : undefined;
    if (!endSession) return false;
    write(signedOutKey, true);
    location.assign(endSession);
    return true;
  }

  /** Forgets this tab's tokens (the identity provider's own session is left as it is). */
  signOut(): void {
    write(heldTokensKey, undefined);
    try {
      sessionStorage.removeItem(accessTokenStorageKey);
    } catch {
      // storage disabled: nothing held
    }
  }

  /**
   * The access token for the next request: the held one, renewed first when it is about to expire (one renewal at
   * a time); undefined when there is none (not signed in, or the renewal failed).
   */
  async accessToken(): Promise<string | undefined> {
    const tokens = read<HeldTokens>(heldTokensKey);
    if (!this.config || !tokens) {
      try {
        return sessionStorage.getItem(accessTokenStorageKey)?.trim() || undefined;
      } catch {
        return undefined;
      }
    }
    const status = tokenStatus(tokens, Date.now());
    if (status === 'valid') return tokens.accessToken;
    if (status === 'signIn') {
      this.signOut();
      return undefined;
    }
    this.renewing ??= this.renew(this.config, tokens.refreshToken!).finally(
      () => (this.renewing = undefined),
    );
    return this.renewing;
  }

  private async renew(config: SignInConfig, refreshToken: string): Promise<string | undefined> {
    try {
      const tokens = await postForm(config.tokenEndpoint, refreshBody(config, refreshToken));
      this.hold(tokens);
      return tokens.accessToken;
    } catch {
      this.signOut(); // the refresh token expired or was revoked: sign in again
      return undefined;
    }
  }

  private hold(tokens: HeldTokens): void {
    write(heldTokensKey, tokens);
    try {
      sessionStorage.setItem(accessTokenStorageKey, tokens.accessToken);
    } catch {
      // storage disabled
    }
  }

  displayName(): string {
    const token = read<HeldTokens>(heldTokensKey)?.accessToken;
    return (token && displayNameOf(token)) ?? 'signed in';
  }
}
