// The dashboard's Entra ID sign-in in headless Chromium, against the real app (AUTH_MODE=entra) and the local Entra
// ID fake as the tenant: the authorization code flow with PKCE (the fake checks the verifier), the user's
// workspaces listed with the token, its renewal with the refresh token before it expires, sign out, and a forged
// redirect refused. Needs `npx tsc -p tsconfig.json && npx tsc -p dashboard/tsconfig.json` first.
import { randomBytes, randomUUID } from 'crypto';
import type { Page } from 'playwright-core';
import { startEntraIdFake, type EntraIdFake } from '../../runtime/fakes/entraIdFake';
import {
  describeWithChromium,
  launchHeadlessChromium,
  type HeadlessBrowser,
} from '../support/headlessChromium';
import { startTestEnvironment, waitFor, type TestEnvironment } from '../support/testEnvironment';
import { API, workspacePath } from '../api/apiClient';

const user = randomUUID();
const clientId = 'dashboard-e2e-client';

describeWithChromium('dashboard sign-in (Chromium)')('the dashboard signs in with Entra ID', () => {
  let fake: EntraIdFake;
  let env: TestEnvironment;
  let browser: HeadlessBrowser;
  let page: Page;

  beforeAll(async () => {
    // Tokens from the sign-in live 125 s: within 5 s they are within the renewal margin (120 s).
    fake = await startEntraIdFake({
      signIn: { oid: user, name: 'Ada Lovelace', accessTokenLifetimeSeconds: 125 },
    });
    env = await startTestEnvironment({
      settings: {
        SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        ...fake.appSettings(),
        AUTH_WORKSPACE_CREATORS: user,
        DASHBOARD_CLIENT_ID: clientId,
      },
    });
    const created = await fetch(
      `${env.baseUrl}/api${workspacePath('rg_signin', 'adas_ws')}?api-version=${API}`,
      {
        method: 'PUT',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${fake.mintToken({ oid: user })}`,
        },
        body: JSON.stringify({ location: 'eastus' }),
      },
    );
    expect([200, 201, 202]).toContain(created.status);
    browser = await launchHeadlessChromium('dashboard-signin', { ignoreHttpsErrors: true });
    page = browser.page;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await env?.stop();
    await fake?.stop();
  });

  const dashboard = (suffix = ''): string => `${env.baseUrl}/api/dashboard/${suffix}`;

  it('tells the dashboard how to sign in, and nothing secret', async () => {
    const response = await fetch(`${env.baseUrl}/api/dashboard-config`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      auth: 'entra',
      signIn: {
        clientId,
        scope: `openid profile offline_access ${fake.audience}/.default`,
        authorizationEndpoint: `${fake.baseUrl}/${fake.tenantId}/oauth2/v2.0/authorize`,
        tokenEndpoint: `${fake.baseUrl}/${fake.tenantId}/oauth2/v2.0/token`,
        endSessionEndpoint: `${fake.baseUrl}/${fake.tenantId}/oauth2/v2.0/logout`,
      },
    });
  });

  it('asks to sign in, signs in through the identity provider, and lists the user’s workspaces', async () => {
    await page.goto(dashboard('#/'));
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Signed in as Ada Lovelace').waitFor();
    await page.getByRole('link', { name: 'adas_ws', exact: true }).waitFor();
    expect(page.url()).toBe(dashboard('#/')); // the code and state are gone from the address
    expect(fake.fetches().codeGrants).toBe(1);
    const held = await page.evaluate("sessionStorage.getItem('batchai-access-token')");
    expect(held).toMatch(/^ey/);
  });

  it('renews the token with the refresh token before it expires, without asking again', async () => {
    await waitFor('a renewal', async () => (fake.fetches().refreshGrants > 0 ? true : undefined), 30_000);
    // The next refreshes of the page still get their data, with the new token.
    const renewed = await page.evaluate("sessionStorage.getItem('batchai-access-token')");
    await waitFor('the page to refresh with it', async () =>
      (await page.locator('#refresh-status').textContent())?.startsWith('Updated') ? true : undefined,
    );
    expect(await page.locator('#api-error').isHidden()).toBe(true);
    expect(renewed).toMatch(/^ey/);
    expect(fake.fetches().codeGrants).toBe(1);
  });

  it('signs out of the identity provider too, and refuses a redirect that is not the answer to a sign-in of this tab', async () => {
    const held = JSON.parse(
      String(await page.evaluate("sessionStorage.getItem('batchai-sign-in-tokens')")),
    ) as { refreshToken: string };
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByText('You are signed out.').waitFor();
    expect(fake.fetches().signOuts).toBe(1);
    expect(page.url()).toBe(dashboard());
    expect(await page.evaluate("sessionStorage.getItem('batchai-access-token')")).toBeNull();
    // The session ended at the identity provider: the refresh token the tab held is refused there.
    const tokenEndpoint = `${fake.baseUrl}/${fake.tenantId}/oauth2/v2.0/token`;
    const refused = await page.evaluate(
      async ([url, refreshToken, client]) => {
        const body = new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: refreshToken,
          client_id: client,
        });
        return (await fetch(url, { method: 'POST', body })).status;
      },
      [tokenEndpoint, held.refreshToken, clientId] as const,
    );
    expect(refused).toBe(400);
    await page.goto(dashboard('?code=forged&state=not-mine#/'));
    await page.getByText('Sign-in failed: the answer does not match a sign-in of this tab.').waitFor();
    expect(page.url()).toBe(dashboard('#/'));
    expect(fake.fetches().codeGrants).toBe(1); // the forged code was never sent
  });
});
