// Clusters of a workspace: VM size, priority, allocation state, node state counts as a bar, scale settings;
// resize a manually scaled cluster; create a cluster from a small form. Below them, the workspace's file servers:
// disks, where nodes mount them from, state and why one failed; create one from a small form, delete one.
import { parseArmId } from '../model/armResourceId.js';
import {
  buildClusterBody,
  buildResizeBody,
  deallocationOptions,
  describeCapacity,
  isManuallyScaled,
  type ScaleSettingsWire,
} from '../model/clusterSummary.js';
import { buildFileServerBody, fileServerRow, fileServerStorageSkus } from '../model/fileServerSummary.js';
import { checkResourceName } from '../model/jobSubmission.js';
import { allocationStateView, provisioningStateView } from '../model/resourceStates.js';
import { formatTimestamp } from '../model/timeFormat.js';
import { workspacePath } from '../ui/apiClient.js';
import { confirmAction } from '../ui/confirmDialog.js';
import { morphChildren } from '../ui/domMorph.js';
import { h } from '../ui/elementBuilder.js';
import { nodeBar, showFormError, stateBadge } from '../ui/stateBadge.js';
import { scopeOf, type View, type ViewContext } from './viewContext.js';

export interface ClusterWire {
  id?: string;
  name?: string;
  properties?: Record<string, unknown>;
}

