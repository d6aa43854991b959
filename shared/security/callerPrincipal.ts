// Who is calling: the identity taken from a validated token (or the single local user when AUTH_MODE is `none`).
// Only what authorization needs is kept; the token itself is never stored or logged.

export type PrincipalKind = 'User' | 'ServicePrincipal' | 'LocalUser';

export interface CallerPrincipal {
  kind: PrincipalKind;
  /** Entra object id (`oid`), lower-cased; the identity role assignments name. */
  objectId: string;
  tenantId: string;
  /** Client application id (`appid` v1, `azp` v2): the app itself for a service principal. */
  appId?: string;
  /** App roles granted to the caller in the API's app registration (`roles`), e.g. `BatchAI.Admin`. */
  appRoles: string[];
  /** Group object ids from the `groups` claim (lower-cased), when the app registration emits them. */
  groups: string[];
  /** A display name for messages and logs (`upn`, `preferred_username`, `name`), never used for decisions. */
  displayName?: string;
}

/** The one user of a one-machine deployment (AUTH_MODE=none): owner of every workspace. */
export const localUser: CallerPrincipal = {
  kind: 'LocalUser',
  objectId: '00000000-0000-0000-0000-000000000000',
  tenantId: '00000000-0000-0000-0000-000000000000',
  appRoles: [],
  groups: [],
  displayName: 'local user',
};

/** Every id a role assignment can name to reach this caller: its own object id and its groups. */
export function identityIdsOf(principal: CallerPrincipal): string[] {
  return [principal.objectId, ...principal.groups];
}
