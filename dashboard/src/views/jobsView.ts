// Experiments and jobs of a workspace: pick an experiment (or all), see each job's state (coloured), priority,
// cluster, node count, times, exit code and why it still waits; create an experiment.
import { jobRow, sortJobsNewestFirst, type JobWire } from '../model/jobRow.js';
import { checkResourceName } from '../model/jobSubmission.js';
import { executionStateView } from '../model/resourceStates.js';
import { formatTimestamp, runDuration } from '../model/timeFormat.js';
import { workspacePath } from '../ui/apiClient.js';
import { morphChildren } from '../ui/domMorph.js';
import { h } from '../ui/elementBuilder.js';
import { showFormError, stateBadge } from '../ui/stateBadge.js';
import { scopeOf, type View, type ViewContext } from './viewContext.js';

export async function listExperimentNames(
  ctx: ViewContext,
  resourceGroup: string,
  workspace: string,
): Promise<string[]> {
  const path = `${workspacePath(scopeOf(ctx, resourceGroup, workspace))}/experiments`;
  const list = await ctx.api.list<{ name?: string }>(path);
  return list.items
    .map((e) => e.name ?? '')
    .filter((n) => n !== '')
    .sort((a, b) => a.localeCompare(b));
}

export function jobsView(
  ctx: ViewContext,
  resourceGroup: string,
  workspace: string,
  experiment?: string,
): View {
  const scope = scopeOf(ctx, resourceGroup, workspace);
  const picker = h('select', { id: 'exp-picker' });
  picker.addEventListener('change', () =>
    ctx.navigate({
      view: 'jobs',
      resourceGroup,
      workspace,
      ...(picker.value ? { experiment: picker.value } : {}),
    }),
  );
  const live = h('div', { class: 'live' });

  const expError = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const expName = h('input', { id: 'exp-name', required: true, autocomplete: 'off' });
  const expForm = h(
    'form',
    { class: 'card inline-form', 'aria-labelledby': 'exp-create-title' },
    h('h2', { id: 'exp-create-title' }, 'Create an experiment'),
    h('div', { class: 'fields' }, h('label', { for: 'exp-name' }, 'Name', expName)),
    expError,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create experiment')),
  );
  expForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const problem = checkResourceName('Name', expName.value);
    showFormError(expError, problem);
    if (problem) return;
    const name = expName.value;
    ctx.api
      .change('PUT', `${workspacePath(scope)}/experiments/${encodeURIComponent(name)}`)
      .then(() => ctx.navigate({ view: 'jobs', resourceGroup, workspace, experiment: name }))
      .catch((error: unknown) =>
        showFormError(expError, error instanceof Error ? error.message : String(error)),
      );
  });

  const element = h(
    'section',
    { 'aria-labelledby': 'jobs-title' },
    h('h1', { id: 'jobs-title' }, 'Jobs ', h('span', { class: 'muted' }, `in ${workspace}`)),
    h(
      'div',
      { class: 'toolbar' },
      h('label', { for: 'exp-picker' }, 'Experiment', picker),
      h(
        'a',
        {
          class: 'button',
          href: `#/workspaces/${encodeURIComponent(resourceGroup)}/${encodeURIComponent(workspace)}/submit${experiment ? `/${encodeURIComponent(experiment)}` : ''}`,
        },
        'Submit a job',
      ),
    ),
    live,
    expForm,
  );

  return {
    element,
    async refresh() {
      const experiments = await listExperimentNames(ctx, resourceGroup, workspace);
      morphChildren(picker, [
        h('option', { value: '' }, 'All experiments'),
        ...experiments.map((e) => h('option', { value: e }, e)),
      ]);
      picker.value = experiment && experiments.includes(experiment) ? experiment : '';
      const shown = experiment ? [experiment] : experiments;
      const lists = await Promise.all(
        shown.map((e) =>
          ctx.api.list<JobWire>(`${workspacePath(scope)}/experiments/${encodeURIComponent(e)}/jobs`),
        ),
      );
      const truncated = lists.some((l) => l.truncated);
      const now = new Date();
      const rows = sortJobsNewestFirst(lists.flatMap((l) => l.items).map(jobRow)).map((job) => {
        const link = `#/workspaces/${encodeURIComponent(resourceGroup)}/${encodeURIComponent(workspace)}/experiments/${encodeURIComponent(job.experiment)}/jobs/${encodeURIComponent(job.name)}`;
        return h(
          'tr',
          { 'data-key': `${job.experiment}/${job.name}`, class: `state-${job.executionState}` },
          h('th', { scope: 'row' }, h('a', { href: link }, job.name)),
          experiment ? null : h('td', {}, job.experiment),
          h('td', {}, stateBadge(executionStateView(job.executionState))),
          h('td', {}, h('span', { class: `priority priority-${job.priority}` }, job.priority)),
          h('td', {}, job.cluster),
          h('td', { class: 'num' }, job.nodeCount),
          h('td', {}, formatTimestamp(job.creationTime)),
          h('td', {}, formatTimestamp(job.startTime)),
          h('td', {}, formatTimestamp(job.endTime)),
          h('td', { class: 'num' }, runDuration(job.startTime, job.endTime, now)),
          h('td', { class: 'num' }, job.exitCode),
          h('td', { class: 'wait' }, job.waitReason || job.errors.join('; ')),
        );
      });
      const headers = [
        'Job',
        experiment ? null : 'Experiment',
        'State',
        'Priority',
        'Cluster',
        'Nodes',
        'Created',
        'Started',
        'Ended',
        'Duration',
        'Exit code',
        'Waiting for / errors',
      ];
      morphChildren(
        live,
        [
          experiments.length === 0
            ? h(
                'p',
                { class: 'empty' },
                'No experiments in this workspace yet. Create one below, then submit a job.',
              )
            : rows.length === 0
              ? h(
                  'p',
                  { class: 'empty' },
                  'No jobs yet. ',
                  h(
                    'a',
                    {
                      href: `#/workspaces/${encodeURIComponent(resourceGroup)}/${encodeURIComponent(workspace)}/submit${experiment ? `/${encodeURIComponent(experiment)}` : ''}`,
                    },
                    'Submit one.',
                  ),
                )
              : h(
                  'div',
                  { class: 'table-wrap' },
                  h(
                    'table',
                    {},
                    h('caption', { class: 'visually-hidden' }, `Jobs in ${experiment ?? workspace}`),
                    h(
                      'thead',
                      {},
                      h(
                        'tr',
                        {},
                        ...headers
                          .filter((c): c is string => c !== null)
                          .map((c) => h('th', { scope: 'col' }, c)),
                      ),
                    ),
                    h('tbody', {}, rows),
                  ),
                ),
          truncated ? h('p', { class: 'muted' }, 'Only the first 2000 jobs per experiment are shown.') : null,
        ].filter((n): n is HTMLDivElement | HTMLParagraphElement => n !== null),
      );
    },
  };
}
