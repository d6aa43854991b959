// The dashboard shell: the sign-in (where the API asks for tokens), scope settings, the workspace picker,
// navigation by URL hash, and the refresh loop that updates the current view in place every few seconds (paused
// while the tab is hidden).
import { parseRoute, routeHash, type DashboardRoute } from './model/dashboardRoute.js';
import { parseArmId } from './model/armResourceId.js';
import { ApiClient, ApiError, ApiUnreachableError, apiRoot } from './ui/apiClient.js';
import { DashboardAuth, type AuthState } from './ui/signIn.js';
import { loadSettings, saveSettings, type DashboardSettings } from './ui/dashboardSettings.js';
import { morphChildren } from './ui/domMorph.js';
import { h } from './ui/elementBuilder.js';
import { clustersView } from './views/clustersView.js';
import { jobDetailView } from './views/jobDetailView.js';
import { jobsView } from './views/jobsView.js';
import { submitJobView } from './views/submitJobView.js';
import { sweepDetailView } from './views/sweepDetailView.js';
import { sweepsView } from './views/sweepsView.js';
import { automationView } from './views/automationView.js';
import { accessView } from './views/accessView.js';
import type { View, ViewContext } from './views/viewContext.js';
import { listWorkspaces, workspacesView } from './views/workspacesView.js';

const refreshIntervalMs = 3000;

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`The page has no #${id}.`);
  return element as T;
}

const main = byId<HTMLElement>('main');
const alertRegion = byId<HTMLElement>('api-error');
const statusText = byId<HTMLElement>('refresh-status');
const subscriptionInput = byId<HTMLInputElement>('setting-subscription');
const resourceGroupInput = byId<HTMLInputElement>('setting-resource-group');
const settingsForm = byId<HTMLFormElement>('settings');
const workspacePicker = byId<HTMLSelectElement>('workspace-picker');
const nav = byId<HTMLElement>('nav');
const pauseToggle = byId<HTMLInputElement>('auto-refresh');
const authStatus = byId<HTMLElement>('auth-status');

const settings: DashboardSettings = loadSettings();
subscriptionInput.value = settings.subscriptionId;
resourceGroupInput.value = settings.resourceGroup;

let current: { route: DashboardRoute; view: View } | undefined;
let refreshing: Promise<void> | undefined;
let again = false;
/** False while the user must sign in first: no view is shown and nothing is refreshed. */
let ready = false;
let authState: AuthState = { kind: 'anonymous' };

const auth = new DashboardAuth(apiRoot());

const ctx: ViewContext = {
  api: new ApiClient(() => auth.accessToken()),
  settings,
  navigate: (route) => {
    const hash = routeHash(route);
    if (location.hash === hash) void show(route);
    else location.hash = hash;
  },
  // What a user's action failed on stays until the next action succeeds or another page is shown: the periodic
  // refresh must not wipe it before it is read.
  reportError: (error) => reportError(error, true),
  refreshSoon: () => {
    clearError(true); // views call it after an action succeeded
    void refresh();
  },
};

/** Who is signed in, with Sign out, in the top bar (nothing when the API takes no token). */
function renderAuthStatus(state: AuthState): void {
  authState = state;
  authStatus.hidden = state.kind !== 'signedIn';
  if (state.kind !== 'signedIn') return authStatus.replaceChildren();
  authStatus.replaceChildren(
    h('span', {}, `Signed in as ${state.name}`),
    h(
      'button',
      {
        type: 'button',
        class: 'secondary small',
        onclick: () => {
          if (auth.signOutEverywhere()) return; // off to end the identity provider's session
          showSignIn(
            auth.canSignIn()
              ? { kind: 'signedOut', message: 'You are signed out.' }
              : { kind: 'unavailable', message: 'The token set by hand was removed.' },
          );
        },
      },
      'Sign out',
    ),
  );
}

