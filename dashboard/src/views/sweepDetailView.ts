// One parameter sweep: its definition and status (objective, sampling, progress, best trial), the trials table
// (parameters, state, metric; each trial links to its job) and Cancel (confirmed first).
import { isNamedResource } from '../model/armResourceId.js';
import { routeHash } from '../model/dashboardRoute.js';
import { sweepStateView, trialStateView } from '../model/resourceStates.js';
import { canCancelSweep, sweepRow, trialRows, type SweepWire } from '../model/sweepSummary.js';
import { formatTimestamp } from '../model/timeFormat.js';
import { isNotFound, sweepPath } from '../ui/apiClient.js';
import { confirmAction } from '../ui/confirmDialog.js';
import { morphChildren } from '../ui/domMorph.js';
import { h } from '../ui/elementBuilder.js';
import { row, stateBadge } from '../ui/stateBadge.js';
import { scopeOf, type View, type ViewContext } from './viewContext.js';

export function sweepDetailView(
  ctx: ViewContext,
  resourceGroup: string,
  workspace: string,
  experiment: string,
  sweep: string,
): View {
  const path = sweepPath(scopeOf(ctx, resourceGroup, workspace), experiment, sweep);
  const ws = { resourceGroup, workspace, experiment };
  const badge = h('span', {});
  const cancel = h('button', { type: 'button', class: 'danger' }, 'Cancel sweep');
  const properties = h('dl', { class: 'props' });
  const trials = h('div', { class: 'live' });

  cancel.addEventListener('click', () => {
    void confirmAction(
      'Cancel sweep',
      `Cancel '${sweep}'? Its running trials are terminated and no more are started.`,
      'Cancel sweep',
    ).then(async (yes) => {
      if (yes) await ctx.api.change('POST', `${path}/cancel`).then(ctx.refreshSoon, ctx.reportError);
    });
  });

  const element = h(
    'section',
    { 'aria-labelledby': 'sweep-title' },
    h('p', {}, h('a', { href: routeHash({ view: 'sweeps', ...ws }) }, `\u2190 Sweeps of ${experiment}`)),
    h(
      'div',
      { class: 'title-row' },
      h('h1', { id: 'sweep-title' }, sweep, ' ', badge),
      h('div', { class: 'actions' }, cancel),
    ),
    h('div', { class: 'card' }, h('h2', {}, 'Properties'), properties),
    h('div', { class: 'card' }, h('h2', { id: 'trials-title' }, 'Trials'), trials),
  );

  return {
    element,
    async refresh() {
      let wire: SweepWire;
      try {
        wire = await ctx.api.get<SweepWire>(path);
      } catch (error: unknown) {
        if (isNotFound(error)) cancel.disabled = true; // deleted: nothing to cancel
        throw error;
      }
      const p = wire.properties ?? {};
      const view = sweepRow(wire);
      morphChildren(badge, [
        stateBadge(
          view.cancelRequested
            ? { label: 'Cancelling', tone: 'warning' }
            : sweepStateView(view.executionState),
        ),
      ]);
      // Cancel only the sweep this page names (never whatever resource an odd address reached).
      cancel.disabled = !isNamedResource(wire, 'sweeps', sweep) || !canCancelSweep(view);
      const jobLink = (job: string): HTMLElement =>
        h('a', { href: routeHash({ view: 'job', ...ws, job }) }, job);
      morphChildren(properties, [
        ...row('Experiment', experiment),
        ...row('Objective', view.objective),
        ...row('Sampling', String(p.sampling ?? 'grid')),
        ...row('Max trials', String(p.maxTrials ?? '')),
        ...row('Concurrent trials', String(p.maxConcurrentTrials ?? '')),
        ...row('Trials', view.progress),
        ...row('Best trial', view.bestTrial ? jobLink(view.bestTrial) : ''),
        ...row('Best metric', view.bestMetric),
        ...row('Best parameters', view.bestParameters),
        ...row('Created', formatTimestamp(view.creationTime)),
        ...row('State changed', formatTimestamp(p.executionStateTransitionTime)),
        ...(view.error ? row('Error', h('span', { class: 'error-text' }, view.error)) : []),
      ]);
      const rows = trialRows(wire).map((trial) =>
        h(
          'tr',
          { 'data-key': trial.name, class: trial.name === view.bestTrial ? 'best' : undefined },
          h('th', { scope: 'row' }, jobLink(trial.name)),
          h('td', {}, trial.parameters),
          h('td', {}, stateBadge(trialStateView(trial.state))),
          h('td', { class: 'num' }, trial.metric),
          h('td', { class: 'num' }, trial.step),
          h('td', { class: 'wait' }, trial.reason),
        ),
      );
      morphChildren(trials, [
        rows.length === 0
          ? h('p', { class: 'empty' }, 'No trials started yet.')
          : h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                { 'aria-labelledby': 'trials-title' },
                h(
                  'thead',
                  {},
                  h(
                    'tr',
                    {},
                    ...['Trial', 'Parameters', 'State', 'Metric', 'Step', 'Reason'].map((c) =>
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