export async function listClusters(
  ctx: ViewContext,
  resourceGroup: string,
  workspace: string,
): Promise<ClusterWire[]> {
  const path = `${workspacePath(scopeOf(ctx, resourceGroup, workspace))}/clusters`;
  return (await ctx.api.list<ClusterWire>(path)).items;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function clustersView(ctx: ViewContext, resourceGroup: string, workspace: string): View {
  const scope = scopeOf(ctx, resourceGroup, workspace);
  const live = h('div', { class: 'live' });

  // Resize form: outside the live region so typing is never disturbed by a refresh.
  const resizeError = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const resizeName = h('output', { id: 'resize-name' });
  const resizeTarget = h('input', { id: 'resize-target', type: 'number', min: 0, max: 1000, required: true });
  const resizeOption = h(
    'select',
    { id: 'resize-option' },
    deallocationOptions.map((o) => h('option', { value: o }, o)),
  );
  const resizeForm = h(
    'form',
    { class: 'card inline-form', hidden: true, 'aria-labelledby': 'resize-title' },
    h('h2', { id: 'resize-title' }, 'Resize cluster ', resizeName),
    h(
      'div',
      { class: 'fields' },
      h('label', { for: 'resize-target' }, 'Target node count', resizeTarget),
      h('label', { for: 'resize-option' }, 'When removing busy nodes', resizeOption),
    ),
    resizeError,
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        { type: 'button', class: 'secondary', onclick: () => (resizeForm.hidden = true) },
        'Cancel',
      ),
      h('button', { type: 'submit' }, 'Resize'),
    ),
  );
  resizeForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const built = buildResizeBody(resizeTarget.value, resizeOption.value);
    if (!built.ok) return showFormError(resizeError, built.message);
    showFormError(resizeError, undefined);
    ctx.api
      .change('PATCH', `${workspacePath(scope)}/clusters/${encodeURIComponent(resizeName.value)}`, built.body)
      .then(() => {
        resizeForm.hidden = true;
        ctx.refreshSoon();
      })
      .catch((error: unknown) => showFormError(resizeError, errorText(error)));
  });
  live.addEventListener('click', (event) => {
    const button = (event.target as Element).closest('button[data-resize]');
    if (!button) return;
    resizeName.value = button.getAttribute('data-resize') ?? '';
    resizeTarget.value = button.getAttribute('data-target') ?? '0';
    resizeForm.hidden = false;
    resizeTarget.focus();
  });

  // Create form.
  const createError = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const field = (id: string, label: string, input: HTMLElement): HTMLElement =>
    h('label', { for: id }, label, input);
  const name = h('input', { id: 'cl-name', required: true, autocomplete: 'off' });
  const vmSize = h('input', { id: 'cl-vmsize', required: true, value: 'STANDARD_D2_V2' });
  const priority = h(
    'select',
    { id: 'cl-priority' },
    h('option', { value: 'dedicated' }, 'dedicated'),
    h('option', { value: 'lowpriority' }, 'lowpriority'),
  );
  const mode = h(
    'select',
    { id: 'cl-mode' },
    h('option', { value: 'manual' }, 'manual'),
    h('option', { value: 'auto' }, 'autoscale'),
  );
  const target = h('input', { id: 'cl-target', type: 'number', min: 0, value: '1' });
  const min = h('input', { id: 'cl-min', type: 'number', min: 0, value: '0' });
  const max = h('input', { id: 'cl-max', type: 'number', min: 1, value: '2' });
  const slots = h('input', { id: 'cl-slots', type: 'number', min: 1, max: 64, value: '1' });
  const admin = h('input', { id: 'cl-admin', required: true, value: 'batchai', autocomplete: 'off' });
  const sshKey = h('input', {
    id: 'cl-ssh',
    autocomplete: 'off',
    placeholder: 'ssh-rsa AAAA... (optional locally)',
  });
  const manualFields = h('div', { class: 'fields' }, field('cl-target', 'Target node count', target));
  const autoFields = h(
    'div',
    { class: 'fields', hidden: true },
    field('cl-min', 'Minimum nodes', min),
    field('cl-max', 'Maximum nodes', max),
  );
  mode.addEventListener('change', () => {
    manualFields.hidden = mode.value !== 'manual';
    autoFields.hidden = mode.value === 'manual';
  });
  const createForm = h(
    'form',
    { class: 'card inline-form', 'aria-labelledby': 'cl-create-title' },
    h('h2', { id: 'cl-create-title' }, 'Create a cluster'),
    h(
      'div',
      { class: 'fields' },
      field('cl-name', 'Name', name),
      field('cl-vmsize', 'VM size', vmSize),
      field('cl-priority', 'Priority', priority),
      field('cl-mode', 'Scale', mode),
      field('cl-slots', 'Jobs per node', slots),
    ),
    manualFields,
    autoFields,
    h(
      'div',
      { class: 'fields' },
      field('cl-admin', 'Admin user name', admin),
      field('cl-ssh', 'Admin SSH public key', sshKey),
    ),
    createError,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create cluster')),
  );
  createForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const nameProblem = checkResourceName('Name', name.value);
    if (nameProblem) return showFormError(createError, nameProblem);
    const built = buildClusterBody({
      vmSize: vmSize.value,
      vmPriority: priority.value,
      scaleMode: mode.value,
      targetNodeCount: target.value,
      minimumNodeCount: min.value,
      maximumNodeCount: max.value,
      adminUserName: admin.value,
      adminUserSshPublicKey: sshKey.value,
      jobSlotsPerNode: slots.value,
    });
    if (!built.ok) return showFormError(createError, built.message);
    showFormError(createError, undefined);
    ctx.api
      .change('PUT', `${workspacePath(scope)}/clusters/${encodeURIComponent(name.value)}`, built.body)
      .then(() => {
        name.value = '';
        ctx.refreshSoon();
      })
      .catch((error: unknown) => showFormError(createError, errorText(error)));
  });

  // File servers: listed, created (the form below) and deleted here.
  const fileServersLive = h('div', { class: 'live' });
  fileServersLive.addEventListener('click', (event) => {
    const button = (event.target as Element).closest('button[data-delete-file-server]');
    if (!button) return;
    const serverName = button.getAttribute('data-delete-file-server') ?? '';
    void confirmAction(
      'Delete file server',
      `Delete the file server ${serverName} and every file on it? Nodes that mount it lose their files.`,
      'Delete',
    ).then((confirmed) => {
      if (!confirmed) return;
      ctx.api
        .change('DELETE', `${workspacePath(scope)}/fileServers/${encodeURIComponent(serverName)}`)
        .then(() => ctx.refreshSoon())
        .catch((error: unknown) => ctx.reportError(error));
    });
  });

  // File server create form (the create operation completes when the server is ready: minutes on Azure).
  const fsError = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const fsName = h('input', { id: 'fs-name', required: true, autocomplete: 'off' });
  const fsVmSize = h('input', { id: 'fs-vmsize', required: true, value: 'STANDARD_D2S_V3' });
  const fsDiskCount = h('input', { id: 'fs-disks', type: 'number', min: 1, max: 64, value: '2' });
  const fsDiskSize = h('input', { id: 'fs-disksize', type: 'number', min: 1, value: '128' });
  const fsSku = h(
    'select',
    { id: 'fs-sku' },
    fileServerStorageSkus.map((sku) => h('option', { value: sku }, sku)),
  );
  const fsAdmin = h('input', { id: 'fs-admin', required: true, value: 'batchai', autocomplete: 'off' });
  const fsSsh = h('input', {
    id: 'fs-ssh',
    autocomplete: 'off',
    placeholder: 'ssh-rsa AAAA... (optional locally)',
  });
  const fsSubnet = h('input', {
    id: 'fs-subnet',
    autocomplete: 'off',
    placeholder: "/subscriptions/.../subnets/... (optional: the deployment's)",
  });
  const fileServerForm = h(
    'form',
    { class: 'card inline-form', 'aria-labelledby': 'fs-create-title' },
    h('h2', { id: 'fs-create-title' }, 'Create a file server'),
    h(
      'div',
      { class: 'fields' },
      field('fs-name', 'File server name', fsName),
      field('fs-vmsize', 'File server VM size', fsVmSize),
      field('fs-disks', 'Data disks', fsDiskCount),
      field('fs-disksize', 'Disk size (GB)', fsDiskSize),
      field('fs-sku', 'Disk type', fsSku),
    ),
    h(
      'div',
      { class: 'fields' },
      field('fs-admin', 'File server admin user name', fsAdmin),
      field('fs-ssh', 'File server admin SSH public key', fsSsh),
      field('fs-subnet', 'Subnet', fsSubnet),
    ),
    fsError,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create file server')),
  );
  fileServerForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const nameProblem = checkResourceName('File server name', fsName.value);
    if (nameProblem) return showFormError(fsError, nameProblem);
    const built = buildFileServerBody({
      vmSize: fsVmSize.value,
      diskCount: fsDiskCount.value,
      diskSizeInGB: fsDiskSize.value,
      storageAccountType: fsSku.value,
      adminUserName: fsAdmin.value,
      adminUserSshPublicKey: fsSsh.value,
      subnetId: fsSubnet.value,
    });
    if (!built.ok) return showFormError(fsError, built.message);
    showFormError(fsError, undefined);
    ctx.api
      .change('PUT', `${workspacePath(scope)}/fileServers/${encodeURIComponent(fsName.value)}`, built.body)
      .then(() => {
        fsName.value = '';
        ctx.refreshSoon();
      })
      .catch((error: unknown) => showFormError(fsError, errorText(error)));
  });

  const element = h(
    'section',
    { 'aria-labelledby': 'clusters-title' },
    h('h1', { id: 'clusters-title' }, 'Clusters ', h('span', { class: 'muted' }, `in ${workspace}`)),
    live,
    resizeForm,
    createForm,
    h('h2', { id: 'file-servers-title' }, 'File servers'),
    fileServersLive,
    fileServerForm,
  );

  async function refreshFileServers(): Promise<void> {
    const path = `${workspacePath(scope)}/fileServers`;
    const servers = (await ctx.api.list<ClusterWire>(path)).items.map(fileServerRow);
    morphChildren(fileServersLive, [
      servers.length === 0
        ? h(
            'p',
            { class: 'empty' },
            'No file servers in this workspace. Create one below; clusters and jobs mount it by its id.',
          )
        : h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              {},
              h('caption', { class: 'visually-hidden' }, `File servers in ${workspace}`),
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ...['Name', 'VM size', 'Data disks', 'Mount from', 'Provisioning', 'Created', ''].map((c) =>
                    h('th', { scope: 'col' }, c),
                  ),
                ),
              ),
              h(
                'tbody',
                {},
                servers.map((server) =>
                  h(
                    'tr',
                    { 'data-key': server.name },
                    h('th', { scope: 'row' }, server.name),
                    h('td', {}, server.vmSize),
                    h('td', {}, server.disks),
                    h('td', {}, server.mount ? h('code', {}, server.mount) : '—'),
                    h(
                      'td',
                      {},
                      stateBadge(provisioningStateView(server.provisioningState)),
                      server.errors ? h('div', { class: 'error-text' }, server.errors) : null,
                    ),
                    h('td', {}, formatTimestamp(server.creationTime)),
                    h(
                      'td',
                      {},
                      server.provisioningState === 'deleting'
                        ? null
                        : h(
                            'button',
                            {
                              type: 'button',
                              class: 'small secondary',
                              'data-delete-file-server': server.name,
                              'aria-label': `Delete ${server.name}`,
                            },
                            'Delete',
                          ),
                    ),
                  ),
                ),
              ),
            ),
          ),
    ]);
  }

  return {
    element,
    async refresh() {
      const [clusters] = await Promise.all([
        listClusters(ctx, resourceGroup, workspace),
        refreshFileServers(),
      ]);
      const rows = clusters.map((c) => {
        const p = c.properties ?? {};
        const scale = p.scaleSettings as ScaleSettingsWire | undefined;
        const clusterName = c.name ?? parseArmId(c.id).cluster ?? '';
        const errors = Array.isArray(p.errors)
          ? (p.errors as { message?: string }[]).map((e) => e.message ?? '').join('; ')
          : '';
        return h(
          'tr',
          { 'data-key': c.id ?? clusterName },
          h('th', { scope: 'row' }, clusterName),
          h('td', {}, String(p.vmSize ?? '')),
          h('td', {}, String(p.vmPriority ?? 'dedicated')),
          h(
            'td',
            {},
            stateBadge(allocationStateView(p.allocationState)),
            errors ? h('div', { class: 'error-text' }, errors) : null,
          ),
          h(
            'td',
            {},
            h('div', {}, `${Number(p.currentNodeCount ?? 0)} current`),
            nodeBar(p.nodeStateCounts as Record<string, unknown> | undefined),
          ),
          h('td', {}, describeCapacity(scale, p.jobSlotsPerNode)),
          h('td', {}, stateBadge(provisioningStateView(p.provisioningState))),
          h('td', {}, formatTimestamp(p.creationTime)),
          h(
            'td',
            {},
            isManuallyScaled(scale)
              ? h(
                  'button',
                  {
                    type: 'button',
                    class: 'small secondary',
                    'data-resize': clusterName,
                    'data-target': String(scale?.manual?.targetNodeCount ?? 0),
                    'aria-label': `Resize ${clusterName}`,
                  },
                  'Resize',
                )
              : null,
          ),
        );
      });
      morphChildren(live, [
        clusters.length === 0
          ? h('p', { class: 'empty' }, 'No clusters in this workspace yet. Create one below.')
          : h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                {},
                h('caption', { class: 'visually-hidden' }, `Clusters in ${workspace}`),
                h(
                  'thead',
                  {},
                  h(
                    'tr',
                    {},
                    ...[
                      'Name',
                      'VM size',
                      'Priority',
                      'Allocation',
                      'Nodes',
                      'Scale',
                      'Provisioning',
                      'Created',
                      '',
                    ].map((c) => h('th', { scope: 'col' }, c)),
                  ),
                ),
                h('tbody', {}, rows),
              ),
            ),
      ]);
    },
  };
}