/** The page for a user who must sign in first, or who cannot (the deployment has no dashboard sign-in). */
function showSignIn(state: Extract<AuthState, { kind: 'signedOut' | 'unavailable' }>): void {
  ready = false;
  current = undefined;
  renderAuthStatus(state);
  morphChildren(nav, []);
  clearError(true);
  statusText.textContent = '';
  const button =
    state.kind === 'signedOut'
      ? h(
          'button',
          {
            type: 'button',
            onclick: () => void auth.signIn().catch((error: unknown) => reportError(error)),
          },
          'Sign in',
        )
      : null;
  main.replaceChildren(
    h(
      'section',
      { class: 'sign-in' },
      h('h1', {}, state.kind === 'signedOut' ? 'Sign in' : 'Sign-in unavailable'),
      state.message ? h('p', { role: 'status' }, state.message) : null,
      h(
        'p',
        {},
        state.kind === 'signedOut'
          ? 'This Batch AI service needs you to sign in with your organization account (Microsoft Entra ID).'
          : 'The service needs an access token that this dashboard cannot get for you; see docs/security.md.',
      ),
      button,
    ),
  );
}

/** Whether the alert shows an action's failure (kept by refreshes) rather than a refresh's (gone once one works). */
let actionError = false;

function reportError(error: unknown, fromAction = false): void {
  if (error instanceof ApiError && error.info.status === 401 && ready && authState.kind === 'signedIn') {
    // The token was refused (expired and not renewed, or revoked): sign in again.
    auth.signOut();
    const message = `Your sign-in is no longer accepted: ${error.message}`;
    showSignIn(auth.canSignIn() ? { kind: 'signedOut', message } : { kind: 'unavailable', message });
    return;
  }
  // A refresh that could not reach the API (down, restarting, offline) is tried again on the next tick.
  const retrying = error instanceof ApiUnreachableError && !fromAction && pauseToggle.checked;
  const message = error instanceof Error ? `${error.message}${retrying ? ' (retrying)' : ''}` : String(error);
  alertRegion.textContent = message;
  alertRegion.hidden = false;
  actionError = fromAction;
}

/** Hides the alert; an action's failure only when `evenActionErrors` (another action, another page). */
function clearError(evenActionErrors = false): void {
  if (actionError && !evenActionErrors) return;
  actionError = false;
  if (!alertRegion.hidden) {
    alertRegion.hidden = true;
    alertRegion.textContent = '';
  }
}

function viewFor(route: DashboardRoute): View {
  switch (route.view) {
    case 'home':
      return workspacesView(ctx);
    case 'clusters':
      return clustersView(ctx, route.resourceGroup, route.workspace);
    case 'jobs':
      return jobsView(ctx, route.resourceGroup, route.workspace, route.experiment);
    case 'submit':
      return submitJobView(ctx, route.resourceGroup, route.workspace, route.experiment);
    case 'job':
      return jobDetailView(ctx, route.resourceGroup, route.workspace, route.experiment, route.job);
    case 'sweeps':
      return sweepsView(ctx, route.resourceGroup, route.workspace, route.experiment);
    case 'sweep':
      return sweepDetailView(ctx, route.resourceGroup, route.workspace, route.experiment, route.sweep);
    case 'automation':
      return automationView(ctx, route.resourceGroup, route.workspace);
    case 'access':
      return accessView(ctx, route.resourceGroup, route.workspace);
    case 'invalid':
      return invalidNameView(route);
  }
}

/** A link naming something the API would refuse (e.g. '..'): said plainly, and nothing is asked of the API. */
function invalidNameView(route: Extract<DashboardRoute, { view: 'invalid' }>): View {
  const rule =
    route.field === 'resource group'
      ? "1 to 90 letters, digits, '-', '_', '.', '(' and ')', and not only dots"
      : "1 to 64 letters, digits, '-' and '_'";
  return {
    element: h(
      'section',
      { 'aria-labelledby': 'invalid-title' },
      h('h1', { id: 'invalid-title' }, 'Not a valid name'),
      h(
        'p',
        { role: 'status' },
        `This link names the ${route.field} '${route.value}', which is not a valid name (${rule}). Nothing was read or changed.`,
      ),
      h('p', {}, h('a', { href: routeHash({ view: 'home' }) }, 'Go to the workspaces')),
    ),
    refresh: () => Promise.resolve(),
  };
}

