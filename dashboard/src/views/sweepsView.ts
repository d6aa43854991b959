// The parameter sweeps of a workspace, per experiment (or all): each sweep's state, trial progress and best
// trial, linking to its detail page.
import { sweepStateView } from '../model/resourceStates.js';
import { sweepRow, type SweepWire } from '../model/sweepSummary.js';
import { formatTimestamp } from '../model/timeFormat.js';
import { routeHash } from '../model/dashboardRoute.js';
import { sweepPath } from '../ui/apiClient.js';
import { morphChildren } from '../ui/domMorph.js';
import { h } from '../ui/elementBuilder.js';
import { stateBadge } from '../ui/stateBadge.js';
import { listExperimentNames } from './jobsView.js';
import { scopeOf, type View, type ViewContext } from './viewContext.js';

export function sweepsView(
  ctx: ViewContext,
  resourceGroup: string,
  workspace: string,
  experiment?: string,
): View {
  const scope = scopeOf(ctx, resourceGroup, workspace);
  const picker = h('select', { id: 'sweep-exp-picker' });
  picker.addEventListener('change', () =>
    ctx.navigate({
      view: 'sweeps',
      resourceGroup,
      workspace,
      ...(picker.value ? { experiment: picker.value } : {}),
    }),
  );
  const live = h('div', { class: 'live' });
  const element = h(
    'section',
    { 'aria-labelledby': 'sweeps-title' },
    h('h1', { id: 'sweeps-title' }, 'Sweeps ', h('span', { class: 'muted' }, `in ${workspace}`)),
    h('div', { class: 'toolbar' }, h('label', { for: 'sweep-exp-picker' }, 'Experiment', picker)),
    live,
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
      const lists = await Promise.all(shown.map((e) => ctx.api.list<SweepWire>(sweepPath(scope, e))));
      const sweeps = lists
        .flatMap((l) => l.items)
        .map(sweepRow)
        .sort(
          (a, b) =>
            (b.creationTime ?? '').localeCompare(a.creationTime ?? '') || a.name.localeCompare(b.name),
        );
      const rows = sweeps.map((sweep) => {
        const ws = { resourceGroup, workspace, experiment: sweep.experiment };
        return h(
          'tr',
          { 'data-key': `${sweep.experiment}/${sweep.name}` },
          h(
            'th',
            { scope: 'row' },
            h('a', { href: routeHash({ view: 'sweep', ...ws, sweep: sweep.name }) }, sweep.name),
          ),
          experiment ? null : h('td', {}, sweep.experiment),
          h('td', {}, stateBadge(sweepStateView(sweep.executionState))),
          h('td', {}, sweep.objective),
          h('td', {}, sweep.progress),
          h(
            'td',
            {},
            sweep.bestTrial
              ? h('a', { href: routeHash({ view: 'job', ...ws, job: sweep.bestTrial }) }, sweep.bestTrial)
              : '',
          ),
          h('td', { class: 'num' }, sweep.bestMetric),
          h('td', {}, sweep.bestParameters),
          h('td', {}, formatTimestamp(sweep.creationTime)),
        );
      });
      const headers = [
        'Sweep',
        experiment ? null : 'Experiment',
        'State',
        'Objective',
        'Trials',
        'Best trial',
        'Best metric',
        'Best parameters',
        'Created',
      ].filter((c): c is string => c !== null);
      morphChildren(live, [
        rows.length === 0
          ? h(
              'p',
              { class: 'empty' },
              'No sweeps yet. Create one with `batchai sweep create -f sweep.json` (see docs/sweeps.md).',
            )
          : h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                {},
                h('caption', { class: 'visually-hidden' }, `Sweeps in ${experiment ?? workspace}`),
                h('thead', {}, h('tr', {}, ...headers.map((c) => h('th', { scope: 'col' }, c)))),
                h('tbody', {}, rows),
              ),
            ),
      ]);
    },
  };
}
