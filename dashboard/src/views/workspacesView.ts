// Home: the workspaces of the subscription (or of one resource group) with their state, and a small form to
// create one. Picking a workspace opens its jobs.
import { parseArmId } from '../model/armResourceId.js';
import { checkResourceName } from '../model/jobSubmission.js';
import { provisioningStateView } from '../model/resourceStates.js';
import { formatTimestamp } from '../model/timeFormat.js';
import { providerPath } from '../ui/apiClient.js';
import { morphChildren } from '../ui/domMorph.js';
import { h } from '../ui/elementBuilder.js';
import { showFormError, stateBadge } from '../ui/stateBadge.js';
import type { View, ViewContext } from './viewContext.js';

export interface WorkspaceWire {
  id?: string;
  name?: string;
  location?: string;
  properties?: Record<string, unknown>;
}

/** Lists the workspaces in the settings' scope (a resource group, or the whole subscription). */
export async function listWorkspaces(ctx: ViewContext): Promise<WorkspaceWire[]> {
  const { subscriptionId, resourceGroup } = ctx.settings;
  const path = resourceGroup
    ? `${providerPath(subscriptionId, resourceGroup)}/workspaces`
    : `/subscriptions/${encodeURIComponent(subscriptionId)}/providers/Microsoft.BatchAI/workspaces`;
  return (await ctx.api.list<WorkspaceWire>(path)).items;
}

export function workspacesView(ctx: ViewContext): View {
  const live = h('div', { class: 'live' });
  const formError = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const nameInput = h('input', { id: 'ws-name', name: 'name', required: true, autocomplete: 'off' });
  const rgInput = h('input', {
    id: 'ws-rg',
    name: 'resourceGroup',
    required: true,
    value: ctx.settings.resourceGroup || 'rg',
  });
  const locationInput = h('input', { id: 'ws-location', name: 'location', required: true, value: 'eastus' });
  const form = h(
    'form',
    { class: 'card inline-form', 'aria-labelledby': 'ws-create-title' },
    h('h2', { id: 'ws-create-title' }, 'Create a workspace'),
    h(
      'div',
      { class: 'fields' },
      h('label', { for: 'ws-name' }, 'Name', nameInput),
      h('label', { for: 'ws-rg' }, 'Resource group', rgInput),
      h('label', { for: 'ws-location' }, 'Location', locationInput),
    ),
    formError,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create workspace')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const problem =
      checkResourceName('Name', nameInput.value) ?? checkResourceName('Resource group', rgInput.value);
    showFormError(formError, problem);
    if (problem) return;
    const path = `${providerPath(ctx.settings.subscriptionId, rgInput.value)}/workspaces/${encodeURIComponent(nameInput.value)}`;
    ctx.api
      .change('PUT', path, { location: locationInput.value.trim() || 'eastus' })
      .then(() => {
        nameInput.value = '';
        ctx.refreshSoon();
      })
      .catch((error: unknown) =>
        showFormError(formError, error instanceof Error ? error.message : String(error)),
      );
  });

  const element = h(
    'section',
    { 'aria-labelledby': 'ws-title' },
    h('h1', { id: 'ws-title' }, 'Workspaces'),
    live,
    form,
  );

  return {
    element,
    async refresh() {
      const workspaces = await listWorkspaces(ctx);
      const rows = workspaces.map((ws) => {
        const names = parseArmId(ws.id);
        const rg = names.resourceGroup ?? '';
        const name = ws.name ?? names.workspace ?? '';
        return h(
          'tr',
          { 'data-key': ws.id ?? name },
          h(
            'th',
            { scope: 'row' },
            h('a', { href: `#/workspaces/${encodeURIComponent(rg)}/${encodeURIComponent(name)}/jobs` }, name),
          ),
          h('td', {}, rg),
          h('td', {}, ws.location ?? ''),
          h('td', {}, stateBadge(provisioningStateView(ws.properties?.provisioningState))),
          h('td', {}, formatTimestamp(ws.properties?.creationTime)),
          h(
            'td',
            {},
            h(
              'a',
              { href: `#/workspaces/${encodeURIComponent(rg)}/${encodeURIComponent(name)}/clusters` },
              'Clusters',
            ),
          ),
        );
      });
      morphChildren(live, [
        workspaces.length === 0
          ? h(
              'p',
              { class: 'empty' },
              'No workspaces in this scope yet. Create one below, or change the subscription and resource group above.',
            )
          : h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                {},
                h('caption', { class: 'visually-hidden' }, 'Workspaces'),
                h(
                  'thead',
                  {},
                  h(
                    'tr',
                    {},
                    ...['Name', 'Resource group', 'Location', 'State', 'Created', ''].map((c) =>
                      h('th', { scope: 'col' }, c),
                    ),
                  ),
                ),
                h('tbody', {}, rows),
              ),
            ),
      ]);
    },
  };
}