function renderNav(route: DashboardRoute): void {
  const ws =
    route.view === 'home' || route.view === 'invalid'
      ? undefined
      : { resourceGroup: route.resourceGroup, workspace: route.workspace };
  const link = (label: string, target: DashboardRoute, active: boolean): HTMLElement =>
    h('li', {}, h('a', { href: routeHash(target), 'aria-current': active ? 'page' : undefined }, label));
  morphChildren(nav, [
    h(
      'ul',
      {},
      link('Workspaces', { view: 'home' }, route.view === 'home'),
      ws ? link('Jobs', { view: 'jobs', ...ws }, route.view === 'jobs' || route.view === 'job') : null,
      ws
        ? link('Sweeps', { view: 'sweeps', ...ws }, route.view === 'sweeps' || route.view === 'sweep')
        : null,
      ws ? link('Clusters', { view: 'clusters', ...ws }, route.view === 'clusters') : null,
      ws ? link('Automation', { view: 'automation', ...ws }, route.view === 'automation') : null,
      ws ? link('Access', { view: 'access', ...ws }, route.view === 'access') : null,
      ws ? link('Submit a job', { view: 'submit', ...ws }, route.view === 'submit') : null,
    ),
  ]);
}

async function show(route: DashboardRoute): Promise<void> {
  if (!ready) return;
  const view = viewFor(route);
  current = { route, view };
  renderNav(route);
  clearError(true);
  main.replaceChildren(view.element);
  const heading = view.element.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
  }
  await refresh();
}

async function refreshWorkspaces(): Promise<void> {
  const workspaces = await listWorkspaces(ctx);
  const options = workspaces.map((ws) => {
    const names = parseArmId(ws.id);
    const value = `${names.resourceGroup ?? ''}/${ws.name ?? ''}`;
    return h(
      'option',
      { value },
      settings.resourceGroup ? (ws.name ?? '') : `${ws.name ?? ''} (${names.resourceGroup ?? ''})`,
    );
  });
  morphChildren(workspacePicker, [
    h('option', { value: '' }, workspaces.length ? 'Choose a workspace' : 'No workspaces'),
    ...options,
  ]);
  const route = current?.route;
  workspacePicker.value =
    route && route.view !== 'home' && route.view !== 'invalid'
      ? `${route.resourceGroup}/${route.workspace}`
      : '';
}

/** Refreshes the current view; calls that arrive while one runs are folded into one more run. */
async function refresh(): Promise<void> {
  if (!ready) return;
  if (refreshing) {
    again = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      again = false;
      const view = current?.view;
      try {
        await Promise.all([view?.refresh(), refreshWorkspaces()]);
        if (view === current?.view) {
          clearError();
          statusText.textContent = `Updated ${new Date().toLocaleTimeString()}`;
        }
      } catch (error: unknown) {
        if (view === current?.view) reportError(error);
        statusText.textContent = 'Update failed';
      }
    } while (again);
  })();
  try {
    await refreshing;
  } finally {
    refreshing = undefined;
  }
}

workspacePicker.addEventListener('change', () => {
  const [resourceGroup, ...rest] = workspacePicker.value.split('/');
  const workspace = rest.join('/');
  if (workspace) ctx.navigate({ view: 'jobs', resourceGroup, workspace });
});

settingsForm.addEventListener('submit', (event) => {
  event.preventDefault();
  settings.subscriptionId = subscriptionInput.value.trim() || settings.subscriptionId;
  settings.resourceGroup = resourceGroupInput.value.trim();
  subscriptionInput.value = settings.subscriptionId;
  saveSettings(settings);
  ctx.navigate({ view: 'home' });
});

window.addEventListener('hashchange', () => void show(parseRoute(location.hash)));
setInterval(() => {
  if (
    pauseToggle.checked &&
    document.visibilityState === 'visible' &&
    !document.querySelector('dialog[open]')
  )
    void refresh();
}, refreshIntervalMs);

void (async () => {
  const state = await auth.start();
  if (state.kind === 'signedOut' || state.kind === 'unavailable') return showSignIn(state);
  renderAuthStatus(state);
  ready = true;
  await show(parseRoute(location.hash));
})();
