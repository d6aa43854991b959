// Who may do what in a workspace: its role assignments (reader, contributor, owner per Entra principal), a form to
// grant or change one (PUT) and Remove behind a confirmation (DELETE). The API refuses what the caller may not do
// (owner only) and removing the last owner; its CloudError shows next to the form or in the page's alert.
import { checkPrincipalId, principalTypes, roleAssignmentRows, roles } from '../model/roleAssignments.js';
import type { RoleAssignmentWire } from '../model/roleAssignments.js';
import { formatTimestamp } from '../model/timeFormat.js';
import { workspacePath } from '../ui/apiClient.js';
import { confirmAction } from '../ui/confirmDialog.js';
import { morphChildren } from '../ui/domMorph.js';
import { h } from '../ui/elementBuilder.js';
import { showFormError } from '../ui/stateBadge.js';
import { scopeOf, type View, type ViewContext } from './viewContext.js';

export function accessView(ctx: ViewContext, resourceGroup: string, workspace: string): View {
  const scope = scopeOf(ctx, resourceGroup, workspace);
  const base = `${workspacePath(scope)}/roleAssignments`;
  const live = h('div', { class: 'live' });
  const formError = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const principal = h('input', {
    id: 'ra-principal',
    name: 'principalId',
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
    size: 38,
    placeholder: '00000000-0000-0000-0000-000000000000',
  });
  const type = h(
    'select',
    { id: 'ra-type', name: 'principalType' },
    ...principalTypes.map((t) => h('option', { value: t }, t)),
  );
  const role = h(
    'select',
    { id: 'ra-role', name: 'role' },
    ...roles.map((r) => h('option', { value: r }, r)),
  );
  const form = h(
    'form',
    { class: 'card inline-form', 'aria-labelledby': 'ra-grant-title' },
    h('h2', { id: 'ra-grant-title' }, 'Grant or change access'),
    h(
      'div',
      { class: 'fields' },
      h('label', { for: 'ra-principal' }, 'Principal id', principal),
      h('label', { for: 'ra-type' }, 'Type', type),
      h('label', { for: 'ra-role' }, 'Role', role),
    ),
    formError,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Grant')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const problem = checkPrincipalId(principal.value);
    showFormError(formError, problem);
    if (problem) return;
    ctx.api
      .change('PUT', `${base}/${encodeURIComponent(principal.value.trim())}`, {
        properties: { role: role.value, principalType: type.value },
      })
      .then(() => {
        principal.value = '';
        ctx.refreshSoon();
      })
      .catch((error: unknown) =>
        showFormError(formError, error instanceof Error ? error.message : String(error)),
      );
  });
  live.addEventListener('click', (event) => {
    const button = (event.target as Element).closest('button[data-remove]');
    if (!button) return;
    const principalId = button.getAttribute('data-remove') ?? '';
    void confirmAction(
      'Remove access',
      `Remove the role of ${principalId} in ${workspace}? It loses access at its next request.`,
      'Remove',
    ).then((confirmed) => {
      if (!confirmed) return;
      ctx.api
        .change('DELETE', `${base}/${encodeURIComponent(principalId)}`)
        .then(() => ctx.refreshSoon())
        .catch((error: unknown) => ctx.reportError(error));
    });
  });

  const element = h(
    'section',
    { 'aria-labelledby': 'access-title' },
    h('h1', { id: 'access-title' }, 'Access ', h('span', { class: 'muted' }, `in ${workspace}`)),
    h(
      'p',
      { class: 'muted' },
      'Readers see the workspace, contributors also run and change its work, owners also manage its access. ' +
        'Enforced when the service checks Entra ID tokens (AUTH_MODE=entra); locally anyone may do anything.',
    ),
    live,
    form,
  );

  return {
    element,
    async refresh() {
      const rows = roleAssignmentRows((await ctx.api.list<RoleAssignmentWire>(base)).items).map((a) =>
        h(
          'tr',
          { 'data-key': a.principalId },
          h('th', { scope: 'row' }, h('code', {}, a.principalId)),
          h('td', {}, a.principalType),
          h('td', {}, a.role),
          h('td', {}, formatTimestamp(a.createdOn)),
          h('td', {}, a.createdBy ? h('code', {}, a.createdBy) : ''),
          h(
            'td',
            {},
            h(
              'button',
              {
                type: 'button',
                class: 'secondary',
                'data-remove': a.principalId,
                'aria-label': `Remove ${a.principalId}`,
              },
              'Remove',
            ),
          ),
        ),
      );
      morphChildren(live, [
        rows.length === 0
          ? h(
              'p',
              { class: 'empty' },
              'No role assignments yet. A workspace created without sign-in (AUTH_MODE=none) has no owner: grant one before switching to Entra ID.',
            )
          : h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                {},
                h('caption', { class: 'visually-hidden' }, `Role assignments in ${workspace}`),
                h(
                  'thead',
                  {},
                  h(
                    'tr',
                    {},
                    ...['Principal', 'Type', 'Role', 'Since', 'By', ''].map((c) =>
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
