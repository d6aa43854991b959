// Authentication and authorization settings (AUTH_*), read once from the app settings and validated. `none` is the
// one-machine default (a single local user who may do everything); `entra` validates Entra ID bearer tokens.
import { ConfigurationError } from '../config/appConfig';

export type AuthMode = 'none' | 'entra';

export interface EntraSettings {
  tenantId: string;
  /** OpenID Connect metadata of the tenant (its `issuer` and `jwks_uri` are used). */
  openIdConfigurationUrl: string;
  /** Accepted `aud` values, e.g. `api://<app-id>` (v1 tokens) and `<app-id>` (v2 tokens). */
  audiences: string[];
  /** Tolerated clock difference for `exp` and `nbf`. */
  clockSkewSeconds: number;
  /** PEM file trusted for the metadata and key fetches only (a local HTTPS fake of Entra ID in tests). */
  caFile?: string;
  /** The dashboard's sign-in (a single-page app registration), when DASHBOARD_CLIENT_ID is set. */
  dashboard?: DashboardSignInSettings;
}

export interface DashboardSignInSettings {
  /** Application (client) id of the app registration with the dashboard's URL as a single-page app redirect URI. */
  clientId: string;
  /** Scopes the dashboard asks for: OpenID ones, offline_access (refresh tokens) and the API's. */
  scopes: string[];
}

export interface AuthSettings {
  mode: AuthMode;
  entra?: EntraSettings;
  /** Object ids (users, groups, service principals) that are owners of every workspace. */
  adminPrincipals: string[];
  /** Object ids allowed to create workspaces; `anyone` when AUTH_WORKSPACE_CREATORS is `*`. */
  workspaceCreators: string[] | 'anyone';
}

type Env = Readonly<Record<string, string | undefined>>;

const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: string): boolean {
  return guidPattern.test(value);
}

function guidList(env: Env, name: string): string[] {
  const text = env[name]?.trim() ?? '';
  if (text === '') return [];
  const items = text.split(/[,;\s]+/).filter((item) => item !== '');
  for (const item of items) {
    if (!isGuid(item))
      throw new ConfigurationError(
        name,
        `must list object ids (GUIDs) separated by commas; '${item}' is not one.`,
      );
  }
  return items.map((item) => item.toLowerCase());
}

function readEntraSettings(env: Env): EntraSettings {
  const tenantId = env.AUTH_TENANT_ID?.trim() ?? '';
  if (!isGuid(tenantId))
    throw new ConfigurationError(
      'AUTH_TENANT_ID',
      `must be the directory (tenant) id, a GUID; it is '${tenantId}'.`,
    );
  const openIdConfigurationUrl =
    env.AUTH_OPENID_CONFIGURATION_URL?.trim() ||
    `https://login.microsoftonline.com/${tenantId}/v2.0/.well-known/openid-configuration`;
  let url: URL;
  try {
    url = new URL(openIdConfigurationUrl);
  } catch {
    throw new ConfigurationError(
      'AUTH_OPENID_CONFIGURATION_URL',
      `must be a URL; it is '${openIdConfigurationUrl}'.`,
    );
  }
  if (url.protocol !== 'https:')
    throw new ConfigurationError(
      'AUTH_OPENID_CONFIGURATION_URL',
      'must be an https URL (keys are never fetched in clear).',
    );
  const audiences = (env.AUTH_AUDIENCE ?? '')
    .split(/[,;\s]+/)
    .map((a) => a.trim())
    .filter((a) => a !== '');
  if (audiences.length === 0)
    throw new ConfigurationError(
      'AUTH_AUDIENCE',
      "is required when AUTH_MODE is 'entra': the API's application id URI (api://<app-id>) and/or its app id.",
    );
  const skewText = env.AUTH_CLOCK_SKEW_SECONDS?.trim() || '120';
  const clockSkewSeconds = Number(skewText);
  if (!/^\d+$/.test(skewText) || clockSkewSeconds > 600)
    throw new ConfigurationError(
      'AUTH_CLOCK_SKEW_SECONDS',
      `must be an integer from 0 to 600; it is '${skewText}'.`,
    );
  const caFile = env.AUTH_OPENID_CA_FILE?.trim() || undefined;
  const dashboard = readDashboardSignIn(env, audiences);
  return {
    tenantId: tenantId.toLowerCase(),
    openIdConfigurationUrl,
    audiences,
    clockSkewSeconds,
    caFile,
    ...(dashboard ? { dashboard } : {}),
  };
}

/**
 * DASHBOARD_CLIENT_ID (the single-page app registration the dashboard signs in with) and DASHBOARD_API_SCOPE (the
 * API's scope, default `<the first api:// audience>/.default`). Unset client id: the dashboard has no sign-in.
 */
function readDashboardSignIn(env: Env, audiences: string[]): DashboardSignInSettings | undefined {
  const clientId = env.DASHBOARD_CLIENT_ID?.trim() ?? '';
  if (clientId === '') return undefined;
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(clientId))
    throw new ConfigurationError(
      'DASHBOARD_CLIENT_ID',
      `must be an application (client) id, e.g. a GUID; it is '${clientId}'.`,
    );
  const fallback = audiences.find((a) => a.startsWith('api://')) ?? audiences[0];
  const apiScope = env.DASHBOARD_API_SCOPE?.trim() || `${fallback.replace(/\/+$/, '')}/.default`;
  if (/\s/.test(apiScope))
    throw new ConfigurationError('DASHBOARD_API_SCOPE', `must be one scope; it is '${apiScope}'.`);
  return { clientId, scopes: ['openid', 'profile', 'offline_access', apiScope] };
}

export function readAuthSettings(env: Env): AuthSettings {
  const mode = (env.AUTH_MODE?.trim() || 'none').toLowerCase();
  if (mode !== 'none' && mode !== 'entra')
    throw new ConfigurationError('AUTH_MODE', `must be 'none' or 'entra'; it is '${env.AUTH_MODE}'.`);
  const creatorsText = env.AUTH_WORKSPACE_CREATORS?.trim() ?? '';
  return {
    mode,
    ...(mode === 'entra' ? { entra: readEntraSettings(env) } : {}),
    adminPrincipals: guidList(env, 'AUTH_ADMIN_PRINCIPALS'),
    workspaceCreators: creatorsText === '*' ? 'anyone' : guidList(env, 'AUTH_WORKSPACE_CREATORS'),
  };
}
