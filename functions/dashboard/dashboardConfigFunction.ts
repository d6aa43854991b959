// GET /api/dashboard-config: how the dashboard signs in. Anonymous, holds no secret: the auth mode and, for Entra
// ID, the dashboard's app registration (a public client), its scopes and the tenant's authorization, token and
// end-session endpoints (from the OpenID metadata the API already reads for its keys). The dashboard runs the authorization
// code flow with PKCE itself (dashboard/src/ui/signIn.ts).
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { randomUUID } from 'crypto';
import { getSecurityServices } from '../api/securityServices';
import { cloudErrorResponse } from '../api/cloudErrorResponse';

export interface DashboardConfig {
  auth: 'none' | 'entra';
  /** Entra ID only: the sign-in, or null when the deployment has none (`message` says why). */
  signIn?: {
    clientId: string;
    /** Space-separated, as the authorization request takes them. */
    scope: string;
    authorizationEndpoint: string;
    tokenEndpoint: string;
    /** Where Sign out sends the browser to end the identity provider's session too (when its metadata names one). */
    endSessionEndpoint?: string;
  } | null;
  message?: string;
}

export async function dashboardConfig(
  _request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const headers = { 'cache-control': 'no-store', 'x-ms-request-id': randomUUID() };
  try {
    const { settings, keySet } = getSecurityServices();
    const entra = settings.entra;
    if (settings.mode === 'none' || !entra || !keySet) {
      return { status: 200, headers, jsonBody: { auth: 'none' } satisfies DashboardConfig };
    }
    if (!entra.dashboard) {
      const body: DashboardConfig = {
        auth: 'entra',
        signIn: null,
        message:
          'This deployment has no dashboard sign-in: its DASHBOARD_CLIENT_ID setting is empty (docs/security.md).',
      };
      return { status: 200, headers, jsonBody: body };
    }
    const endpoints = await keySet.signInEndpoints();
    if (!endpoints) {
      const body: DashboardConfig = {
        auth: 'entra',
        signIn: null,
        message: "The identity provider's OpenID metadata names no https authorization and token endpoints.",
      };
      return { status: 200, headers, jsonBody: body };
    }
    const body: DashboardConfig = {
      auth: 'entra',
      signIn: { clientId: entra.dashboard.clientId, scope: entra.dashboard.scopes.join(' '), ...endpoints },
    };
    return { status: 200, headers, jsonBody: body };
  } catch (error: unknown) {
    return cloudErrorResponse(error, context, headers);
  }
}

app.http('dashboardConfig', {
  route: 'dashboard-config',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: dashboardConfig,
});
